from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from payportal.accounts.permissions import (
    AUDIT_VIEW,
    DASHBOARD_VIEW,
    PAYMENTS_VIEW,
    SETTINGS_MANAGE,
    USERS_MANAGE,
)


def portal(request: HttpRequest) -> dict[str, Any]:
    """The left menu, built from the user's permissions (DESIGN §7)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": []}
    entries = [
        ("dashboard", "Dashboard", DASHBOARD_VIEW, "home"),
        ("payments:payment_list", "Transactions", PAYMENTS_VIEW, "card"),
        ("payments:refund_list", "Refunds", PAYMENTS_VIEW, "refund"),
        ("payments:dispute_list", "Chargebacks", PAYMENTS_VIEW, "flag"),
        ("accounts:user_list", "Users", USERS_MANAGE, "users"),
        ("accounts:role_list", "Roles", USERS_MANAGE, "shield"),
        ("audit:event_list", "Audit log", AUDIT_VIEW, "list"),
        ("merchants:settings", "Settings", SETTINGS_MANAGE, "settings"),
    ]
    menu = []
    for name, label, code, icon in entries:
        if not user.can(code):
            continue
        url = reverse(name)
        current = request.path == url or (url != "/" and request.path.startswith(url))
        menu.append({"url": url, "label": label, "icon": icon, "current": current})
    return {"menu": menu}
