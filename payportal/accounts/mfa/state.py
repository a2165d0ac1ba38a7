"""The session's part in two-step sign-in.

Between a right password and a right code the visitor is *not* signed in:
the session holds only the pending user's id, when the password passed and
where to go next. The code page signs them in.

A signed-in session also remembers which confirmed factors the user had
when it began (``FACTORS``). When the user's factors change (enrolled,
removed, reset by an administrator) the remembered set no longer matches
and MFAMiddleware ends the session: that is how a factor change ends the
user's other sessions on every session store.
"""

import time
from dataclasses import dataclass
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from payportal.accounts.models import SecondFactor, User

PENDING = "payportal_mfa_pending"
FACTORS = "payportal_mfa_factors"
# How long the code page waits after the password (seconds).
PENDING_TIMEOUT = 5 * 60


@dataclass(frozen=True)
class Pending:
    user_id: int
    started: float
    backend: str
    next: str

    @property
    def expired(self) -> bool:
        # At exactly 5 minutes it still works; one second later it does not.
        return time.time() - self.started > PENDING_TIMEOUT


def start_pending(session: SessionBase, *, user: User, next_url: str) -> None:
    # A new session key for the half-signed-in state too, so a key planted
    # before the password (session fixation) is not the one that carries it.
    session.cycle_key()
    session[PENDING] = {
        "user_id": user.pk,
        "started": time.time(),
        "backend": getattr(user, "backend", ""),
        "next": next_url,
    }


def get_pending(session: SessionBase) -> Pending | None:
    data: Any = session.get(PENDING)
    if not isinstance(data, dict):
        return None
    try:
        return Pending(
            user_id=int(data["user_id"]),
            started=float(data["started"]),
            backend=str(data["backend"]),
            next=str(data["next"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def clear_pending(session: SessionBase) -> None:
    session.pop(PENDING, None)


def factor_fingerprint(user: User) -> str:
    """The user's confirmed factors, as the session remembers them (1 query)."""
    ids = (
        SecondFactor.objects.filter(user=user, confirmed_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return ",".join(str(pk) for pk in ids)


def remember_factors(session: SessionBase, user: User) -> None:
    """This session stays signed in through a change of the user's factors."""
    session[FACTORS] = factor_fingerprint(user)
