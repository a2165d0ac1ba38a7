"""Hold half-signed-in visitors on the code page, and enforce the firm's
"Require two-step sign-in for everyone" (DESIGN §4, PCI DSS 8.4)."""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.urls import reverse

from payportal.accounts.mfa import state
from payportal.core.htmx import redirect_to


def _static_prefix() -> str:
    static = settings.STATIC_URL or "/static/"
    return static if static.startswith("/") else "/" + static


class MFAMiddleware:
    """Three rules, in this order:

    1. A visitor between password and code sees only the code pages and
       Log out; every other URL sends them to the code page.
    2. A signed-in session whose user's confirmed factors changed since it
       began is ended (a factor change ends the user's other sessions).
    3. In a firm that requires two-step sign-in, a user without a
       confirmed factor sees only the enrolment page and Log out (after
       a temporary password has been replaced: that page comes first).
    """

    CODE_PAGES = (
        "accounts:mfa_verify",
        "accounts:mfa_recovery",
        "accounts:mfa_passkey",
        "accounts:logout",
    )
    ENROL_PAGES = ("accounts:mfa_setup", "accounts:logout")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        path = request.path
        if path.startswith(_static_prefix()):
            return self.get_response(request)
        if not user.is_authenticated:
            pending = state.get_pending(request.session)
            if pending is not None and not pending.expired:
                allowed = {reverse(name) for name in self.CODE_PAGES}
                if path not in allowed:
                    return redirect_to(request, reverse("accounts:mfa_verify"))
            return self.get_response(request)
        # One query per signed-in request: the user's confirmed factors.
        factors = state.factor_fingerprint(user)
        if request.session.get(state.FACTORS, "") != factors:
            logout(request)
            if request.method in ("GET", "HEAD") and not request.htmx:
                return redirect_to_login(request.get_full_path())
            return redirect_to(request, resolve_url(settings.LOGIN_URL))
        merchant = getattr(request, "merchant", None)
        if (
            not factors
            and merchant is not None
            and merchant.require_mfa
            and not user.must_change_password
        ):
            allowed = {reverse(name) for name in self.ENROL_PAGES}
            if path not in allowed:
                # The enrolment page says why (MessageMiddleware runs later,
                # so no message from here).
                return redirect_to(request, reverse("accounts:mfa_setup"))
        return self.get_response(request)
