"""Forms of the Users pages: the shape of the input, a message per field.

Rules that need the database (a taken username, the password policy, the
last-user-manager guard) are the services' (services/users.py); the views
hand their errors back with ``form.add_error(None, error)``.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.db.models import QuerySet

from payportal.accounts.models import Role, User, username_validator
from payportal.accounts.selectors.users import (
    DEFAULT_SORT,
    SORT_KEYS,
    STATUS_ACTIVE,
    STATUS_INACTIVE,
)
from payportal.accounts.services.users import PasswordSetup
from payportal.core.validators import reject_card_numbers

MODE_PASSWORD = "password"  # noqa: S105 - a choice value, not a secret
MODE_LINK = "link"
PASSWORDS_DIFFER = "The two passwords don't match."
USERNAME_HELP = "Letters and numbers only, 3–30 characters. Not an email address."
EMAIL_HELP = "Used for the invite and password resets."
TEMPORARY_POLICY_HELP = (
    "At least 15 characters (12 if the firm requires two-step sign-in), "
    "with at least one letter and one digit; not a common password, and "
    "not like their username, name or email. "
    "They'll change it when they first sign in."
)


def _link_hours() -> int:
    return settings.PAYPORTAL_SET_PASSWORD_LINK_TIMEOUT // 3600


class RoleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Role) -> str:
        return obj.name


class PasswordSetupForm(forms.Form):
    """A temporary password (twice), or an emailed set-password link.

    The template wraps ``password_mode`` in ``data-password-mode`` and the
    two password fields in ``data-temporary-password``, so app.js shows
    the passwords only when they are wanted; without JS all are shown.
    """

    # Not required: a browser always sends the checked radio, and a request
    # without it means the default, a temporary password.
    password_mode = forms.ChoiceField(
        label="Password setup",
        choices=[],
        initial=MODE_PASSWORD,
        required=False,
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=TEMPORARY_POLICY_HELP,
    )
    confirm_password = forms.CharField(
        label="Confirm Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password_mode"].choices = [
            (MODE_PASSWORD, "Set a temporary password"),
            (MODE_LINK, f"Email a set-password link (valid {_link_hours()} hours)"),
        ]

    def password_setup_required(self) -> bool:
        return True

    def policy_user(self) -> User | None:
        """Whom the password policy compares against (details, history)."""
        return None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.password_setup_required():
            return cleaned
        if cleaned.get("password_mode") == MODE_LINK:
            return cleaned
        password = cleaned.get("password")
        confirm = cleaned.get("confirm_password")
        required = self.fields["password"].error_messages["required"]
        if not password:
            self.add_error("password", forms.ValidationError(required, "required"))
        if not confirm:
            self.add_error(
                "confirm_password", forms.ValidationError(required, "required")
            )
        if password and confirm and password != confirm:
            self.add_error(
                "confirm_password",
                forms.ValidationError(PASSWORDS_DIFFER, code="password_mismatch"),
            )
        if password:
            # Every policy failure beside Password now, along with any other
            # field's error; the service checks again before saving.
            try:
                password_validation.validate_password(password, self.policy_user())
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned

    def password_setup(self) -> PasswordSetup:
        """The choice as the services take it (after is_valid())."""
        if self.cleaned_data.get("password_mode") == MODE_LINK:
            return PasswordSetup(send_link=True)
        return PasswordSetup(password=self.cleaned_data.get("password") or None)


class UserAddForm(PasswordSetupForm):
    role = RoleChoiceField(
        label="Role",
        queryset=Role.objects.none(),
        empty_label="Choose a role",
        error_messages={"required": "Choose a role."},
    )
    username = forms.CharField(
        label="Username",
        help_text=USERNAME_HELP,
        validators=[username_validator, reject_card_numbers],
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )
    full_name = forms.CharField(
        label="Full Name",
        max_length=User._meta.get_field("full_name").max_length,
        validators=[reject_card_numbers],
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label="Email",
        max_length=User._meta.get_field("email").max_length,
        help_text=EMAIL_HELP,
        validators=[reject_card_numbers],
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    field_order = [
        "role",
        "username",
        "password_mode",
        "password",
        "confirm_password",
        "full_name",
        "email",
    ]

    def __init__(self, *args: Any, roles: QuerySet[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["role"]
        field.queryset = roles
        only = list(roles[:2])
        if len(only) == 1:
            # Nothing to choose: preselect the firm's one role.
            field.empty_label = None
            field.initial = only[0].pk

    def policy_user(self) -> User:
        data = self.cleaned_data
        user = User(
            username=data.get("username", ""),
            full_name=data.get("full_name", ""),
            email=data.get("email", ""),
        )
        if data.get("role") is not None:
            user.role = data["role"]  # its firm sets the minimum length
        return user


class UserEditForm(PasswordSetupForm):
    """Role, Full Name, Email and Status of an existing user.

    The password setup is there only for an Inactive user, and needed only
    when Status becomes Active (reactivation).
    """

    role = RoleChoiceField(label="Role", queryset=Role.objects.none(), empty_label=None)
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
    is_active = forms.TypedChoiceField(
        label="Status",
        choices=[(STATUS_ACTIVE, "Active"), (STATUS_INACTIVE, "Inactive")],
        coerce=lambda value: value == STATUS_ACTIVE,
        empty_value=None,
    )

    field_order = [
        "role",
        "full_name",
        "email",
        "is_active",
        "password_mode",
        "password",
        "confirm_password",
    ]

    def __init__(
        self, *args: Any, user: User, roles: QuerySet[Role], **kwargs: Any
    ) -> None:
        kwargs.setdefault(
            "initial",
            {
                "role": user.role_id,
                "full_name": user.full_name,
                "email": user.email,
                "is_active": STATUS_ACTIVE if user.is_active else STATUS_INACTIVE,
            },
        )
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["role"].queryset = roles
        if user.is_active:
            for name in ("password_mode", "password", "confirm_password"):
                del self.fields[name]
        else:
            self.fields[
                "password_mode"
            ].help_text = (
                "Needed when you set Status to Active: how they get access again."
            )

    def policy_user(self) -> User:
        return self.user

    @property
    def reactivates(self) -> bool:
        return "password_mode" in self.fields

    def password_setup_required(self) -> bool:
        # Only a change to Active needs a new password or link.
        return self.reactivates and self.cleaned_data.get("is_active") is True

    def password_setup(self) -> PasswordSetup:
        if not self.reactivates:
            return PasswordSetup()
        return super().password_setup()


class UserResetPasswordForm(PasswordSetupForm):
    """An administrator's reset: a temporary password or a link.

    Prefixed, so its inputs never share a name or id with the Details form
    on the same page.
    """

    prefix = "reset"

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def policy_user(self) -> User:
        return self.user


class UserFilterForm(forms.Form):
    """The Users page's search, filters and sort, from the query string.

    A value that is not valid (an unknown role id, a garbage sort) falls
    back to its default: a list page answers any query string.
    """

    # Not stored, but refused all the same: a card number typed here would
    # be searched for and kept in the page's address (see core/validators).
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        validators=[reject_card_numbers],
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "All"), (STATUS_ACTIVE, "Active"), (STATUS_INACTIVE, "Inactive")],
    )
    role = forms.TypedChoiceField(
        label="Role", required=False, coerce=int, empty_value=None
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[(s, s) for key in SORT_KEYS for s in (key, f"-{key}")],
    )

    def __init__(self, *args: Any, roles: list[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "All")] + [
            (str(role.pk), role.name) for role in roles
        ]

    def filters(self) -> dict[str, Any]:
        """The list_users arguments: valid values, defaults for the rest."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "q": data.get("q") or "",
            "status": data.get("status") or "",
            "role_id": data.get("role"),
            "sort": data.get("sort") or DEFAULT_SORT,
        }
