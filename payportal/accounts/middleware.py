"""Session rules of DESIGN §4 that Django does not enforce by itself."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

LOGIN_AT = "payportal_login_at"


class SessionLimitsMiddleware:
    """End a session 12 hours after sign-in, however active it has been.

    The 15-minute idle limit is SESSION_COOKIE_AGE with
    SESSION_SAVE_EVERY_REQUEST; an inactive user's session is refused by the
    authentication backend; a password change ends other sessions through
    Django's session auth hash.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get(LOGIN_AT)
            max_age = settings.PAYPORTAL_SESSION_MAX_AGE.total_seconds()
            if started is None or time.time() - started > max_age:
                logout(request)
                return redirect(settings.LOGIN_URL)
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
            if request.path not in allowed and not request.path.startswith(
                settings.STATIC_URL
                if settings.STATIC_URL.startswith("/")
                else "/" + settings.STATIC_URL
            ):
                return redirect("accounts:password_required")
        return self.get_response(request)
