"""Enrol users and sign in with real TOTP codes (tests only)."""

from datetime import UTC, datetime, timedelta

from payportal.accounts.mfa import state, totp
from payportal.accounts.models import SecondFactor, User
from payportal.accounts.services import mfa as services

# The first second of a 30-second step: 2026-05-01 09:00:00 UTC.
START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
assert int(START.timestamp()) % totp.STEP == 0


def enrol(user: User) -> tuple[SecondFactor, list[str]]:
    """Turn on the authenticator app for ``user`` with the current code.

    That code is used up: the next valid code is the next step's.
    """
    factor = services.start_totp_enrolment(user=user)
    code = totp.code_at(factor.secret, totp.current_step())
    codes = services.confirm_totp(user=user, factor=factor, code=code, request=None)
    factor.refresh_from_db()
    return factor, codes


def current_code(factor: SecondFactor) -> str:
    return totp.code_at(factor.secret, totp.current_step())


def next_step(clock, steps: int = 1) -> None:
    """Move the frozen clock to the start of a later step."""
    now = datetime.fromtimestamp((totp.current_step() + steps) * totp.STEP, tz=UTC)
    clock.move_to(now, tick=False)


def keep_signed_in(client, user: User) -> None:
    """A force-logged-in client that survives MFAMiddleware's check."""
    session = client.session
    session[state.FACTORS] = state.factor_fingerprint(user)
    session.save()


def at(clock, **delta) -> None:
    clock.move_to(START + timedelta(**delta), tick=False)
