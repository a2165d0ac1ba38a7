from django.conf import settings
from django.db import models

from payportal.merchants.models import Merchant


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"


class AuditEvent(models.Model):
    """One append-only entry of the audit trail (DESIGN §5).

    Never holds passwords, tokens or card numbers. Rows are hash-chained per
    merchant: ``hash`` is SHA-256 over ``prev_hash`` and the canonical JSON
    of the event, so an edited, deleted or reordered row breaks the chain.
    Events that belong to no firm (a failed login with an unknown username)
    have no merchant and form their own chain.
    """

    merchant = models.ForeignKey(
        Merchant, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=40, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(
        max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS
    )
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["merchant", "-id"], name="audit_merchant_id"),
            models.Index(
                fields=["merchant", "action", "-id"], name="audit_merchant_action"
            ),
            models.Index(
                fields=["merchant", "actor", "-id"], name="audit_merchant_actor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action}"
