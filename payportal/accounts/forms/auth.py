"""Forms of signing in and of choosing a password without the current one.

They check shape only. Whether the credentials are right is Django's
``authenticate`` (with axes in front of it); the password policy is the
services' (services/users.py, services/auth.py), whose errors the views put
next to New password.
"""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.core.validators import MaxLengthValidator

from payportal.accounts.forms.profile import OWN_POLICY_HELP
from payportal.accounts.forms.users import PASSWORDS_DIFFER

# One message for every refused sign-in: a wrong username, a wrong
# password, an Inactive user and a locked account all read the same, so the
# page never tells a guesser which part was wrong or that a username exists.
LOGIN_FAILED = (
    "Your username or password is incorrect, or this account can't sign in right now."
)
# Long enough for anything a person might type (an email address simply
# fails to sign in), short enough for axes' username column.
LOGIN_MAX_LENGTH = 254


class LoginForm(AuthenticationForm):
    """Django's AuthenticationForm with the portal's labels and one message.

    The view passes the request, so ``authenticate`` gets it too (axes
    needs it to count failures).
    """

    error_messages = {"invalid_login": LOGIN_FAILED, "inactive": LOGIN_FAILED}

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.label = "Username"
        username.max_length = LOGIN_MAX_LENGTH
        # AuthenticationForm sets only the widget's maxlength (from the
        # model's 30); enforce a generous limit here instead.
        username.validators.append(MaxLengthValidator(LOGIN_MAX_LENGTH))
        username.widget.attrs.update(
            {
                "maxlength": LOGIN_MAX_LENGTH,
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        )
        self.fields["password"].label = "Password"


class NewPasswordForm(SetPasswordForm):
    """New password twice, for someone who proved who they are another way.

    Used where the current password is not asked: the forced change right
    after signing in with a temporary password (it was just typed), and the
    reset and set-password links (the emailed token is the proof). Only the
    match is checked here: the policy runs once, in the service.
    """

    error_messages = {
        **SetPasswordForm.error_messages,
        "password_mismatch": PASSWORDS_DIFFER,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        first = self.fields["new_password1"]
        first.label = "New password"
        first.help_text = OWN_POLICY_HELP
        first.widget.attrs.update({"autocomplete": "new-password", "autofocus": True})
        second = self.fields["new_password2"]
        second.label = "Confirm new password"
        second.help_text = ""

    def clean(self) -> dict[str, Any]:
        self.validate_passwords("new_password1", "new_password2")
        return forms.Form.clean(self)


class ResetRequestForm(forms.Form):
    login = forms.CharField(
        label="Username or email",
        max_length=LOGIN_MAX_LENGTH,
        help_text="We'll email a link to choose a new password.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )
