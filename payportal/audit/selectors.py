"""Reads of the audit trail: the firm's events, and checking the hash chain."""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from payportal.audit.models import AuditEvent
from payportal.audit.services import GENESIS, compute_hash
from payportal.merchants.models import Merchant


def list_events(
    *,
    merchant: Merchant,
    actor_id: int | None = None,
    action: str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditEvent]:
    """The merchant's events, filtered; never another firm's or firm-less ones.

    Dates are whole days in the site's time zone, both ends included.
    """
    events = AuditEvent.objects.filter(merchant=merchant)
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if action:
        events = events.filter(action=action)
    if date_from is not None:
        events = events.filter(created_at__gte=_start_of(date_from))
    if date_to is not None:
        events = events.filter(
            created_at__lt=_start_of(date_to + datetime.timedelta(days=1))
        )
    return events


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass(frozen=True)
class ChainReport:
    """The result of checking one chain: intact, or where it first breaks."""

    merchant: Merchant | None
    count: int
    broken_event_id: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_event_id is None


def verify_chain(*, merchant: Merchant | None) -> ChainReport:
    """Recompute ``merchant``'s hash chain (None: the firm-less chain).

    Walks the events in id order from GENESIS and stops at the first event
    whose ``prev_hash`` is not its predecessor's hash (a row deleted or
    reordered before it) or whose ``hash`` does not match its contents (the
    row was edited). Deleting the newest events leaves no trace in the chain
    itself: compare the count with an earlier report to catch that.
    """
    expected_prev = GENESIS
    count = 0
    events = AuditEvent.objects.filter(merchant=merchant).order_by("id")
    for event in events.iterator(chunk_size=2000):
        count += 1
        if event.prev_hash != expected_prev:
            return ChainReport(
                merchant=merchant,
                count=count,
                broken_event_id=event.pk,
                problem="its previous hash does not match the event before it",
            )
        if event.hash != compute_hash(prev_hash=event.prev_hash, event=event):
            return ChainReport(
                merchant=merchant,
                count=count,
                broken_event_id=event.pk,
                problem="its hash does not match its contents",
            )
        expected_prev = event.hash
    return ChainReport(merchant=merchant, count=count)
