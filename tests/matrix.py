"""Shared tables and helpers of the authorization and tenant matrices.

``URLS`` holds one line per URL name: the permission the view needs and the
status a request gets from a role that holds it. The tests expand it to the
full table role x URL x method -> status; a URL name the resolver knows and
``URLS`` does not fails ``test_matrix_knows_every_url``. Adding a view means
adding one line here (and, if its route names a new kind of object, one id
in ``object_ids``).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from payportal.accounts.models import User
from payportal.accounts.permissions import (
    AUDIT_VIEW,
    DASHBOARD_VIEW,
    DISPUTES_RESPOND,
    PAYMENTS_EXPORT,
    PAYMENTS_VIEW,
    REFUNDS_APPROVE,
    REFUNDS_CREATE,
    SETTINGS_MANAGE,
    USERS_MANAGE,
)
from payportal.accounts.tests.factories import (
    AdministratorRoleFactory,
    RoleFactory,
    UserFactory,
)
from payportal.merchants.models import Merchant
from payportal.payments.models import EvidenceFile
from payportal.payments.tests.factories import (
    DisputeFactory,
    PaymentFactory,
    RefundFactory,
)

PDF = b"%PDF-1.4\n%matrix\n"
ANONYMOUS = "anonymous"
ADMINISTRATOR = "administrator"
# Role name -> the permissions it holds (the Administrator role holds all).
ROLES: dict[str, tuple[str, ...]] = {
    ADMINISTRATOR: (),  # is_administrator; see make_user
    "operator": (DASHBOARD_VIEW, PAYMENTS_VIEW, REFUNDS_CREATE, DISPUTES_RESPOND),
    "viewer": (DASHBOARD_VIEW, PAYMENTS_VIEW),
    "user_admin": (USERS_MANAGE, AUDIT_VIEW),
    "reporting": (DASHBOARD_VIEW, PAYMENTS_VIEW, PAYMENTS_EXPORT),
    "approver": (PAYMENTS_VIEW, REFUNDS_APPROVE),
    "no_permissions": (),
}
ALL_ROLES = (*ROLES, ANONYMOUS)

# Expected outcomes besides a plain status code.
LOGIN = "login"  # 302 to "/?next=<the path>"
DENIED = 403

# ``permission`` of a view open to any signed-in user, and of a public one.
SIGNED_IN = "signed-in"
PUBLIC = "public"


@dataclass(frozen=True)
class Row:
    """What one URL answers.

    ``get`` and ``post`` are the statuses for a user allowed in; a user of
    the firm without ``permission`` gets 403 and a visitor the login page,
    unless ``anon_get``/``anon_post`` (public views) or ``only`` (per-role
    exceptions, ``{(role, method): status}``) say otherwise.
    """

    permission: str
    get: int | str
    post: int | str
    anon_get: int | str = LOGIN
    anon_post: int | str = LOGIN
    only: dict[tuple[str, str], int | str] = field(default_factory=dict)
    # A query string for every request, e.g. an export's required filters.
    query: str = ""


# Every POST sends a valid CSRF token and an empty body: a form answers
# with its errors (200), an action (or a form with no required field, like
# the evidence draft) does its work and redirects (302), a read-only view
# says 405.
URLS: dict[str, Row] = {
    # "/" is the login page for a visitor; without dashboard.view it is a
    # welcome page, not a 403.
    "dashboard": Row(SIGNED_IN, get=200, post=405, anon_get=200, anon_post=200),
    "healthz": Row(PUBLIC, get=200, post=405, anon_get=200, anon_post=405),
    "accounts:logout": Row(PUBLIC, get=405, post=302, anon_get=405, anon_post=302),
    "accounts:password_required": Row(
        PUBLIC, get=302, post=302, anon_get=LOGIN, anon_post=LOGIN
    ),
    "accounts:reset_request": Row(
        PUBLIC, get=200, post=200, anon_get=200, anon_post=200
    ),
    "accounts:reset_sent": Row(PUBLIC, get=200, post=405, anon_get=200, anon_post=405),
    "accounts:reset_confirm": Row(
        PUBLIC, get=200, post=200, anon_get=200, anon_post=200
    ),
    "accounts:set_password": Row(
        PUBLIC, get=200, post=200, anon_get=200, anon_post=200
    ),
    "accounts:reset_complete": Row(
        PUBLIC, get=200, post=405, anon_get=200, anon_post=405
    ),
    "accounts:profile": Row(SIGNED_IN, get=200, post=405),
    "accounts:profile_edit": Row(SIGNED_IN, get=200, post=200),
    "accounts:profile_password": Row(SIGNED_IN, get=200, post=200),
    "accounts:user_list": Row(USERS_MANAGE, get=200, post=405),
    "accounts:user_add": Row(USERS_MANAGE, get=200, post=200),
    "accounts:user_detail": Row(USERS_MANAGE, get=200, post=405),
    "accounts:user_edit": Row(USERS_MANAGE, get=200, post=200),
    "accounts:user_reset_password": Row(USERS_MANAGE, get=405, post=200),
    "accounts:user_unlock": Row(USERS_MANAGE, get=405, post=302),
    "accounts:role_list": Row(USERS_MANAGE, get=200, post=405),
    "accounts:role_add": Row(USERS_MANAGE, get=200, post=200),
    "accounts:role_detail": Row(USERS_MANAGE, get=200, post=405),
    "accounts:role_edit": Row(USERS_MANAGE, get=200, post=200),
    "accounts:role_delete": Row(USERS_MANAGE, get=405, post=302),
    "audit:event_list": Row(AUDIT_VIEW, get=200, post=405),
    "audit:event_export": Row(
        AUDIT_VIEW,
        get=200,
        post=405,
        query="?date_from=2000-01-01&date_to=2100-01-01&format=csv",
    ),
    "accounts:mfa_verify": Row(PUBLIC, get=302, post=302, anon_get=302, anon_post=302),
    "accounts:mfa_recovery": Row(
        PUBLIC, get=302, post=302, anon_get=302, anon_post=302
    ),
    "accounts:mfa_setup": Row(SIGNED_IN, get=200, post=200),
    "accounts:mfa_remove": Row(SIGNED_IN, get=302, post=302),
    "accounts:mfa_passkey_add": Row(SIGNED_IN, get=302, post=302),
    "accounts:mfa_passkey": Row(PUBLIC, get=302, post=302, anon_get=302, anon_post=302),
    "accounts:mfa_recovery_codes": Row(SIGNED_IN, get=302, post=302),
    "accounts:user_access_review": Row(USERS_MANAGE, get=200, post=405),
    "accounts:user_reset_mfa": Row(USERS_MANAGE, get=405, post=302),
    "merchants:settings": Row(SETTINGS_MANAGE, get=200, post=405),
    "merchants:settings_edit": Row(SETTINGS_MANAGE, get=200, post=200),
    "payments:payment_list": Row(PAYMENTS_VIEW, get=200, post=405),
    "payments:payment_export": Row(
        PAYMENTS_EXPORT, get=200, post=405, query="?status=succeeded&q=MAT"
    ),
    "payments:payment_detail": Row(PAYMENTS_VIEW, get=200, post=405),
    "payments:refund_create": Row(REFUNDS_CREATE, get=200, post=200),
    "payments:refund_list": Row(PAYMENTS_VIEW, get=200, post=405),
    "payments:approval_list": Row(REFUNDS_APPROVE, get=200, post=405),
    "payments:refund_approve": Row(REFUNDS_APPROVE, get=405, post=302),
    "payments:refund_reject": Row(REFUNDS_APPROVE, get=405, post=302),
    "payments:dispute_list": Row(PAYMENTS_VIEW, get=200, post=405),
    "payments:dispute_detail": Row(PAYMENTS_VIEW, get=200, post=405),
    "payments:dispute_evidence": Row(DISPUTES_RESPOND, get=200, post=302),
    "payments:evidence_file_add": Row(DISPUTES_RESPOND, get=405, post=200),
    "payments:evidence_file_download": Row(PAYMENTS_VIEW, get=200, post=405),
    "payments:evidence_file_remove": Row(DISPUTES_RESPOND, get=405, post=302),
    "payments:dispute_submit": Row(DISPUTES_RESPOND, get=200, post=302),
    "payments:dispute_accept": Row(DISPUTES_RESPOND, get=200, post=302),
    # Authenticated by the processor's signature instead of a session: an
    # unsigned request is refused the same way for everyone.
    "processors:webhook": Row(PUBLIC, get=405, post=400, anon_get=405, anon_post=400),
}


def holds(role: str, permission: str) -> bool:
    if permission in (SIGNED_IN, PUBLIC):
        return True
    return role == ADMINISTRATOR or permission in ROLES[role]


def expected(name: str, role: str, method: str) -> int | str:
    """The status (or LOGIN) ``role`` gets from ``method`` on URL ``name``."""
    row = URLS[name]
    if (role, method) in row.only:
        return row.only[(role, method)]
    if role == ANONYMOUS:
        return row.anon_get if method == "get" else row.anon_post
    if not holds(role, row.permission):
        return DENIED
    return row.get if method == "get" else row.post


def iter_patterns(resolver: URLResolver, prefix: str = "", ns: str = "") -> Iterator:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{ns}{entry.namespace}:" if entry.namespace else ns
            yield from iter_patterns(entry, prefix + str(entry.pattern), namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield ns + entry.name, prefix + str(entry.pattern)


ALL_URLS: dict[str, str] = dict(iter_patterns(get_resolver()))
# The resolver's names that are in the table, so that parametrized tests
# still collect while a new URL waits for its row (the coverage test fails).
TABLED = sorted(n for n in ALL_URLS if n in URLS)
OBJECT_URLS = sorted(n for n in TABLED if "<int:" in ALL_URLS[n])


def fill(route: str, ids: dict[str, int]) -> str:
    path = "/" + route
    for name, value in ids.items():
        path = path.replace(f"<int:{name}>", str(value))
    path = path.replace("<uidb64>", "MQ").replace("<token>", "abc-def")
    path = path.replace("<slug:processor>", "sandbox")
    leftover = re.search(r"<[^>]+>", path)
    assert leftover is None, f"add {leftover.group()} to matrix.object_ids: {route}"
    return path


def path_of(name: str, ids: dict[str, int]) -> str:
    """The path of URL ``name`` with ``ids`` and its row's query string."""
    row = URLS.get(name)
    return fill(ALL_URLS[name], ids) + (row.query if row else "")


def make_user(merchant: Merchant, role: str, **fields) -> User:
    """An active user of ``merchant`` holding ``role``'s permissions."""
    if role == ADMINISTRATOR:
        role_obj = AdministratorRoleFactory(merchant=merchant)
    else:
        role_obj = RoleFactory(
            merchant=merchant,
            name=role.replace("_", " ").title(),
            permissions=list(ROLES[role]),
        )
    return UserFactory(merchant=merchant, role=role_obj, **fields)


def object_ids(merchant: Merchant) -> dict[str, int]:
    """Fresh objects of ``merchant``, one of each kind a URL can name.

    The user and the role are nobody's in particular (not the requester, not
    in use by the requester), so that actions on them are allowed and do not
    end the requester's session.
    """
    manager_role = RoleFactory(merchant=merchant, permissions=[USERS_MANAGE])
    creator = UserFactory(merchant=merchant, role=manager_role)
    subject = UserFactory(merchant=merchant, role=manager_role)
    spare_role = RoleFactory(merchant=merchant, permissions=[PAYMENTS_VIEW])
    payment = PaymentFactory(merchant=merchant)
    refund = RefundFactory(
        payment=payment,
        status="awaiting_approval",
        processor_ref=None,
        created_by=creator,
    )
    # Open for evidence: due in ten days.
    dispute = DisputeFactory(
        payment=payment, evidence_due_by=timezone.now() + timedelta(days=10)
    )
    evidence = EvidenceFile(
        merchant=merchant,
        dispute=dispute,
        token=f"matrix{dispute.pk}",
        name="letter.pdf",
        content_type="application/pdf",
        size=len(PDF),
        uploaded_by=creator,
        uploaded_at=dispute.opened_at,
    )
    # A real stored file, so that downloading it can succeed.
    evidence.file.save(f"matrix{dispute.pk}.pdf", ContentFile(PDF), save=True)
    return {
        "user_id": subject.pk,
        "role_id": spare_role.pk,
        "payment_id": payment.pk,
        "refund_id": refund.pk,
        "dispute_id": dispute.pk,
        "file_id": evidence.pk,
    }
