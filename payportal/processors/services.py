"""Webhook intake: verify, store once by event id, then apply in order.

Nothing is lost: an event is stored before it is applied; one that cannot
be applied yet (it refers to a payment that has not arrived) waits as
"deferred" and is applied when that payment arrives; one that fails keeps
its error and is re-applied by ``payportal webhooks retry``.
"""

import json
import logging
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone

from payportal.merchants.models import Merchant
from payportal.payments.services import ingest
from payportal.processors.base import Event
from payportal.processors.models import WebhookEvent
from payportal.processors.registry import get_processor
from payportal.processors.sandbox import scrub

logger = logging.getLogger(__name__)


def receive_webhook(
    *, processor: str, headers: Mapping[str, str], body: bytes
) -> WebhookEvent:
    """Take one webhook request: the intake behind ``/webhooks/<processor>/``.

    Raises ``UnknownProcessor``, ``SignatureError`` (bad signature or stale
    timestamp) or ValueError (not an event) before anything is stored.
    A replayed event id returns the stored event and changes nothing.
    """
    adapter = get_processor(processor)
    adapter.verify_webhook(headers=headers, body=body)
    event = adapter.parse_event(body)
    payload = scrub(json.loads(body))
    merchant = Merchant.objects.filter(
        processor=processor, processor_account=event.account
    ).first()
    try:
        with transaction.atomic():
            row = WebhookEvent.objects.create(
                processor=processor,
                event_id=event.id,
                type=event.type,
                merchant=merchant,
                payment_ref=event.payment_ref,
                created_at=event.created_at,
                received_at=timezone.now(),
                payload=payload,
                status=WebhookEvent.Status.RECEIVED,
            )
    except IntegrityError:
        # Seen before (a replay, or the processor retrying): a no-op.
        return WebhookEvent.objects.get(processor=processor, event_id=event.id)
    apply_event(row)
    return row


def apply_event(row: WebhookEvent) -> WebhookEvent:
    """Apply a stored event; then any events that were waiting for it."""
    adapter = get_processor(row.processor)
    event = adapter.parse_event(json.dumps(row.payload).encode())
    row.attempts += 1
    if row.merchant_id is None:
        row.merchant = Merchant.objects.filter(
            processor=row.processor, processor_account=event.account
        ).first()
    try:
        with transaction.atomic():
            if row.merchant is None:
                raise ingest.CannotApply(f"no firm has account {event.account!r}")
            applied = _apply(row.merchant, row.processor, event)
    except ingest.WaitForPayment as error:
        row.status = WebhookEvent.Status.DEFERRED
        row.error = str(error)
    except Exception as error:  # noqa: BLE001 - kept with its error, not lost
        logger.exception("webhook event %s failed to apply", row.event_id)
        row.status = WebhookEvent.Status.FAILED
        row.error = f"{type(error).__name__}: {error}"
    else:
        row.status = (
            WebhookEvent.Status.APPLIED if applied else WebhookEvent.Status.IGNORED
        )
        row.error = ""
        row.applied_at = timezone.now()
    row.save(update_fields=["status", "error", "attempts", "applied_at", "merchant"])
    if row.status == WebhookEvent.Status.APPLIED and event.type.startswith("payment."):
        for waiting in WebhookEvent.objects.filter(
            processor=row.processor,
            payment_ref=event.payment_ref,
            status=WebhookEvent.Status.DEFERRED,
        ).order_by("created_at", "id"):
            apply_event(waiting)
    return row


def _apply(merchant: Merchant, processor: str, event: Event) -> bool:
    from payportal.processors.base import (
        DisputeSnapshot,
        PaymentSnapshot,
        RefundSnapshot,
    )

    snapshot = event.object
    if isinstance(snapshot, PaymentSnapshot):
        return ingest.apply_payment(
            merchant=merchant, processor=processor, snapshot=snapshot, event=event
        )
    if isinstance(snapshot, RefundSnapshot):
        return ingest.apply_refund(
            merchant=merchant, processor=processor, snapshot=snapshot, event=event
        )
    if isinstance(snapshot, DisputeSnapshot):
        return ingest.apply_dispute(
            merchant=merchant, processor=processor, snapshot=snapshot, event=event
        )
    return False


def retry_events(*, include_deferred: bool = False) -> list[WebhookEvent]:
    """Re-apply every failed event (and deferred ones if asked), oldest first."""
    statuses = [WebhookEvent.Status.FAILED]
    if include_deferred:
        statuses.append(WebhookEvent.Status.DEFERRED)
    rows = WebhookEvent.objects.filter(status__in=statuses).order_by("created_at", "id")
    return [apply_event(row) for row in rows]
