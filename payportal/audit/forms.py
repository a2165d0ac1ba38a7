"""The audit log's filters: the shape of a user, an action and a date range."""

from typing import Any

from django import forms

from payportal.accounts.models import User
from payportal.audit.actions import LABELS
from payportal.merchants.models import Merchant


class DateInput(forms.DateInput):
    input_type = "date"


class EventFilterForm(forms.Form):
    user = forms.TypedChoiceField(
        label="User", coerce=int, required=False, empty_value=None
    )
    action = forms.ChoiceField(label="Action", required=False)
    date_from = forms.DateField(label="From", required=False, widget=DateInput)
    date_to = forms.DateField(label="To", required=False, widget=DateInput)

    def __init__(self, *args: Any, merchant: Merchant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One query: the firm's usernames, inactive users included (their
        # events stay in the trail).
        users = User.objects.filter(merchant=merchant).order_by("username")
        self.fields["user"].choices = [
            ("", "All users"),
            *users.values_list("pk", "username"),
        ]
        self.fields["action"].choices = [
            ("", "All actions"),
            *sorted(LABELS.items(), key=lambda item: item[1]),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", "The To date must not be before the From date.")
        return cleaned


class ExportForm(EventFilterForm):
    """The filters plus the file format; dates are the firm's days."""

    FORMATS = (("csv", "CSV"), ("json", "JSON with chain hashes"))
    format = forms.ChoiceField(label="Format", choices=FORMATS)
