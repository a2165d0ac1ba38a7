"""Account lockout through django-axes (PCI DSS 8.3.4).

Axes counts failures per lower-cased username, known or not, and locks at
the 10th for 30 minutes. These helpers are the portal's only contact with
axes: the login view, the user record (Locked badge, Unlock) and tests use
them.

How axes counts (axes/handlers/database.py, AxesDatabaseHandler): every
failure updates one AccessAttempt row per (username, address, browser)
with ``failures_since_start += 1`` and ``attempt_time = now``, after
deleting rows whose last failure is 30 minutes old or more. The username's
count is the *sum* over its rows whose ``attempt_time`` is within the last
30 minutes, so failures from several addresses add up. Right after
recording a failure axes compares the count with the limit: the 10th
failure itself already locks (that request is answered by
``lockout_response``), and from then on every attempt, even with the right
password, is refused without being counted, until 30 minutes have passed
since the 10th failure. A success before the limit clears the count
(AXES_RESET_ON_SUCCESS).

The boundary: a failure counts while ``now - attempt_time < 30 minutes``,
so an account locked at 10:00:00 is still locked at 10:29:59 and open at
10:30:00 (Keycloak's rule). Axes keeps rows whose ``attempt_time >= now -
cool-off``, which would still count them at exactly 30:00; the cool-off it
is given (``axes_cool_off``) is therefore one microsecond, the databases'
resolution, short of 30 minutes.
"""

import unicodedata
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from payportal.core.validators import redact_card_numbers

# PCI DSS 8.3.4: at least 30 minutes, or until an administrator unlocks.
LOCK_DURATION = timedelta(minutes=30)


def axes_cool_off(request: HttpRequest | None = None) -> timedelta:
    """AXES_COOLOFF_TIME: the lock ends at exactly 30:00, not one tick later."""
    return LOCK_DURATION - timedelta(microseconds=1)


def normalise_username(username: str | None) -> str:
    # NFKC as Django's login form's UsernameField does, so a username read
    # from the raw POST matches the one axes got through authenticate().
    # A card number typed as a username is kept masked in axes' records.
    typed = unicodedata.normalize("NFKC", (username or "").strip())
    return redact_card_numbers(typed).lower()


def username_from_request(
    request: HttpRequest, credentials: dict[str, Any] | None
) -> str:
    """AXES_USERNAME_CALLABLE: count attempts on the case-folded username."""
    if credentials and "username" in credentials:
        return normalise_username(credentials["username"])
    return normalise_username(request.POST.get("username"))


def _counted_attempts() -> QuerySet[AccessAttempt]:
    # The attempt rows that still count: last failure under 30 minutes ago.
    threshold = timezone.now() - LOCK_DURATION
    return AccessAttempt.objects.filter(attempt_time__gt=threshold)


def failure_count(username: str) -> int:
    """Failed sign-ins of ``username`` that still count, as axes sums them."""
    total = (
        _counted_attempts()
        .filter(username=normalise_username(username))
        .aggregate(total=Sum("failures_since_start"))["total"]
    )
    return total or 0


def locked_usernames(usernames: Iterable[str]) -> set[str]:
    """The case-folded usernames among ``usernames`` that are locked out.

    One query for a whole page of users (the Users page's Locked badge),
    with the rule of ``is_locked``.
    """
    names = {normalise_username(name) for name in usernames}
    if not names:
        return set()
    return set(
        _counted_attempts()
        .filter(username__in=names)
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .values_list("username", flat=True)
    )


def is_locked(username: str) -> bool:
    """True while ``username`` has 10 failures within the last 30 minutes.

    True at 29:59 after the last failure, False from exactly 30:00 (the
    rule axes applies too, given ``axes_cool_off``).
    """
    return failure_count(username) >= settings.AXES_FAILURE_LIMIT


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
