"""Session rules of DESIGN §4 that Django does not enforce by itself."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.urls import reverse

from payportal.core.htmx import redirect_to

LOGIN_AT = "payportal_login_at"
SEEN_AT = "payportal_seen_at"


class SessionLimitsMiddleware:
    """End a session 15 minutes idle or 12 hours after sign-in.

    The session store expires idle sessions too (SESSION_COOKIE_AGE with
    SESSION_SAVE_EVERY_REQUEST), but each store keeps time its own way
    (Redis by its own clock); checking the time of the last request here
    makes the rule the same on every store. An inactive user's session is
    refused by the authentication backend; a password change ends other
    sessions through Django's session auth hash.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get(LOGIN_AT)
            seen = request.session.get(SEEN_AT, started)
            max_age = settings.PAYPORTAL_SESSION_MAX_AGE.total_seconds()
            idle = settings.SESSION_COOKIE_AGE
            if started is None or now - started > max_age or now - seen > idle:
                from payportal.accounts.services import auth as services

                services.record_session_expired(user=request.user, request=request)
                logout(request)
                if request.method in ("GET", "HEAD") and not request.htmx:
                    # Back to the same page after signing in again.
                    return redirect_to_login(request.get_full_path())
                return redirect_to(request, resolve_url(settings.LOGIN_URL))
            request.session[SEEN_AT] = now
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """Hold a user with a temporary password on the change page (PCI 8.3.5)."""

    ALLOWED = ("accounts:password_required", "accounts:logout")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.must_change_password:
            allowed = {reverse(name) for name in self.ALLOWED}
            static = settings.STATIC_URL
            static = static if static.startswith("/") else "/" + static
            if request.path not in allowed and not request.path.startswith(static):
                return redirect_to(request, reverse("accounts:password_required"))
        return self.get_response(request)
