"""Session rules of DESIGN §4 that Django does not enforce by itself."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.urls import reverse

from payportal.core.htmx import redirect_to

LOGIN_AT = "payportal_login_at"
SEEN_AT = "payportal_seen_at"


class SessionLimitsMiddleware:
    """End a session 15 minutes idle or 12 hours after sign-in.

    The session store expires idle sessions too (SESSION_COOKIE_AGE, a
    minute longer, with SESSION_SAVE_EVERY_REQUEST), but each store keeps
    time its own way (Redis by its own clock); checking the time of the
    last request here makes the rule the same on every store: alive at
    exactly 15:00 idle, ended at 15:00 and one second. An inactive user's session is
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
            idle = settings.PAYPORTAL_SESSION_IDLE.total_seconds()
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
    """Hold a user on the change page until they choose a password.

    Two reasons: a temporary password (PCI 8.3.5, ``must_change_password``)
    and, when the firm does not require two-step sign-in, a password past
    its 90 days (8.3.9, services/lifecycle.py). The second is worked out on
    every request rather than stored, so it starts mid-session too and ends
    by itself when the password changes or the firm turns on two-step
    sign-in; the request's user is flagged for this request only, which
    lets the change page (RequiredPasswordView) accept them.
    """

    ALLOWED = ("accounts:password_required", "accounts:logout")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        expired = False
        if user.is_authenticated and not user.must_change_password:
            from payportal.accounts.services import lifecycle

            expired = lifecycle.password_expired(user=user)
            if expired:
                user.must_change_password = True
                request.password_expired = True  # type: ignore[attr-defined]
        if user.is_authenticated and user.must_change_password:
            allowed = {reverse(name) for name in self.ALLOWED}
            static = settings.STATIC_URL
            static = static if static.startswith("/") else "/" + static
            if request.path not in allowed and not request.path.startswith(static):
                response = redirect_to(request, reverse("accounts:password_required"))
                if expired:
                    _add_message(request, response, lifecycle.PASSWORD_EXPIRED)
                return response
        return self.get_response(request)


def _add_message(request: HttpRequest, response: HttpResponse, text: str) -> None:
    # This middleware runs before MessageMiddleware and answers without
    # calling it, so it stores the message itself, as that one would.
    storage = default_storage(request)
    storage.add(messages.WARNING, text)
    storage.update(response)
