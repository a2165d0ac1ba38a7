import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse

from payportal.accounts.permissions import (
    AUDIT_VIEW,
    DASHBOARD_VIEW,
    PAYMENTS_VIEW,
    SETTINGS_MANAGE,
    USERS_MANAGE,
)

# (URL name, label, permission, icon), in menu order.
MENU = (
    ("dashboard", "Dashboard", DASHBOARD_VIEW, "home"),
    ("payments:payment_list", "Transactions", PAYMENTS_VIEW, "card"),
    ("payments:refund_list", "Refunds", PAYMENTS_VIEW, "refund"),
    ("payments:dispute_list", "Chargebacks", PAYMENTS_VIEW, "flag"),
    ("accounts:user_list", "Users", USERS_MANAGE, "users"),
    ("accounts:role_list", "Roles", USERS_MANAGE, "shield"),
    ("audit:event_list", "Audit log", AUDIT_VIEW, "list"),
    ("merchants:settings", "Settings", SETTINGS_MANAGE, "settings"),
)


@functools.lru_cache(maxsize=16)
def _menu_urls(urlconf: str | None, prefix: str) -> tuple[str, ...]:
    # Every page draws the menu: its URLs are reversed once for each URL
    # configuration and script prefix (the arguments only key the cache;
    # reverse() reads both itself).
    return tuple(reverse(name) for name, _label, _code, _icon in MENU)


def portal(request: HttpRequest) -> dict[str, Any]:
    """The left menu, built from the user's permissions (DESIGN §7)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": []}
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    urls = _menu_urls(urlconf, get_script_prefix())
    menu = []
    for url, (_name, label, code, icon) in zip(urls, MENU, strict=True):
        if not user.can(code):
            continue
        current = request.path == url or (url != "/" and request.path.startswith(url))
        menu.append({"url": url, "label": label, "icon": icon, "current": current})
    return {"menu": menu}
