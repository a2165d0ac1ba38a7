"""Password rules of DESIGN §4 that Django does not ship.

Django's own validators cover length, similarity to the user's details and
common passwords; these add the upper bound, the letter-and-digit rule and
the history of the last four passwords.
"""

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone

HISTORY_LENGTH = 4


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
