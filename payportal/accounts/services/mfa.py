"""Writes of two-step sign-in (DESIGN §4, PCI DSS 8.4 and 8.5), each audited.

A change of a user's factors (enrolled, removed, reset by an
administrator) ends the user's other sessions: MFAMiddleware compares each
session's remembered factors with the user's (mfa/state.py). The caller
keeps its own session with ``state.remember_factors``.
"""

from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from payportal.accounts import lockout
from payportal.accounts.mfa import passkeys, recovery, totp
from payportal.accounts.models import RecoveryCode, SecondFactor, User
from payportal.audit import actions
from payportal.audit.models import Outcome
from payportal.audit.services import record_event

CODE_WRONG = "That code isn't right. Enter the 6-digit code your app shows now."
RECOVERY_CODE_WRONG = "That recovery code isn't right or was already used."
ALREADY_ON = "Two-step sign-in is already on."
OWN_FACTOR = "To change your own two-step sign-in, use your Profile."
NOTHING_TO_RESET = "This user hasn't set up two-step sign-in."
PASSKEY_FAILED = (
    "Your passkey wasn't accepted. Try again, or use your authenticator app."
)
PASSKEY_NOT_ADDED = "That passkey wasn't added. Try again."
PASSKEY_TAKEN = "That passkey is already added."
PASSKEY_NEEDS_APP = "Set up the authenticator app first: a passkey is added beside it."


def confirmed_factors(user: User) -> list[SecondFactor]:
    return list(user.second_factors.filter(confirmed_at__isnull=False))


def has_confirmed_factor(user: User) -> bool:
    return user.second_factors.filter(confirmed_at__isnull=False).exists()


def unused_recovery_codes(user: User) -> int:
    return user.recovery_codes.filter(used_at__isnull=True).count()


@transaction.atomic
def start_totp_enrolment(*, user: User) -> SecondFactor:
    """The user's unconfirmed authenticator-app factor, made if missing.

    Reused while unconfirmed, so reloading the page keeps the same QR code.
    Raises ValidationError when one is already confirmed.
    """
    factor = (
        SecondFactor.objects.select_for_update()
        .filter(user=user, kind=SecondFactor.Kind.TOTP)
        .first()
    )
    if factor is not None and factor.is_confirmed:
        raise ValidationError(ALREADY_ON, code="already_on")
    if factor is None:
        factor = SecondFactor.objects.create(
            user=user, kind=SecondFactor.Kind.TOTP, secret=totp.new_secret()
        )
    return factor


def _replace_recovery_codes(user: User) -> list[str]:
    codes = recovery.new_codes()
    user.recovery_codes.all().delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=recovery.hash_code(code)) for code in codes
    )
    return codes


def _accept_step(factor: SecondFactor, step: int) -> bool:
    # One UPDATE that only passes when no code of this step or a later one
    # was accepted before: two requests with the same code cannot both win.
    now = timezone.now()
    return (
        SecondFactor.objects.filter(pk=factor.pk)
        .filter(Q(last_step__isnull=True) | Q(last_step__lt=step))
        .update(last_step=step, last_used_at=now)
        == 1
    )


@transaction.atomic
def confirm_totp(
    *, user: User, factor: SecondFactor, code: str, request: HttpRequest | None
) -> list[str]:
    """Turn on the authenticator app with its first code; returns 10 codes.

    The caller has checked the current password. The recovery codes are
    returned once, to show; only their hashes are kept.
    Side effects: confirms ``factor``, replaces the recovery codes, an
    ``mfa.enabled`` event; the user's other sessions end.
    Raises ValidationError keyed ``code`` for a wrong or used code.
    """
    factor = SecondFactor.objects.select_for_update().get(pk=factor.pk, user=user)
    if factor.is_confirmed:
        raise ValidationError({"code": ValidationError(ALREADY_ON, code="already_on")})
    step = totp.matching_step(factor.secret, code)
    if step is None or not _accept_step(factor, step):
        raise ValidationError({"code": ValidationError(CODE_WRONG, code="wrong_code")})
    factor.confirmed_at = timezone.now()
    factor.save(update_fields=["confirmed_at"])
    codes = _replace_recovery_codes(user)
    record_event(
        action=actions.MFA_ENABLED,
        merchant=user.merchant,
        actor=user,
        request=request,
        target=user,
        changes={"two_step": [None, factor.get_kind_display()]},
    )
    return codes


@transaction.atomic
def remove_factors(*, user: User, request: HttpRequest | None) -> None:
    """The user turns off their own two-step sign-in (password checked).

    Side effects: deletes the user's factors and recovery codes, an
    ``mfa.disabled`` event; the user's other sessions end. Raises nothing.
    """
    kinds = [f.get_kind_display() for f in confirmed_factors(user)]
    user.second_factors.all().delete()
    user.recovery_codes.all().delete()
    record_event(
        action=actions.MFA_DISABLED,
        merchant=user.merchant,
        actor=user,
        request=request,
        target=user,
        changes={"two_step": [", ".join(kinds) or None, None]},
    )


@transaction.atomic
def reset_factors(*, user: User, actor: User, request: HttpRequest | None) -> None:
    """An administrator removes ``user``'s second factor (lost phone).

    The user signs in with their password alone next time, and must enrol
    again if the firm requires it. Side effects: deletes the user's
    factors and recovery codes, an ``mfa.reset_by_admin`` event; every
    session of the user ends. Raises ValidationError for one's own
    factor (Profile asks for the password) or a user without one.
    """
    if actor.pk == user.pk:
        raise ValidationError(OWN_FACTOR, code="own_factor")
    kinds = [f.get_kind_display() for f in confirmed_factors(user)]
    if not kinds:
        raise ValidationError(NOTHING_TO_RESET, code="nothing_to_reset")
    user.second_factors.all().delete()
    user.recovery_codes.all().delete()
    record_event(
        action=actions.MFA_RESET_BY_ADMIN,
        merchant=user.merchant,
        actor=actor,
        request=request,
        target=user,
        changes={"two_step": [", ".join(kinds), None]},
    )


@transaction.atomic
def regenerate_recovery_codes(*, user: User, request: HttpRequest | None) -> list[str]:
    """New recovery codes (password checked); the old ones stop working.

    Side effects: replaces the codes, an ``mfa.recovery_codes_regenerated``
    event. Raises ValidationError when two-step sign-in is off.
    """
    if not has_confirmed_factor(user):
        raise ValidationError("Turn on two-step sign-in first.", code="off")
    codes = _replace_recovery_codes(user)
    record_event(
        action=actions.MFA_RECOVERY_CODES_REGENERATED,
        merchant=user.merchant,
        actor=user,
        request=request,
        target=user,
    )
    return codes


@transaction.atomic
def verify_totp_code(*, user: User, code: str) -> bool:
    """True once for the current step's code of the user's confirmed app."""
    factor = (
        SecondFactor.objects.select_for_update()
        .filter(user=user, kind=SecondFactor.Kind.TOTP, confirmed_at__isnull=False)
        .first()
    )
    if factor is None:
        return False
    step = totp.matching_step(factor.secret, code)
    return step is not None and _accept_step(factor, step)


@transaction.atomic
def use_recovery_code(*, user: User, code: str, request: HttpRequest | None) -> bool:
    """True once per recovery code; records ``mfa.recovery_code_used``."""
    if not recovery.looks_like_code(code) or not has_confirmed_factor(user):
        return False
    row = user.recovery_codes.filter(
        code_hash=recovery.hash_code(code), used_at__isnull=True
    ).first()
    if row is None:
        return False
    used = RecoveryCode.objects.filter(pk=row.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if used != 1:
        return False
    record_event(
        action=actions.MFA_RECOVERY_CODE_USED,
        merchant=user.merchant,
        actor=user,
        request=request,
        target=user,
        changes={"recovery_codes_left": [None, unused_recovery_codes(user)]},
    )
    return True


def record_code_failed(*, user: User, request: HttpRequest) -> bool:
    """A wrong code after a right password: counted like a wrong password.

    The failure goes through axes (Django's ``user_login_failed`` signal,
    as ``authenticate`` sends it), so it adds to the same 10-failure,
    30-minute lockout of the username. Returns True when this failure
    locked the account. Side effects: an axes attempt, a
    ``login.mfa_failed`` event and, when it locked, ``login.locked_out``.
    """
    was_locked = lockout.is_locked(user.username)
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.username},
        request=request,
    )
    locked = not was_locked and lockout.is_locked(user.username)
    with transaction.atomic():
        for action in (
            [actions.LOGIN_MFA_FAILED, actions.LOGIN_LOCKED_OUT]
            if locked
            else [actions.LOGIN_MFA_FAILED]
        ):
            record_event(
                action=action,
                merchant=user.merchant,
                actor_username=user.username,
                request=request,
                target=user,
                outcome=Outcome.FAILURE,
            )
    return locked


def passkey_ids(user: User) -> list[str]:
    """The credential ids of the user's passkeys (base64url)."""
    return list(
        user.second_factors.filter(
            kind=SecondFactor.Kind.PASSKEY, confirmed_at__isnull=False
        ).values_list("credential_id", flat=True)
    )


def has_passkey(user: User) -> bool:
    return user.second_factors.filter(
        kind=SecondFactor.Kind.PASSKEY, confirmed_at__isnull=False
    ).exists()


@transaction.atomic
def add_passkey(
    *,
    user: User,
    credential: str,
    challenge: bytes | None,
    relying: passkeys.Relying,
    request: HttpRequest | None,
) -> SecondFactor:
    """Add a passkey beside the user's authenticator app.

    The caller has checked the current password and taken ``challenge``
    out of the session (None when there was none: refused). Side effects:
    a confirmed passkey row, an ``mfa.passkey_added`` event; the user's
    other sessions end. Raises ValidationError when two-step sign-in is
    off, or the browser's answer does not verify or is already added.
    """
    if not has_confirmed_factor(user):
        raise ValidationError(PASSKEY_NEEDS_APP, code="off")
    if challenge is None:
        raise ValidationError(PASSKEY_NOT_ADDED, code="no_challenge")
    try:
        new = passkeys.verify_registration(
            credential=credential, challenge=challenge, relying=relying
        )
    except passkeys.PasskeyError as error:
        raise ValidationError(PASSKEY_NOT_ADDED, code="invalid") from error
    if SecondFactor.objects.filter(
        kind=SecondFactor.Kind.PASSKEY, credential_id=new.credential_id
    ).exists():
        raise ValidationError(PASSKEY_TAKEN, code="taken")
    before = len(passkey_ids(user))
    factor = SecondFactor.objects.create(
        user=user,
        kind=SecondFactor.Kind.PASSKEY,
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
        confirmed_at=timezone.now(),
    )
    record_event(
        action=actions.MFA_PASSKEY_ADDED,
        merchant=user.merchant,
        actor=user,
        request=request,
        target=user,
        changes={"passkeys": [before, before + 1]},
    )
    return factor


@transaction.atomic
def verify_passkey(
    *,
    user: User,
    credential: str,
    challenge: bytes | None,
    relying: passkeys.Relying,
) -> bool:
    """True for a valid signature by one of the user's passkeys over the
    session's challenge (which the caller has taken out: single use).

    The authenticator's counter is stored in one conditional UPDATE, so
    two requests with the same answer cannot both win.
    """
    if challenge is None:
        return False
    credential_id = passkeys.credential_id_of(credential)
    if credential_id is None:
        return False
    factor = (
        SecondFactor.objects.select_for_update()
        .filter(
            user=user,
            kind=SecondFactor.Kind.PASSKEY,
            confirmed_at__isnull=False,
            credential_id=credential_id,
        )
        .first()
    )
    if factor is None:
        return False
    try:
        count = passkeys.verify_assertion(
            credential=credential,
            challenge=challenge,
            relying=relying,
            public_key=bytes(factor.public_key),
            sign_count=factor.sign_count,
        )
    except passkeys.PasskeyError:
        return False
    return (
        SecondFactor.objects.filter(pk=factor.pk, sign_count=factor.sign_count).update(
            sign_count=count, last_used_at=timezone.now()
        )
        == 1
    )
