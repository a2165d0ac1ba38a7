import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError("Choose a time zone from the list.", code="time_zone")


class Merchant(models.Model):
    """The tenant: a firm. Every domain row and every user belongs to one."""

    name = models.CharField("Firm name", max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    # The firm's day: the dashboard's "today" and its daily totals.
    time_zone = models.CharField(
        "Time zone", max_length=60, default="UTC", validators=[validate_time_zone]
    )
    # The currency the dashboard totals in (ISO 4217).
    currency = models.CharField("Currency", max_length=3, default="USD")
    # Which processor adapter the firm's payments come through, and the
    # firm's account there: webhook events name the account, not the firm.
    processor = models.CharField("Processor", max_length=30, default="sandbox")
    processor_account = models.CharField(
        "Processor account", max_length=100, unique=True, null=True, blank=True
    )
    # Two-person approval (issue 3): when on, refunds above the threshold,
    # and every refund from the trust account, wait for a second user.
    refund_approval_enabled = models.BooleanField(
        "Two-person approval for refunds", default=False
    )
    refund_approval_threshold = models.BigIntegerField(
        "Approval needed above", default=100_000
    )

    # Issue 4 (PCI DSS 8.4, 8.3.9, 10.5): every user needs a second factor;
    # without it passwords expire after 90 days and need 15 characters.
    require_mfa = models.BooleanField(
        "Require two-step sign-in for everyone", default=False
    )
    # How long the audit trail is kept (PCI DSS 10.5.1: at least a year).
    audit_retention_days = models.PositiveIntegerField(
        "Keep the audit log for (days)", default=365
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(audit_retention_days__gte=365),
                name="merchant_audit_retention_at_least_a_year",
            ),
            models.CheckConstraint(
                condition=models.Q(refund_approval_threshold__gte=0),
                name="merchant_approval_threshold_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)
