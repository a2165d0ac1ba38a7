"""Webhook events as the processor sent them: stored once, then applied."""

from django.db import models

from payportal.merchants.models import Merchant


class WebhookEvent(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        APPLIED = "applied", "Applied"
        # Waits for an object it refers to (a refund of a payment that has
        # not arrived yet); applied as soon as that object arrives.
        DEFERRED = "deferred", "Waiting for an earlier event"
        FAILED = "failed", "Failed"
        IGNORED = "ignored", "Ignored"

    processor = models.CharField(max_length=30)
    event_id = models.CharField(max_length=100)
    type = models.CharField(max_length=60)
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The payment the event is about, to find the events that wait for it.
    payment_ref = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField("Sent at")
    received_at = models.DateTimeField()
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # A replayed event finds its first copy here and changes nothing.
            models.UniqueConstraint(
                fields=["processor", "event_id"], name="webhook_event_once"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="webhook_status"),
            models.Index(fields=["processor", "payment_ref"], name="webhook_payment"),
        ]

    def __str__(self) -> str:
        return f"{self.processor} {self.event_id} {self.type}"
