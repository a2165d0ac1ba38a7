"""The Transactions page's filters, from the query string.

A list page answers any query string: a value that is not valid gets its
message next to its field and that one filter is left out; the others
still apply. A garbage sort or cursor silently falls back to the default.
"""

import re
from datetime import date
from typing import Any

from django import forms

from payportal.core.money import exponent, format_amount, parse_amount
from payportal.core.validators import reject_card_numbers
from payportal.payments.forms import widgets
from payportal.payments.models import Account, Payment
from payportal.payments.selectors.payments import DEFAULT_SORT, parse_sort

# The largest amount a BigIntegerField holds: a bigger one is a typo.
_MAX_MINOR = 2**63 - 1


def amount_example(currency: str) -> str:
    """An amount as it is typed in ``currency``: "12.50", "1250", "1.250"."""
    return format_amount(1250 * 10 ** max(exponent(currency) - 2, 0), currency)


class TransactionFilterForm(forms.Form):
    # The search is not stored, yet a card number is refused here too: it
    # would otherwise be searched for, kept in the page's address and in an
    # export's audit event (the filters used). Refused, it is dropped from
    # the filters and the message shows by the box.
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        validators=[reject_card_numbers],
        widget=widgets.SearchInput,
    )
    date_from = forms.DateField(label="From", required=False, widget=widgets.DateInput)
    date_to = forms.DateField(label="To", required=False, widget=widgets.DateInput)
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "All"), *Payment.Status.choices],
        widget=widgets.Select,
    )
    amount_min = forms.CharField(
        label="Amount from", required=False, max_length=30, widget=widgets.TextInput
    )
    amount_max = forms.CharField(
        label="Amount to", required=False, max_length=30, widget=widgets.TextInput
    )
    last4 = forms.CharField(
        label="Last four", required=False, max_length=20, widget=widgets.TextInput
    )
    account = forms.ChoiceField(
        label="Account",
        required=False,
        choices=[("", "All"), *Account.choices],
        widget=widgets.Select,
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        for name, field in self.fields.items():
            # The page shows each filter's message in this box (htmx swaps
            # it in place, so focus stays where it is).
            field.widget.attrs["aria-describedby"] = f"errors-{name}"
        example = amount_example(currency)
        for name in ("amount_min", "amount_max"):
            self.fields[name].widget.attrs.update(
                {"inputmode": "decimal", "autocomplete": "off", "placeholder": example}
            )
        self.fields["last4"].widget.attrs.update(
            {
                "inputmode": "numeric",
                "autocomplete": "off",
                "placeholder": "4242",
                "size": "6",
            }
        )
        self.fields["q"].widget.attrs.update(
            {
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "Reference, payer, cardholder or client",
            }
        )

    def _clean_amount(self, name: str) -> int | None:
        text = self.cleaned_data.get(name, "")
        if not text:
            return None
        example = amount_example(self.currency)
        try:
            minor = parse_amount(text, self.currency)
        except ValueError:
            raise forms.ValidationError(
                f"Enter an amount like {example}.", code="invalid"
            ) from None
        if minor < 0:
            raise forms.ValidationError(
                "Enter an amount of 0 or more.", code="negative"
            )
        if minor > _MAX_MINOR:
            raise forms.ValidationError("Enter a smaller amount.", code="too_large")
        return minor

    def clean_amount_min(self) -> int | None:
        return self._clean_amount("amount_min")

    def clean_amount_max(self) -> int | None:
        return self._clean_amount("amount_max")

    def clean_last4(self) -> str:
        last4 = self.cleaned_data.get("last4", "")
        if last4 and not re.fullmatch(r"[0-9]{4}", last4):
            raise forms.ValidationError(
                "Enter the card's last four digits, like 4242.", code="last4"
            )
        return last4

    def clean_sort(self) -> str:
        name, descending = parse_sort(self.cleaned_data.get("sort"))
        return f"-{name}" if descending else name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", "The To date must not be before the From date.")
        low, high = cleaned.get("amount_min"), cleaned.get("amount_max")
        if low is not None and high is not None and high < low:
            self.add_error(
                "amount_max", "The upper amount must not be below the lower one."
            )
        return cleaned

    def filters(self) -> dict[str, Any]:
        """The list_payments arguments: the valid values, and the defaults
        in place of the ones that are not."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "status": data.get("status") or "",
            "amount_min": data.get("amount_min"),
            "amount_max": data.get("amount_max"),
            "last4": data.get("last4") or "",
            "account": data.get("account") or "",
            "q": data.get("q") or "",
            "sort": data.get("sort") or DEFAULT_SORT,
        }


def describe_filters(filters: dict[str, Any], *, currency: str) -> dict[str, str]:
    """The filters in use as text, for the audit trail of an export."""
    described = {}
    for name, value in filters.items():
        if value is None or value == "":
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif name in ("amount_min", "amount_max"):
            value = format_amount(value, currency)
        described[name] = str(value)
    return described
