"""Payments, refunds and chargebacks (DESIGN §6).

Money is integer minor units plus an ISO 4217 currency. A card is kept as
brand, last four and expiry only: never the full number or the security
code. Each processor object keeps the processor's last raw payload
(``raw``); only what the portal filters, sorts or sums is a column.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from payportal.merchants.models import Merchant


class Account(models.TextChoices):
    # Processing fees always come from operating, never from trust.
    OPERATING = "operating", "Operating"
    TRUST = "trust", "Trust"


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"

    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="payments"
    )
    processor = models.CharField(max_length=30)
    processor_ref = models.CharField("Processor reference", max_length=100)
    status = models.CharField(max_length=20, choices=Status.choices)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    account = models.CharField(max_length=10, choices=Account.choices)
    # Succeeded refunds, kept in step by the services: the status and the
    # refundable amount read it instead of summing refunds on every page.
    refunded_amount = models.BigIntegerField(default=0)
    fee = models.BigIntegerField("Processing fee", default=0)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField("Last four", max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    cardholder_name = models.CharField(max_length=200, blank=True)
    payer_email = models.CharField(max_length=254, blank=True)
    client_name = models.CharField("Client", max_length=200, blank=True)
    reference = models.CharField("Reference", max_length=100, blank=True)
    description = models.CharField(max_length=500, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    captured_at = models.DateTimeField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    # The processor time of the last event applied to this payment.
    processor_updated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["processor", "processor_ref"],
                name="payment_processor_ref_unique",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(fee__gte=0), name="payment_fee_not_negative"
            ),
            # The last line of defence against over-refunding.
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("amount")),
                name="payment_refunded_within_amount",
            ),
        ]
        indexes = [
            models.Index(
                fields=["merchant", "created_at", "id"], name="payment_created"
            ),
            models.Index(fields=["merchant", "amount", "id"], name="payment_amount"),
            models.Index(
                fields=["merchant", "card_last4", "created_at"], name="payment_last4"
            ),
            models.Index(
                fields=["merchant", "status", "created_at"], name="payment_status"
            ),
            models.Index(
                fields=["merchant", "account", "created_at"], name="payment_account"
            ),
            models.Index(fields=["merchant", "reference"], name="payment_reference"),
        ]

    def __str__(self) -> str:
        return f"Payment {self.processor_ref}"

    @property
    def card_expiry(self) -> str:
        if not (self.card_exp_month and self.card_exp_year):
            return ""
        return f"{self.card_exp_month:02d}/{self.card_exp_year % 100:02d}"


class Refund(models.Model):
    class Status(models.TextChoices):
        # Two-person approval: counts against the refundable amount while
        # it waits, so approving it can never over-refund.
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    class Reason(models.TextChoices):
        DUPLICATE = "duplicate", "Duplicate"
        FRAUDULENT = "fraudulent", "Fraudulent"
        REQUESTED_BY_CUSTOMER = "requested_by_customer", "Requested by customer"
        OTHER = "other", "Other"

    # Statuses whose amount is spoken for: it cannot be refunded again.
    HELD = (Status.AWAITING_APPROVAL, Status.PENDING, Status.SUCCEEDED)

    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="refunds"
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=30, choices=Reason.choices)
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    failure_reason = models.CharField(max_length=200, blank=True)
    processor_ref = models.CharField(
        "Processor reference", max_length=100, null=True, blank=True
    )
    # One refund per submitted form: a double submit reuses this key.
    idempotency_key = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    processor_updated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="refund_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["payment", "idempotency_key"], name="refund_idempotency_unique"
            ),
            models.UniqueConstraint(
                fields=["merchant", "processor_ref"],
                condition=Q(processor_ref__isnull=False),
                name="refund_processor_ref_unique",
            ),
            models.CheckConstraint(
                condition=~Q(reason="other", note=""), name="refund_other_has_note"
            ),
        ]
        indexes = [
            models.Index(
                fields=["merchant", "created_at", "id"], name="refund_created"
            ),
            models.Index(
                fields=["merchant", "status", "created_at"], name="refund_status"
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.processor_ref or self.pk}"


class Dispute(models.Model):
    class Status(models.TextChoices):
        NEEDS_RESPONSE = "needs_response", "Needs response"
        UNDER_REVIEW = "under_review", "Under review"
        WON = "won", "Won"
        LOST = "lost", "Lost"
        ACCEPTED = "accepted", "Accepted"

    class Reason(models.TextChoices):
        FRAUDULENT = "fraudulent", "Fraudulent"
        UNRECOGNIZED = "unrecognized", "Unrecognized"
        DUPLICATE = "duplicate", "Duplicate"
        CREDIT_NOT_PROCESSED = "credit_not_processed", "Credit not processed"
        PRODUCT_NOT_RECEIVED = "product_not_received", "Services not provided"
        PRODUCT_UNACCEPTABLE = "product_unacceptable", "Services unacceptable"
        GENERAL = "general", "General"

    OPEN = (Status.NEEDS_RESPONSE, Status.UNDER_REVIEW)
    # The firm lost the money: it no longer counts as refundable.
    LOST_STATUSES = (Status.LOST, Status.ACCEPTED)

    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="disputes"
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="disputes"
    )
    processor_ref = models.CharField("Processor reference", max_length=100)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=40, choices=Reason.choices)
    status = models.CharField(max_length=20, choices=Status.choices)
    opened_at = models.DateTimeField()
    evidence_due_by = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # Evidence, saved as a draft until submitted once.
    service_date = models.DateField("Service date", null=True, blank=True)
    services_description = models.TextField(
        "Description of the legal services", blank=True
    )
    customer_communication = models.TextField("Customer communication", blank=True)
    fee_agreement = models.TextField(
        "Signed fee agreement or card authorisation", blank=True
    )
    refund_policy = models.TextField("Refund policy", blank=True)
    other_evidence = models.TextField("Other", blank=True)
    evidence_saved_at = models.DateTimeField(null=True, blank=True)
    evidence_saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # `payportal remind` sets it in the same UPDATE that claims the reminder,
    # so two runs can never both send it.
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    processor_updated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["evidence_due_by", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "processor_ref"],
                name="dispute_processor_ref_unique",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="dispute_amount_positive"
            ),
        ]
        indexes = [
            models.Index(
                fields=["merchant", "evidence_due_by", "id"], name="dispute_due"
            ),
            models.Index(
                fields=["merchant", "status", "evidence_due_by"], name="dispute_status"
            ),
        ]

    def __str__(self) -> str:
        return f"Chargeback {self.processor_ref}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


def evidence_upload_to(instance: "EvidenceFile", filename: str) -> str:
    # The stored name is ours, never the uploader's: no path tricks, and
    # the name a person gave stays in ``name`` for display.
    return f"evidence/{instance.merchant_id}/{instance.dispute_id}/{instance.token}"


class EvidenceFile(models.Model):
    class Kind(models.TextChoices):
        PDF = "application/pdf", "PDF"
        PNG = "image/png", "PNG"
        JPEG = "image/jpeg", "JPEG"

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="files")
    token = models.CharField(max_length=40, unique=True)
    file = models.FileField(upload_to=evidence_upload_to, max_length=200)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40, choices=Kind.choices)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    # Removed from a draft: kept for the record, not sent with the evidence.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class DailyTotal(models.Model):
    """One firm's money per day, account and currency, kept current by the
    services so the dashboard never sums millions of payments.

    ``day`` is the firm's calendar day (its time zone). Chargebacks are
    debited when they open and returned when won, as processors do.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    account = models.CharField(max_length=10, choices=Account.choices)
    currency = models.CharField(max_length=3)
    gross = models.BigIntegerField(default=0)
    payment_count = models.IntegerField(default=0)
    fees = models.BigIntegerField(default=0)
    refunded = models.BigIntegerField(default=0)
    refund_count = models.IntegerField(default=0)
    disputed = models.BigIntegerField(default=0)
    dispute_count = models.IntegerField(default=0)
    dispute_reversed = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "day", "account", "currency"],
                name="daily_total_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.account} {self.currency}"

    @property
    def net(self) -> int:
        return (
            self.gross
            - self.refunded
            - self.disputed
            + self.dispute_reversed
            - self.fees
        )
