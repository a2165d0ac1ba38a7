"""The role form: the shape of a name, a description and permission codes."""

from typing import Any

from django import forms

from payportal.accounts.models import Role
from payportal.accounts.permissions import ALL_CODES, CATALOGUE, PRESETS
from payportal.accounts.services.roles import (
    ADMINISTRATOR_NAME_FIXED,
    ADMINISTRATOR_PERMISSIONS_FIXED,
)
from payportal.core.validators import reject_card_numbers


class PermissionCheckboxes(forms.CheckboxSelectMultiple):
    """One labelled checkbox per catalogue code, with its help text."""

    template_name = "accounts/roles/widgets/permission_checkboxes.html"

    def create_option(
        self, name, value, label, selected, index, subindex=None, attrs=None
    ):
        option = super().create_option(
            name, value, label, selected, index, subindex=subindex, attrs=attrs
        )
        option["help"] = CATALOGUE.get(str(value), ("", ""))[1]
        return option


class RoleForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=Role._meta.get_field("name").max_length,
        help_text="For example Bookkeeper or Front desk.",
        validators=[reject_card_numbers],
    )
    description = forms.CharField(
        label="Description",
        max_length=Role._meta.get_field("description").max_length,
        required=False,
        validators=[reject_card_numbers],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What people with this role do (optional).",
    )
    permissions = forms.MultipleChoiceField(
        label="Permissions",
        choices=[(code, label) for code, (label, _help) in CATALOGUE.items()],
        required=False,
        widget=PermissionCheckboxes,
        help_text="Tick what people with this role may do.",
    )

    def __init__(self, *args: Any, role: Role | None = None, **kwargs: Any) -> None:
        if role is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": role.name,
                    "description": role.description,
                    "permissions": [c for c in ALL_CODES if c in role.codes],
                },
            )
        super().__init__(*args, **kwargs)
        if role is not None and role.is_administrator:
            # Shown, ticked and fixed: a disabled field keeps its initial
            # value whatever the browser sends.
            self.fields["name"].disabled = True
            self.fields["name"].help_text = ADMINISTRATOR_NAME_FIXED
            self.fields["permissions"].disabled = True
            self.fields["permissions"].help_text = ADMINISTRATOR_PERMISSIONS_FIXED


def preset_initial(key: str | None) -> dict[str, Any] | None:
    """The Add Role form's starting values for ``?preset=key``, if known."""
    if key not in PRESETS:
        return None
    name, description, codes = PRESETS[key]
    return {
        "name": name,
        "description": description,
        "permissions": [code for code in ALL_CODES if code in codes],
    }
