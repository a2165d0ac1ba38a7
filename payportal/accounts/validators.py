"""Password rules of DESIGN §4 that Django does not ship.

Django's own validator covers similarity to the user's details; these add
the firm-dependent minimum length, the upper bound, the letter-and-digit
rule, the common-password blocklist (Django's list and the portal's own)
and the history of the last four passwords.
"""

import gzip
from functools import cache
from pathlib import Path

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone

HISTORY_LENGTH = 4
# The portal's own blocklist; data/README.md says how it was built.
BLOCKLIST_PATH = Path(__file__).resolve().parent / "data" / "common-passwords.txt"
DJANGO_LIST_PATH = Path(password_validation.__file__).resolve().parent / (
    "common-passwords.txt.gz"
)


def _merchant_of(user: object) -> object | None:
    # The user's firm; for a user not saved yet (Add User) whatever the form
    # set: the firm itself or the role, which belongs to the firm.
    # getattr's default covers a relation not set (RelatedObjectDoesNotExist
    # is an AttributeError).
    merchant = getattr(user, "merchant", None)
    if merchant is None:
        merchant = getattr(getattr(user, "role", None), "merchant", None)
    return merchant


class FirmMinimumLengthValidator:
    """12 characters, or 15 when the user's firm does not require MFA.

    A password that is the only factor must be longer (NIST SP 800-63B
    rev. 4); with two-step sign-in PCI DSS 8.3.6's 12 is enough. When the
    firm is not known (no user given), the stricter 15 applies: every save
    goes through a service that knows the firm.
    """

    def validate(self, password: str, user: object = None) -> None:
        from payportal.accounts.services import lifecycle

        merchant = _merchant_of(user) if user is not None else None
        require_mfa = getattr(merchant, "require_mfa", None)
        min_length = lifecycle.minimum_length(require_mfa=require_mfa)
        if len(password) < min_length:
            raise ValidationError(
                "This password is too short. It must contain at least "
                f"{min_length} characters.",
                code="password_too_short",
                params={"min_length": min_length},
            )

    def get_help_text(self) -> str:
        return (
            "Your password must contain at least 12 characters, or 15 if your "
            "firm does not require two-step sign-in."
        )


@cache
def _blocklist() -> frozenset[str]:
    # Loaded once per process: Django's 20,000 most common passwords and
    # the portal's list of predictable long ones, all lower case.
    with gzip.open(DJANGO_LIST_PATH, "rt", encoding="utf-8") as f:
        words = {line.strip() for line in f}
    with BLOCKLIST_PATH.open(encoding="utf-8") as f:
        words.update(
            line.strip() for line in f if line.strip() and not line.startswith("#")
        )
    return frozenset(words)


def blocklist_entries() -> list[str]:
    """The portal's own entries (not Django's), in file order."""
    with BLOCKLIST_PATH.open(encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


class CommonPasswordBlocklistValidator:
    """Refuse common and predictable passwords, ignoring case (ASVS 6.2.4).

    Offline: both lists ship with the code. Django's alone would let almost
    every long password through (only about a hundred of its entries reach
    12 characters with a letter and a digit); the portal's list adds the
    long patterns attackers try first.
    """

    def validate(self, password: str, user: object = None) -> None:
        if password.lower().strip() in _blocklist():
            raise ValidationError(
                "This password is too common.", code="password_too_common"
            )

    def get_help_text(self) -> str:
        return "Your password can’t be a commonly used password."


class MaximumLengthValidator:
    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: object = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long: use at most {self.max_length} characters.",
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return f"Your password can't be longer than {self.max_length} characters."


class LetterAndDigitValidator:
    def validate(self, password: str, user: object = None) -> None:
        if not any(c.isalpha() for c in password) or not any(
            c.isdigit() for c in password
        ):
            raise ValidationError(
                "This password needs at least one letter and one digit.",
                code="password_letter_and_digit",
            )

    def get_help_text(self) -> str:
        return "Your password must contain at least one letter and one digit."


class PasswordHistoryValidator:
    """Refuse the current password and the three before it (PCI DSS 8.3.7).

    Django calls ``password_changed`` after every save that set a password,
    whatever the path (forms, services, reset), so history is kept in one
    place.
    """

    def __init__(self, history: int = HISTORY_LENGTH) -> None:
        self.history = history

    def validate(self, password: str, user: object = None) -> None:
        if user is None or getattr(user, "pk", None) is None:
            return
        recent = user.password_history.values_list("password", flat=True)[
            : self.history
        ]
        if any(check_password(password, encoded) for encoded in recent):
            raise ValidationError(
                f"Choose a password you have not used for your last {self.history} "
                "passwords.",
                code="password_reused",
            )

    def password_changed(self, password: str, user: object = None) -> None:
        from payportal.accounts.models import PasswordHistory, User

        if not isinstance(user, User) or user.pk is None:
            return
        PasswordHistory.objects.create(user=user, password=user.password)
        stale = user.password_history.values_list("pk", flat=True)[self.history :]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()
        now = timezone.now()
        User.objects.filter(pk=user.pk).update(password_changed_at=now)
        user.password_changed_at = now

    def get_help_text(self) -> str:
        return f"Your password can't be one of your last {self.history} passwords."
