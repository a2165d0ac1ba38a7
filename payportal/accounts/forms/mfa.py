"""Forms of two-step sign-in: a code, a recovery code, the current password.

Shape only: whether a code is right is services.mfa's, whose messages the
views put next to the code field.
"""

from typing import Any

from django import forms

from payportal.accounts.forms.profile import CURRENT_PASSWORD_WRONG
from payportal.accounts.models import User

CODE_HELP = "The 6-digit code your authenticator app shows now."
CODE_SHAPE = "Enter the 6 digits your app shows."
RECOVERY_HELP = "One of the 10 recovery codes you saved, like abcd-efgh-jkmn."


def _code_field() -> forms.CharField:
    return forms.CharField(
        label="Code",
        max_length=20,
        help_text=CODE_HELP,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class CurrentPasswordMixin:
    """A ``password`` field checked against ``user``'s current password."""

    user: User

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]  # type: ignore[attr-defined]
        if not self.user.check_password(password):
            raise forms.ValidationError(CURRENT_PASSWORD_WRONG, code="password_wrong")
        return password


def _password_field(*, autofocus: bool = False) -> forms.CharField:
    attrs: dict[str, Any] = {"autocomplete": "current-password"}
    if autofocus:
        attrs["autofocus"] = True
    return forms.CharField(
        label="Current password",
        strip=False,
        widget=forms.PasswordInput(attrs=attrs),
        help_text="Asked again because this changes how you sign in.",
    )


class TotpConfirmForm(CurrentPasswordMixin, forms.Form):
    """Turn on the authenticator app: its first code and the password."""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["code"] = _code_field()
        self.fields["password"] = _password_field()


class PasswordConfirmForm(CurrentPasswordMixin, forms.Form):
    """Remove the factor, or replace the recovery codes: the password."""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["password"] = _password_field(autofocus=True)


class CodeForm(forms.Form):
    """The code page after the password."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"] = _code_field()

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if len(code) != 6 or not code.isdigit():
            raise forms.ValidationError(CODE_SHAPE, code="shape")
        return code


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label="Recovery code",
        max_length=40,
        help_text=RECOVERY_HELP,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )
