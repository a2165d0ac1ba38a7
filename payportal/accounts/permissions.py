"""The permission catalogue and the one way views ask about it.

Roles hold codes from ``CATALOGUE``; every check - the view decorator, the
left menu, templates - goes through ``User.can(code)``.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

DASHBOARD_VIEW = "dashboard.view"
PAYMENTS_VIEW = "payments.view"
PAYMENTS_EXPORT = "payments.export"
REFUNDS_CREATE = "refunds.create"
REFUNDS_APPROVE = "refunds.approve"
DISPUTES_RESPOND = "disputes.respond"
USERS_MANAGE = "users.manage"
AUDIT_VIEW = "audit.view"
SETTINGS_MANAGE = "settings.manage"

# code -> (label, help text), in the order the Roles form shows them.
CATALOGUE: dict[str, tuple[str, str]] = {
    DASHBOARD_VIEW: ("View dashboard", "See the dashboard's totals."),
    PAYMENTS_VIEW: ("View transactions", "See card transactions and their details."),
    PAYMENTS_EXPORT: ("Export transactions", "Download transactions as CSV."),
    REFUNDS_CREATE: ("Issue refunds", "Refund all or part of a payment."),
    REFUNDS_APPROVE: (
        "Approve refunds",
        "Approve or reject another user's refund that needs a second person.",
    ),
    DISPUTES_RESPOND: ("Respond to chargebacks", "Submit evidence or accept."),
    USERS_MANAGE: ("Manage users and roles", "Add, edit and deactivate users."),
    AUDIT_VIEW: ("View audit log", "Read the audit trail."),
    SETTINGS_MANAGE: ("Manage settings", "Change the firm's portal settings."),
}
ALL_CODES: tuple[str, ...] = tuple(CATALOGUE)


def permission_required(code: str) -> Callable[..., Any]:
    """Let a view run only for a signed-in user who ``can(code)``.

    Anonymous visitors go to the login page; a signed-in user without the
    permission gets 403 (their own firm's page, so no existence leak).
    """
    if code not in CATALOGUE:
        raise ValueError(f"Unknown permission code: {code}")

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                # Imported here: auth.views needs the user model loaded.
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            if not request.user.can(code):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# Starting points offered on the Add Role page (issue 3): key -> name,
# description and codes. A preset only fills the form; the role is an
# ordinary role once saved.
PRESETS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "operator": (
        "Operator",
        "Works with payments day to day: transactions, refunds and chargebacks.",
        (DASHBOARD_VIEW, PAYMENTS_VIEW, REFUNDS_CREATE, DISPUTES_RESPOND),
    ),
    "viewer": (
        "Viewer",
        "Reads the dashboard and transactions; changes nothing.",
        (DASHBOARD_VIEW, PAYMENTS_VIEW),
    ),
    "user-admin": (
        "User admin",
        "Manages users and roles and reads the audit log; sees no card data.",
        (USERS_MANAGE, AUDIT_VIEW),
    ),
    "reporting": (
        "Reporting",
        "Reads the dashboard and transactions and exports them as CSV.",
        (DASHBOARD_VIEW, PAYMENTS_VIEW, PAYMENTS_EXPORT),
    ),
}
