"""Account lockout through django-axes (PCI DSS 8.3.4).

Axes counts failures per lower-cased username, known or not, and locks at
the 10th for 30 minutes. These helpers are the portal's only contact with
axes: the login view, the user record (Locked badge, Unlock) and tests use
them.
"""

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone


def normalise_username(username: str | None) -> str:
    return (username or "").strip().lower()


def username_from_request(
    request: HttpRequest, credentials: dict[str, Any] | None
) -> str:
    """AXES_USERNAME_CALLABLE: count attempts on the case-folded username."""
    if credentials and "username" in credentials:
        return normalise_username(credentials["username"])
    return normalise_username(request.POST.get("username"))


def is_locked(username: str) -> bool:
    """True while ``username`` has 10 failures within the last 30 minutes."""
    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(
        username=normalise_username(username),
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=threshold,
    ).exists()


def unlock(username: str) -> int:
    """Clear the failure count of ``username``; returns the rows removed."""
    return AxesProxyHandler.reset_attempts(username=normalise_username(username))


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a locked account sees the same generic error.

    The page must not reveal that the account is locked (nor that it
    exists); the login view renders its usual form and message.
    """
    from payportal.accounts.views.auth import render_login_failure

    return render_login_failure(request)
