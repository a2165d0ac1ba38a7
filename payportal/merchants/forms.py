"""The firm's Settings form: the shape of each setting, a message per field."""

import zoneinfo
from typing import Any

from django import forms

from payportal.core.money import exponent, format_amount, parse_amount
from payportal.core.validators import reject_card_numbers
from payportal.merchants.models import Merchant

# Far above any refund, far below what the database column can hold.
MAX_THRESHOLD_MAJOR = 10**12

AMOUNT_FORMAT = "Enter an amount like 1,000.00."
AMOUNT_NEGATIVE = "Enter an amount of 0 or more."
AMOUNT_TOO_LARGE = "Enter a smaller amount."
# PCI DSS 10.5.1: keep audit logs for at least a year.
MIN_AUDIT_RETENTION_DAYS = 365
MAX_AUDIT_RETENTION_DAYS = 36_500
RETENTION_TOO_SHORT = "Keep the audit log for at least 365 days (a year)."
RETENTION_TOO_LONG = "Enter 36,500 days (100 years) or fewer."


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class SettingsForm(forms.Form):
    name = forms.CharField(
        label="Firm name",
        max_length=Merchant._meta.get_field("name").max_length,
        help_text="Shown at the top of every page and in emails.",
        validators=[reject_card_numbers],
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=time_zone_choices,
        help_text="The firm's day: the dashboard's Today and its daily totals.",
    )
    refund_approval_enabled = forms.BooleanField(
        label="Two-person approval for refunds", required=False
    )
    refund_approval_threshold = forms.CharField(
        label="Approval needed above",
        max_length=30,
    )
    audit_retention_days = forms.IntegerField(
        label="Keep the audit log for (days)",
        min_value=MIN_AUDIT_RETENTION_DAYS,
        max_value=MAX_AUDIT_RETENTION_DAYS,
        error_messages={
            "min_value": RETENTION_TOO_SHORT,
            "max_value": RETENTION_TOO_LONG,
            "invalid": "Enter a whole number of days, like 365.",
            "required": "Enter how many days to keep the audit log.",
        },
        help_text=(
            "At least 365. Older events are deleted by the daily clean-up "
            "(payportal audit purge); the deletion itself is recorded."
        ),
    )
    require_mfa = forms.BooleanField(
        label="Require two-step sign-in for everyone",
        required=False,
        help_text=(
            "Everyone signs in with a code from an authenticator app after "
            "their password. Anyone who hasn't set it up does so at their "
            "next sign-in, before any other page opens."
        ),
    )

    def __init__(self, *args: Any, merchant: Merchant, **kwargs: Any) -> None:
        self.merchant = merchant
        kwargs.setdefault(
            "initial",
            {
                "name": merchant.name,
                "time_zone": merchant.time_zone,
                "refund_approval_enabled": merchant.refund_approval_enabled,
                "require_mfa": merchant.require_mfa,
                "audit_retention_days": merchant.audit_retention_days,
                "refund_approval_threshold": format_amount(
                    merchant.refund_approval_threshold, merchant.currency
                ),
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["refund_approval_threshold"].help_text = (
            f"In {merchant.currency}, like 1,000.00. Refunds above this amount "
            "wait for a second person."
        )
        self.fields["refund_approval_threshold"].widget.attrs["inputmode"] = "decimal"

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter the firm's name.", code="required")
        return name

    def clean_refund_approval_threshold(self) -> int:
        text = self.cleaned_data["refund_approval_threshold"]
        currency = self.merchant.currency
        try:
            amount = parse_amount(text, currency)
        except ValueError:
            raise forms.ValidationError(AMOUNT_FORMAT, code="invalid") from None
        if amount < 0:
            raise forms.ValidationError(AMOUNT_NEGATIVE, code="negative")
        if amount > MAX_THRESHOLD_MAJOR * 10 ** exponent(currency):
            raise forms.ValidationError(AMOUNT_TOO_LARGE, code="too_large")
        return amount
