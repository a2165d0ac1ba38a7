"""Walk every URL of the portal: tenancy, permissions, anonymous access.

The URL list comes from the resolver, so a new view is walked without
anyone remembering to add it; a view missing from the tables below fails.
"""

from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from payportal.accounts.permissions import (
    AUDIT_VIEW,
    DISPUTES_RESPOND,
    PAYMENTS_EXPORT,
    PAYMENTS_VIEW,
    REFUNDS_APPROVE,
    REFUNDS_CREATE,
    SETTINGS_MANAGE,
    USERS_MANAGE,
)
from payportal.accounts.tests.factories import RoleFactory, UserFactory
from payportal.payments.models import EvidenceFile
from payportal.payments.tests.factories import (
    DisputeFactory,
    PaymentFactory,
    RefundFactory,
)

pytestmark = pytest.mark.django_db

# URL name -> the permission it needs (None: any signed-in user).
PROTECTED = {
    "dashboard": None,
    "accounts:profile": None,
    "accounts:profile_edit": None,
    "accounts:profile_password": None,
    "accounts:user_list": USERS_MANAGE,
    "accounts:user_add": USERS_MANAGE,
    "accounts:user_detail": USERS_MANAGE,
    "accounts:user_edit": USERS_MANAGE,
    "accounts:user_reset_password": USERS_MANAGE,
    "accounts:user_unlock": USERS_MANAGE,
    "accounts:role_list": USERS_MANAGE,
    "accounts:role_add": USERS_MANAGE,
    "accounts:role_detail": USERS_MANAGE,
    "accounts:role_edit": USERS_MANAGE,
    "accounts:role_delete": USERS_MANAGE,
    "audit:event_list": AUDIT_VIEW,
    "audit:event_export": AUDIT_VIEW,
    "accounts:user_access_review": USERS_MANAGE,
    "accounts:user_reset_mfa": USERS_MANAGE,
    "accounts:mfa_setup": None,
    "accounts:mfa_remove": None,
    "accounts:mfa_passkey_add": None,
    "accounts:mfa_recovery_codes": None,
    "merchants:settings": SETTINGS_MANAGE,
    "merchants:settings_edit": SETTINGS_MANAGE,
    "payments:payment_list": PAYMENTS_VIEW,
    "payments:payment_export": PAYMENTS_EXPORT,
    "payments:payment_detail": PAYMENTS_VIEW,
    "payments:refund_create": REFUNDS_CREATE,
    "payments:refund_list": PAYMENTS_VIEW,
    "payments:approval_list": REFUNDS_APPROVE,
    "payments:refund_approve": REFUNDS_APPROVE,
    "payments:refund_reject": REFUNDS_APPROVE,
    "payments:dispute_list": PAYMENTS_VIEW,
    "payments:dispute_detail": PAYMENTS_VIEW,
    "payments:dispute_evidence": DISPUTES_RESPOND,
    "payments:evidence_file_add": DISPUTES_RESPOND,
    "payments:evidence_file_download": PAYMENTS_VIEW,
    "payments:evidence_file_remove": DISPUTES_RESPOND,
    "payments:dispute_submit": DISPUTES_RESPOND,
    "payments:dispute_accept": DISPUTES_RESPOND,
}
# Open to visitors: signing in and recovering a password.
PUBLIC = {
    "healthz",
    "accounts:logout",
    "accounts:password_required",
    "accounts:reset_request",
    "accounts:reset_sent",
    "accounts:reset_confirm",
    "accounts:set_password",
    "accounts:reset_complete",
    # Used between the password and the second factor, before sign-in.
    "accounts:mfa_verify",
    "accounts:mfa_recovery",
    "accounts:mfa_passkey",
    # Authenticated by the processor's signature instead of a session.
    "processors:webhook",
}


def iter_patterns(resolver: URLResolver, prefix: str = "", ns: str = "") -> Iterator:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{ns}{entry.namespace}:" if entry.namespace else ns
            yield from iter_patterns(entry, prefix + str(entry.pattern), namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield ns + entry.name, prefix + str(entry.pattern)


ALL_URLS = dict(iter_patterns(get_resolver()))


def fill(route: str, ids: dict[str, int]) -> str:
    path = "/" + route
    for name, value in ids.items():
        path = path.replace(f"<int:{name}>", str(value))
    path = path.replace("<uidb64>", "MQ").replace("<token>", "abc-def")
    path = path.replace("<slug:processor>", "sandbox")
    return path


def test_walker_knows_every_url():
    assert set(ALL_URLS) == set(PROTECTED) | PUBLIC


def object_ids(merchant, user) -> dict[str, int]:
    """One of each object a URL can name, in ``merchant``."""
    payment = PaymentFactory(merchant=merchant)
    refund = RefundFactory(
        payment=payment, status="awaiting_approval", processor_ref=None
    )
    dispute = DisputeFactory(payment=payment)
    evidence = EvidenceFile.objects.create(
        merchant=merchant,
        dispute=dispute,
        token=f"walker{dispute.pk}",
        file=f"evidence/walker{dispute.pk}",
        name="letter.pdf",
        content_type="application/pdf",
        size=10,
        uploaded_by=user,
        uploaded_at=dispute.opened_at,
    )
    return {
        "user_id": user.pk,
        "role_id": user.role_id,
        "payment_id": payment.pk,
        "refund_id": refund.pk,
        "dispute_id": dispute.pk,
        "file_id": evidence.pk,
    }


@pytest.fixture
def other_ids(other_merchant):
    role = RoleFactory(merchant=other_merchant, permissions=[USERS_MANAGE])
    user = UserFactory(merchant=other_merchant, role=role)
    return object_ids(other_merchant, user)


@pytest.fixture
def own_ids(merchant, admin):
    return object_ids(merchant, admin)


@pytest.mark.parametrize("name", sorted(n for n in PROTECTED if "<int:" in ALL_URLS[n]))
@pytest.mark.parametrize("method", ["get", "post"])
def test_walker_other_merchants_ids_are_404(name, method, admin_client, other_ids):
    path = fill(ALL_URLS[name], other_ids)

    response = getattr(admin_client, method)(path)

    assert response.status_code == 404, path


@pytest.mark.parametrize(
    "name", sorted(n for n, code in PROTECTED.items() if code is not None)
)
def test_walker_refuses_users_without_the_permission(
    name, client_as, user_with, own_ids
):
    # Holds every other permission, just not the one this view needs.
    from payportal.accounts.permissions import ALL_CODES

    user = user_with(*[c for c in ALL_CODES if c != PROTECTED[name]])

    response = client_as(user).get(fill(ALL_URLS[name], own_ids))

    assert response.status_code == 403


@pytest.mark.parametrize("name", sorted(n for n in PROTECTED if n != "dashboard"))
def test_walker_sends_visitors_to_login(name, anon_client, own_ids):
    path = fill(ALL_URLS[name], own_ids)

    response = anon_client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/?next=")


@pytest.mark.parametrize("name", sorted(PROTECTED))
def test_walker_refuses_posts_without_csrf_token(name, admin, own_ids):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)

    response = client.post(fill(ALL_URLS[name], own_ids), {"full_name": "X"})

    assert response.status_code == 403
    admin.refresh_from_db()
    assert admin.full_name == "Ada Admin"
