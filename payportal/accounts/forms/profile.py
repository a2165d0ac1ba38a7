"""Forms of the Profile pages: your own details and your own password."""

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm

from payportal.accounts.forms.users import EMAIL_HELP, PASSWORDS_DIFFER
from payportal.accounts.models import User
from payportal.core.validators import reject_card_numbers

OWN_POLICY_HELP = (
    "At least 15 characters (12 if your firm requires two-step sign-in), "
    "with at least one letter and one digit. Not a "
    "common password, not like your username, name or email, and not one "
    "of your last 4 passwords. Spaces and any characters are fine."
)
CURRENT_PASSWORD_WRONG = "That isn't your current password. Please try again."  # noqa: S105


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        label="Full Name",
        max_length=User._meta.get_field("full_name").max_length,
        validators=[reject_card_numbers],
    )
    email = forms.EmailField(
        label="Email",
        max_length=User._meta.get_field("email").max_length,
        help_text=EMAIL_HELP,
        validators=[reject_card_numbers],
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"full_name": user.full_name, "email": user.email})
        super().__init__(*args, **kwargs)


class ProfilePasswordForm(PasswordChangeForm):
    """Django's PasswordChangeForm with the portal's labels.

    It checks the current password and that the two new ones match; the
    policy is services.users.change_password's, whose errors the view puts
    next to New password.
    """

    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_mismatch": PASSWORDS_DIFFER,
        "password_incorrect": CURRENT_PASSWORD_WRONG,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].help_text = OWN_POLICY_HELP
        self.fields["new_password2"].label = "Confirm new password"
        self.fields["new_password2"].help_text = ""

    def clean(self) -> dict[str, Any]:
        # Only the match here: the policy runs once, in the service.
        self.validate_passwords("new_password1", "new_password2")
        return forms.Form.clean(self)
