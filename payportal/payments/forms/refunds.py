"""Forms of the refund pages: the shape of the input, a message per field.

Rules that need the database (the refundable amount under a lock, the
payment's status, a double submit) are the service's
(services/refunds.py); the view hands its errors back with
``form.add_error(None, error)``.
"""

import re
from typing import Any

from django import forms

from payportal.core.money import format_amount, format_money, parse_amount
from payportal.core.validators import reject_card_numbers
from payportal.payments.models import Payment, Refund
from payportal.payments.services.refunds import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    NOTE_MAX_LENGTH,
)

AMOUNT_SHAPE = "Enter an amount like {example}."
NOTE_FOR_OTHER = "Say why in a note when the reason is Other."
EXPIRED = "This form has expired: open the refund form again."
_KEY = re.compile(r"[A-Za-z0-9_-]+")


class DateInput(forms.DateInput):
    input_type = "date"


class RefundForm(forms.Form):
    """Amount (typed in the payment's currency), reason, note, and the
    idempotency key that makes a double submit one refund."""

    amount = forms.CharField(
        label="Amount",
        max_length=30,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}
        ),
        error_messages={"required": "Enter the amount to refund."},
    )
    reason = forms.ChoiceField(
        label="Reason",
        choices=Refund.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a reason.",
            "invalid_choice": "Choose a reason.",
        },
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        validators=[reject_card_numbers],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the reason is Other. Kept with the refund.",
    )
    idempotency_key = forms.CharField(
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        widget=forms.HiddenInput,
        error_messages={"required": EXPIRED},
    )

    def __init__(
        self, *args: Any, payment: Payment, refundable: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.payment = payment
        self.refundable = refundable
        limit = format_money(refundable, payment.currency)
        self.fields["amount"].help_text = f"Up to {limit} ({payment.currency})."

    def clean_amount(self) -> int:
        currency = self.payment.currency
        example = format_amount(1250, currency).replace(",", "")
        try:
            amount = parse_amount(self.cleaned_data["amount"], currency)
        except ValueError:
            raise forms.ValidationError(
                AMOUNT_SHAPE.format(example=example), code="invalid"
            ) from None
        if amount <= 0:
            raise forms.ValidationError(
                "Enter an amount greater than 0.", code="min_value"
            )
        if amount > self.refundable:
            # Checked again by the service under a lock; here so the person
            # sees it before the confirmation step.
            raise forms.ValidationError(
                f"At most {format_money(self.refundable, currency)} can be refunded.",
                code="max_value",
            )
        return amount

    def clean_idempotency_key(self) -> str:
        key = self.cleaned_data["idempotency_key"]
        if not _KEY.fullmatch(key):
            raise forms.ValidationError(EXPIRED, code="invalid")
        return key

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        note = (cleaned.get("note") or "").strip()
        cleaned["note"] = note
        # A refused note (a card number in it) already has its message.
        if (
            cleaned.get("reason") == Refund.Reason.OTHER
            and not note
            and "note" not in self.errors
        ):
            self.add_error("note", forms.ValidationError(NOTE_FOR_OTHER, "required"))
        return cleaned

    def typed(self) -> dict[str, str]:
        """What the person typed, to carry through the confirmation step."""
        return {
            name: self.data.get(name, "")
            for name in ("amount", "reason", "note", "idempotency_key")
        }


STATUS_CHOICES = [("", "All statuses"), *Refund.Status.choices]
REASON_CHOICES = [("", "All reasons"), *Refund.Reason.choices]


class RefundFilterForm(forms.Form):
    # Not stored, but refused: see TransactionFilterForm.q.
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        validators=[reject_card_numbers],
    )
    status = forms.ChoiceField(label="Status", required=False, choices=STATUS_CHOICES)
    reason = forms.ChoiceField(label="Reason", required=False, choices=REASON_CHOICES)
    date_from = forms.DateField(label="From", required=False, widget=DateInput)
    date_to = forms.DateField(label="To", required=False, widget=DateInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", "The To date must not be before the From date.")
        return cleaned

    def filters(self) -> dict[str, Any]:
        """The valid filters; a bad one is dropped (and shown by its field)."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            "q": (cleaned.get("q") or "").strip(),
            "status": cleaned.get("status") or "",
            "reason": cleaned.get("reason") or "",
            "date_from": cleaned.get("date_from"),
            "date_to": cleaned.get("date_to") if "date_to" not in self.errors else None,
        }
