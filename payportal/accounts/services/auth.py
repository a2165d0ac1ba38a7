"""Signing in and out and password recovery: the writes, each audited.

Counting failures and locking accounts is django-axes' job (lockout.py);
these functions record what happened and carry out password recovery.
Events of a sign-in attempt name the account tried (its firm sees them in
its audit log); an attempt on a username that does not exist belongs to no
firm and keeps only what was typed.
"""

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest

from payportal.accounts.models import User
from payportal.accounts.services import mail
from payportal.accounts.services.users import validate_new_password
from payportal.audit import actions
from payportal.audit.models import AuditEvent, Outcome
from payportal.audit.services import record_event
from payportal.core.validators import redact_card_numbers

# AuditEvent.actor_username's length.
_SNAPSHOT_LENGTH = 150

# Which link completed a password (the two single-use links of tokens.py).
RESET_LINK = "reset"
SET_PASSWORD_LINK = "set"  # noqa: S105 - a name, not a secret


def find_account(username: str) -> User | None:
    """The user signing in as ``username`` (ignoring case), if there is one."""
    username = (username or "").strip()
    if not username:
        return None
    return (
        User.objects.select_related("merchant")
        .filter(username__iexact=username)
        .first()
    )


def _record_attempt(
    *, action: str, username: str, request: HttpRequest | None
) -> AuditEvent:
    # Nobody is signed in during an attempt, so the actor is only the
    # username typed; the account tried, if it exists, is the target.
    account = find_account(username)
    return record_event(
        action=action,
        merchant=account.merchant if account is not None else None,
        # What was typed may be a card number pasted into the wrong box:
        # the trail keeps it masked to its last four (PCI DSS 3.4).
        actor_username=redact_card_numbers((username or "").strip())[:_SNAPSHOT_LENGTH],
        request=request,
        target=account,
        outcome=Outcome.FAILURE,
    )


@transaction.atomic
def record_login_succeeded(*, user: User, request: HttpRequest | None) -> None:
    """Side effects: a ``login.succeeded`` event. Raises nothing."""
    record_event(
        action=actions.LOGIN_SUCCEEDED,
        merchant=user.merchant,
        actor=user,
        request=request,
        target=user,
    )


@transaction.atomic
def record_login_failed(
    *, username: str, request: HttpRequest | None, locked_out: bool = False
) -> None:
    """A refused sign-in as ``username`` (wrong password, unknown, locked).

    ``locked_out`` says this failure is the one that locked the account
    (the 10th): a ``login.locked_out`` event follows the ``login.failed``.
    Raises nothing.
    """
    _record_attempt(action=actions.LOGIN_FAILED, username=username, request=request)
    if locked_out:
        _record_attempt(
            action=actions.LOGIN_LOCKED_OUT, username=username, request=request
        )


@transaction.atomic
def record_login_throttled(*, username: str, request: HttpRequest | None) -> None:
    """Side effects: a ``login.throttled`` event. Raises nothing."""
    _record_attempt(action=actions.LOGIN_THROTTLED, username=username, request=request)


@transaction.atomic
def record_logout(*, user: User, request: HttpRequest | None) -> None:
    """Side effects: a ``logout`` event. Raises nothing."""
    record_event(
        action=actions.LOGOUT,
        merchant=user.merchant,
        actor=user,
        request=request,
        target=user,
    )


@transaction.atomic
def record_session_expired(*, user: User, request: HttpRequest | None) -> None:
    """The 12-hour limit ended ``user``'s session (SessionLimitsMiddleware).

    Idle sessions simply vanish server-side, so only this limit is seen.
    Side effects: a ``session.expired`` event. Raises nothing.
    """
    record_event(
        action=actions.SESSION_EXPIRED,
        merchant=user.merchant,
        actor=user,
        request=request,
        target=user,
        changes={"reason": [None, "12-hour limit"]},
    )


@transaction.atomic
def request_password_reset(*, login: str, request: HttpRequest | None) -> int:
    """Email a reset link to each Active user whose username or email is ``login``.

    Both compare ignoring case. An email address can belong to several
    users (one person with logins at two firms): each gets their own link.
    A user without a usable password (invited, or reset by an
    administrator with a link) may use it too: it is their way back if the
    set-password email was lost.

    The caller answers the same whether or not anyone matched; the return
    value (how many were sent) is for tests and commands only.
    Side effects: a ``password.reset_requested`` event per match; the
    emails after commit. Raises nothing.
    """
    login = (login or "").strip()
    if not login:
        return 0
    users = list(
        User.objects.select_related("merchant")
        .filter(Q(username__iexact=login) | Q(email__iexact=login), is_active=True)
        .order_by("pk")
    )
    for user in users:
        record_event(
            action=actions.PASSWORD_RESET_REQUESTED,
            merchant=user.merchant,
            request=request,
            target=user,
        )
        mail.send_password_reset(user, request=request)
    return len(users)


@transaction.atomic
def record_reset_throttled(*, login: str, request: HttpRequest | None) -> None:
    """Side effects: a ``password.reset_throttled`` event, of no firm.

    What was typed may be an email address, so it is not kept.
    Raises nothing.
    """
    record_event(
        action=actions.PASSWORD_RESET_THROTTLED,
        merchant=None,
        request=request,
        outcome=Outcome.FAILURE,
    )


@transaction.atomic
def set_password_from_link(
    *, user: User, password: str, link: str, request: HttpRequest | None
) -> None:
    """Set ``user``'s password through an emailed single-use link.

    ``link`` is RESET_LINK (forgot password, 1 hour) or SET_PASSWORD_LINK
    (invite or administrator's reset, 72 hours); the view has checked its
    token. The new hash makes the link stop working and ends every open
    session of the user (their session auth hash no longer matches).
    A lockout stays as it is: the link proves the mailbox, not that the
    failed sign-ins were the owner's, and the 30 minutes or an
    administrator end it (DESIGN §4 does not unlock on reset).

    Side effects: saves the hash and clears ``must_change_password``; a
    ``password.reset_completed`` or ``password.set_with_link`` event.
    Raises ValidationError keyed ``password`` when the policy refuses it.
    """
    validate_new_password(password, user)
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    record_event(
        action=(
            actions.PASSWORD_RESET_COMPLETED
            if link == RESET_LINK
            else actions.PASSWORD_SET_WITH_LINK
        ),
        merchant=user.merchant,
        actor=user,
        request=request,
        target=user,
    )
