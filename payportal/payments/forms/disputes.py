"""Forms of the Chargebacks pages: the shape of the input only.

The rules that need the dispute (still takes evidence, the due date, the
total text limit, the file's kind and size) are the service's
(services/disputes.py); the views hand its errors back to these forms.
"""

from typing import Any

from django import forms
from django.conf import settings

from payportal.core.validators import reject_card_numbers
from payportal.payments.models import Dispute
from payportal.payments.selectors.disputes import DEFAULT_STATUS, STATUS_FILTERS
from payportal.payments.services.disputes import EVIDENCE_TEXT_FIELDS

FILE_ACCEPT = "application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg"


def _text_field(name: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=Dispute._meta.get_field(name).verbose_name,
        required=False,
        strip=False,
        help_text=help_text,
        validators=[reject_card_numbers],
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class EvidenceForm(forms.Form):
    """The evidence draft: the service date and the five texts."""

    service_date = forms.DateField(
        label="Service date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="When the firm provided the services the payment was for.",
    )
    services_description = _text_field(
        "services_description",
        "What the firm did for the client, the matter, and when.",
    )
    customer_communication = _text_field(
        "customer_communication",
        "Emails or letters with the client about the work or the fee.",
    )
    fee_agreement = _text_field(
        "fee_agreement",
        "The engagement letter's fee terms, or how the client authorised the "
        "card payment. Attach the signed copy below as a PDF.",
    )
    refund_policy = _text_field(
        "refund_policy", "The refund terms the client agreed to."
    )
    other_evidence = _text_field("other_evidence")

    def __init__(self, *args: Any, dispute: Dispute, **kwargs: Any) -> None:
        initial = {name: getattr(dispute, name) for name in EVIDENCE_TEXT_FIELDS}
        initial["service_date"] = dispute.service_date
        super().__init__(*args, initial=initial, **kwargs)

    @staticmethod
    def limit() -> int:
        return settings.EVIDENCE_MAX_TEXT_CHARS

    def texts(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] or "" for name in EVIDENCE_TEXT_FIELDS}


class EvidenceFileForm(forms.Form):
    # Empty files reach the service, which says so in the words it uses for
    # every refused file (the form alone would say it differently).
    file = forms.FileField(
        label="File",
        allow_empty_file=True,
        help_text="PDF, PNG or JPEG, at most 5 MB.",
        widget=forms.FileInput(attrs={"accept": FILE_ACCEPT}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_mb = settings.EVIDENCE_MAX_FILE_BYTES // (1024 * 1024)
        self.fields["file"].help_text = f"PDF, PNG or JPEG, at most {limit_mb} MB."


class DisputeFilterForm(forms.Form):
    """The Chargebacks page's status filter; anything unknown is Open."""

    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[(key, label) for key, (label, _) in STATUS_FILTERS.items()],
    )

    def filters(self) -> dict[str, str]:
        self.is_valid()
        return {"status": self.cleaned_data.get("status") or DEFAULT_STATUS}
