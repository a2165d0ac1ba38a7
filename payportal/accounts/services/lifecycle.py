"""Account lifecycle: dormant accounts and password ages (PCI DSS 4.0).

The time rules, each with its boundary (``age`` is now minus the moment
the clock started):

- Dormant account (8.2.6): Active until its last sign-in (or, never signed
  in, its creation) is 90 days old; ``payportal sweep`` deactivates it when
  ``age >= 90 days``. 90 days minus one second: still Active.
- Temporary password (8.3.5; one set by an administrator or at firm
  creation, ``must_change_password``): works while ``age <= 72 hours``
  from when it was set, refused from 72 hours and one second, as the
  set-password link (tokens.py) is. "Unused" means not yet replaced: a
  sign-in with it leads straight to choosing one's own password.
- Password age (8.3.9): when the firm does not require two-step sign-in
  the password is the only factor, so it expires when ``age >= 90 days``
  since it was set; the user must choose a new one before any other page
  opens (PasswordChangeRequiredMiddleware). With two-step sign-in required
  passwords do not expire (8.3.10.1's alternative is the second factor).
- Minimum length (validators.FirmMinimumLengthValidator): 12 characters,
  or 15 when the firm does not require two-step sign-in (NIST SP 800-63B
  rev. 4: 15 for a password used as the only factor).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone

from payportal.accounts.models import User
from payportal.accounts.services import guards
from payportal.audit import actions
from payportal.audit.models import Outcome
from payportal.audit.services import record_event

DORMANT_AFTER = timedelta(days=90)
TEMPORARY_PASSWORD_LIFETIME = timedelta(hours=72)
PASSWORD_MAX_AGE = timedelta(days=90)
MIN_LENGTH = 12
MIN_LENGTH_WITHOUT_MFA = 15

# The actor of what the scheduler does.
SYSTEM_ACTOR = "system"
DORMANT_REASON = "No sign-in for 90 days"

# Messages, not secrets (hence the S105 exemptions).
TEMPORARY_PASSWORD_EXPIRED = (
    "Your temporary password has expired. Ask an administrator for a new one."  # noqa: S105
)
PASSWORD_EXPIRED = (
    "Your password has expired: without two-step sign-in, passwords last 90 "  # noqa: S105
    "days. Choose a new one to continue."
)


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def last_activity(user: User) -> datetime:
    """When the dormancy clock started: the last sign-in, else creation."""
    return user.last_login or user.created_at


def is_dormant(*, user: User, now: datetime | None = None) -> bool:
    """True once ``user`` has not signed in for 90 days (8.2.6)."""
    return _now(now) - last_activity(user) >= DORMANT_AFTER


def minimum_length(*, require_mfa: bool | None) -> int:
    """12 characters with two-step sign-in required; otherwise 15.

    ``None`` (the firm is not known yet) gets the stricter 15.
    """
    return MIN_LENGTH if require_mfa else MIN_LENGTH_WITHOUT_MFA


def _password_set_at(user: User) -> datetime:
    # password_changed_at is stamped by every save that sets a password
    # (validators.PasswordHistoryValidator); older rows fall back to the
    # account's creation.
    return user.password_changed_at or user.created_at


def temporary_password_expired(*, user: User, now: datetime | None = None) -> bool:
    """True when ``user`` holds a temporary password set over 72 hours ago."""
    if not user.must_change_password or not user.has_usable_password():
        return False
    return _now(now) - _password_set_at(user) > TEMPORARY_PASSWORD_LIFETIME


def password_expired(*, user: User, now: datetime | None = None) -> bool:
    """True when the firm does not require MFA and the password is 90 days old."""
    if user.merchant.require_mfa or not user.has_usable_password():
        return False
    return _now(now) - _password_set_at(user) >= PASSWORD_MAX_AGE


@transaction.atomic
def refuse_expired_temporary_password(
    *, user: User, request: HttpRequest | None
) -> None:
    """A sign-in with the right, but expired, temporary password.

    Only called once the password was checked, so the message tells
    nothing to someone who does not know it.
    Side effects: a ``password.temporary_expired`` event; the message for
    the login page (when the request carries messages). Raises nothing.
    """
    record_event(
        action=actions.PASSWORD_TEMPORARY_EXPIRED,
        merchant=user.merchant,
        actor_username=user.username,
        request=request,
        target=user,
        outcome=Outcome.FAILURE,
    )
    if request is not None:
        messages.error(request, TEMPORARY_PASSWORD_EXPIRED, fail_silently=True)


@transaction.atomic
def record_password_expired(*, user: User, request: HttpRequest | None) -> None:
    """A sign-in with a password past its 90 days: it must be changed now.

    Side effects: a ``password.expired`` event. Raises nothing.
    """
    record_event(
        action=actions.PASSWORD_EXPIRED,
        merchant=user.merchant,
        actor_username=user.username,
        request=request,
        target=user,
        changes={"reason": [None, "Password older than 90 days"]},
    )


@dataclass
class SweepReport:
    """What one sweep did: who was deactivated, who was kept and why."""

    deactivated: list[User] = field(default_factory=list)
    # Dormant, but the firm's last active user who can manage users.
    kept: list[User] = field(default_factory=list)


def _dormant(cutoff: datetime) -> Q:
    return Q(last_login__lte=cutoff) | Q(
        last_login__isnull=True, created_at__lte=cutoff
    )


def deactivate_dormant_users(*, now: datetime | None = None) -> SweepReport:
    """Deactivate every Active user with no sign-in for 90 days (8.2.6).

    Safe to run at any interval and twice at once: each user is switched
    off by a conditional UPDATE that only matches while they are still
    Active and still dormant, so a sign-in that lands during the sweep
    wins, and a second sweep finds nothing to do.

    A firm always keeps one active user who can manage users (DESIGN §4):
    a dormant last user manager stays Active and is reported in ``kept``
    (the command prints a warning each run). Users are taken oldest
    activity first, so of several dormant managers the most recently
    active one is kept.

    Side effects, per user deactivated and in one transaction per firm: the
    ``is_active`` flag, a ``user.deactivated_inactive`` event (actor
    "system"). Their open sessions end at the next request, as for any
    deactivation (the authentication backend refuses inactive users).
    Raises nothing.
    """
    now = _now(now)
    cutoff = now - DORMANT_AFTER
    candidates = list(
        User.objects.filter(_dormant(cutoff), is_active=True)
        .select_related("merchant", "role")
        .order_by(Coalesce("last_login", "created_at"), "pk")
    )
    report = SweepReport()
    by_firm: dict[int, list[User]] = {}
    for user in candidates:
        by_firm.setdefault(user.merchant_id, []).append(user)
    for users in by_firm.values():
        with transaction.atomic():
            guards.lock_merchant(users[0].merchant)
            for user in users:
                try:
                    guards.ensure_user_manager_remains(
                        merchant=user.merchant, user=user, user_active=False
                    )
                except ValidationError:
                    report.kept.append(user)
                    continue
                switched = User.objects.filter(
                    _dormant(cutoff), pk=user.pk, is_active=True
                ).update(is_active=False)
                if not switched:
                    continue
                user.is_active = False
                record_event(
                    action=actions.USER_DEACTIVATED_INACTIVE,
                    merchant=user.merchant,
                    actor_username=SYSTEM_ACTOR,
                    target=user,
                    changes={
                        "status": ["Active", "Inactive"],
                        "reason": [None, DORMANT_REASON],
                    },
                )
                report.deactivated.append(user)
    return report
