"""Reads of the audit trail: the firm's events, and checking the hash chain."""

import datetime
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from payportal.audit.actions import AUDIT_PURGED
from payportal.audit.models import AuditEvent
from payportal.audit.services import GENESIS, canonical_fields, hash_fields
from payportal.merchants.models import Merchant


def list_events(
    *,
    merchant: Merchant,
    actor_id: int | None = None,
    action: str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    tz: zoneinfo.ZoneInfo | None = None,
) -> QuerySet[AuditEvent]:
    """The merchant's events, filtered; never another firm's or firm-less ones.

    Dates are whole days in ``tz`` (default: the site's time zone), both
    ends included.
    """
    events = AuditEvent.objects.filter(merchant=merchant)
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if action:
        events = events.filter(action=action)
    if date_from is not None:
        events = events.filter(created_at__gte=_start_of(date_from, tz))
    if date_to is not None:
        events = events.filter(
            created_at__lt=_start_of(date_to + datetime.timedelta(days=1), tz)
        )
    return events


def _start_of(
    day: datetime.date, tz: zoneinfo.ZoneInfo | None = None
) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time.min), timezone=tz
    )


@dataclass(frozen=True)
class ChainRow:
    """One event as the verifier sees it: a database row or an exported one."""

    id: int
    prev_hash: str
    hash: str
    fields: dict[str, Any]
    action: str = ""
    changes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, event: AuditEvent) -> "ChainRow":
        return cls(
            id=event.pk,
            prev_hash=event.prev_hash,
            hash=event.hash,
            fields=canonical_fields(event),
            action=event.action,
            changes=event.changes if isinstance(event.changes, dict) else {},
        )

    @classmethod
    def from_export(cls, item: dict[str, Any]) -> "ChainRow":
        fields = item["fields"]
        changes = fields.get("changes")
        return cls(
            id=item["id"],
            prev_hash=item["prev_hash"],
            hash=item["hash"],
            fields=fields,
            action=fields.get("action", ""),
            changes=changes if isinstance(changes, dict) else {},
        )


@dataclass(frozen=True)
class ChainReport:
    """The result of checking one chain: intact, or where it first breaks."""

    merchant: Merchant | None
    count: int
    broken_event_id: int | None = None
    problem: str = ""
    # The last event's hash: record it to catch deleted newest events later.
    head: str = GENESIS

    @property
    def intact(self) -> bool:
        return not self.problem


def purge_anchor(row: ChainRow) -> str | None:
    """The ``chain_starts_at`` an ``audit.purged`` event names, else None."""
    if row.action != AUDIT_PURGED:
        return None
    anchor = row.changes.get("chain_starts_at")
    if isinstance(anchor, list) and len(anchor) == 2 and isinstance(anchor[1], str):
        return anchor[1]
    return None


def verify_rows(
    rows: Iterable[ChainRow],
    *,
    start: str | None = GENESIS,
    head: str | None = None,
    merchant: Merchant | None = None,
) -> ChainReport:
    """Check a chain of rows in order; stop at the first broken one.

    ``start`` is the hash the first row must follow: GENESIS for a whole
    chain, a purge's ``chain_starts_at`` for a purged one, None to accept
    the first row's ``prev_hash`` as it is (an exported date range starts
    mid-chain). ``head``, when given, is the last hash the caller saw
    before (an earlier report or export): a chain that ends elsewhere lost
    or gained its newest events.
    """
    count = 0
    expected_prev = start
    last_hash = GENESIS
    for row in rows:
        count += 1
        if expected_prev is None:
            expected_prev = row.prev_hash
        if row.prev_hash != expected_prev:
            return ChainReport(
                merchant=merchant,
                count=count,
                broken_event_id=row.id,
                problem="its previous hash does not match the event before it",
            )
        if row.hash != hash_fields(prev_hash=row.prev_hash, fields=row.fields):
            return ChainReport(
                merchant=merchant,
                count=count,
                broken_event_id=row.id,
                problem="its hash does not match its contents",
            )
        expected_prev = last_hash = row.hash
    if head is not None and head != last_hash:
        return ChainReport(
            merchant=merchant,
            count=count,
            problem=(
                f"the chain ends at {last_hash[:12]}, not at the expected last "
                f"hash {head[:12]}: its newest events were removed or replaced"
            ),
            head=last_hash,
        )
    return ChainReport(merchant=merchant, count=count, head=last_hash)


def verify_chain(*, merchant: Merchant | None, head: str | None = None) -> ChainReport:
    """Recompute ``merchant``'s hash chain (None: the firm-less chain).

    Walks the events in id order from GENESIS (or the newest purge's
    anchor) and stops at the first event whose ``prev_hash`` is not its
    predecessor's hash (a row deleted or reordered before it) or whose
    ``hash`` does not match its contents (the row was edited). Deleting the
    newest events leaves no trace in the chain itself: pass the ``head`` of
    an earlier report to catch that.
    """
    events = AuditEvent.objects.filter(merchant=merchant).order_by("id")
    # A purge deleted the events before ``chain_starts_at`` and recorded it
    # in the chain; the newest purge says where the chain starts now.
    newest_purge = events.filter(action=AUDIT_PURGED).order_by("-id").first()
    start = GENESIS
    if newest_purge is not None:
        start = purge_anchor(ChainRow.of(newest_purge)) or GENESIS
    rows = (ChainRow.of(event) for event in events.iterator(chunk_size=2000))
    return verify_rows(rows, start=start, head=head, merchant=merchant)
