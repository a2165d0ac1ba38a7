"""Webhook intake: verify, store once by event id, then apply.

Nothing is lost: an event is stored (in its own transaction) before it is
applied; one that cannot be applied yet (it refers to a payment that has
not arrived) waits as "deferred" and is applied when that payment arrives;
one that fails keeps its error and is re-applied by ``payportal webhooks
retry``. Applying an event and recording its outcome commit together, so
an event is never applied twice and never marked applied without effect.
"""

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from payportal.merchants.models import Merchant
from payportal.payments.services import ingest
from payportal.processors.base import (
    DisputeSnapshot,
    Event,
    PaymentSnapshot,
    RefundSnapshot,
)
from payportal.processors.models import WebhookEvent
from payportal.processors.registry import get_processor
from payportal.processors.sandbox import scrub

logger = logging.getLogger(__name__)

# Outcomes that are final: applying the event again would change nothing.
DONE = (WebhookEvent.Status.APPLIED, WebhookEvent.Status.IGNORED)
# A "received" event this old was stored by a process that stopped before
# applying it; no request takes this long.
STUCK_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Receipt:
    event: WebhookEvent
    # True when the event id was stored before: nothing was done this time.
    replay: bool


def receive(*, processor: str, headers: Mapping[str, str], body: bytes) -> Receipt:
    """Take one webhook request: the intake behind ``/webhooks/<processor>/``.

    Raises ``UnknownProcessor``, ``SignatureError`` (bad signature or stale
    timestamp) or ValueError (not an event) before anything is stored.
    A replayed event id returns the stored event and changes nothing.
    """
    adapter = get_processor(processor)
    adapter.verify_webhook(headers=headers, body=body)
    event = adapter.parse_event(body)
    # Card numbers or security codes a sender put in never reach storage.
    payload = scrub(json.loads(body))
    merchant = _merchant_for(processor, event.account)
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
        stored = WebhookEvent.objects.get(processor=processor, event_id=event.id)
        return Receipt(stored, replay=True)
    # Applied in a transaction of its own, after the store has committed.
    # No lock needed: only this request knows a "received" row (retries
    # take failed and deferred ones).
    with transaction.atomic():
        _apply_stored(row, event)
    return Receipt(_release_waiting(row, event), replay=False)


def receive_webhook(
    *, processor: str, headers: Mapping[str, str], body: bytes
) -> WebhookEvent:
    """``receive`` without the replay flag: the stored event."""
    return receive(processor=processor, headers=headers, body=body).event


def _merchant_for(processor: str, account: str) -> Merchant | None:
    if not account:
        return None
    return Merchant.objects.filter(
        processor=processor, processor_account=account
    ).first()


def apply_event(row: WebhookEvent) -> WebhookEvent:
    """Apply a stored event; then any events that were waiting for it.

    Returns the event as stored afterwards: applied, ignored (nothing to
    do), deferred (its payment has not arrived) or failed (with its error).
    An event already applied or ignored is left alone, so two workers (or
    a retry racing a delivery) can never apply it twice.
    """
    with transaction.atomic():
        row = (
            WebhookEvent.objects.select_for_update(of=("self",))
            .select_related("merchant")
            .get(pk=row.pk)
        )
        if row.status in DONE:
            return row
        event = _apply_stored(row)
    return _release_waiting(row, event)


def _apply_stored(row: WebhookEvent, event: Event | None = None) -> Event | None:
    """Apply ``row`` and record the outcome on it, in the caller's
    transaction; returns the parsed event (None if it no longer parses)."""
    row.attempts += 1
    try:
        if event is None:
            adapter = get_processor(row.processor)
            event = adapter.parse_event(json.dumps(row.payload).encode())
        if row.merchant is None:
            row.merchant = _merchant_for(row.processor, event.account)
        if row.merchant is None:
            raise ingest.CannotApply(f"no firm has account {event.account!r}")
        # A savepoint: a failure undoes the event's partial effects and
        # leaves the transaction usable to record the error.
        with transaction.atomic():
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
    return event


def _release_waiting(row: WebhookEvent, event: Event | None) -> WebhookEvent:
    """Once a payment is in, apply the events that waited for it."""
    released = event is not None and isinstance(event.object, PaymentSnapshot)
    if released and row.status == WebhookEvent.Status.APPLIED:
        for waiting in waiting_for(row):
            apply_event(waiting)
    return row


def waiting_for(row: WebhookEvent) -> QuerySet[WebhookEvent]:
    """Deferred events about the payment ``row`` is about, oldest first."""
    return WebhookEvent.objects.filter(
        processor=row.processor,
        payment_ref=row.payment_ref,
        status=WebhookEvent.Status.DEFERRED,
    ).order_by("created_at", "id")


def _apply(merchant: Merchant, processor: str, event: Event) -> bool:
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


def events_to_retry(*, include_deferred: bool = False) -> QuerySet[WebhookEvent]:
    """Failed events (and deferred ones if asked), oldest first; and events
    stuck as received: stored, but the process stopped before applying
    them. Those are left alone for a while, so a request still applying
    its event never races a retry."""
    statuses = [WebhookEvent.Status.FAILED]
    if include_deferred:
        statuses.append(WebhookEvent.Status.DEFERRED)
    stuck = Q(
        status=WebhookEvent.Status.RECEIVED,
        received_at__lt=timezone.now() - STUCK_AFTER,
    )
    return WebhookEvent.objects.filter(Q(status__in=statuses) | stuck).order_by(
        "created_at", "id"
    )


def retry_events(*, include_deferred: bool = False) -> list[WebhookEvent]:
    """Re-apply what ``events_to_retry`` finds, oldest first."""
    return [
        apply_event(row) for row in events_to_retry(include_deferred=include_deferred)
    ]
