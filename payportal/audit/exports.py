"""The audit log as CSV or JSON for an auditor, streamed row by row.

Both carry the six fields of PCI DSS 10.2.2 (user, type of event, date and
time, outcome, origination, affected data), the changes, and the chain
hashes. The JSON holds each event's hashed ``fields`` exactly, so
``payportal audit verify --file`` recomputes every hash offline. Without
PayPortal, an auditor runs the same check in plain Python::

    import hashlib, json
    data = json.load(open("export.json"))
    prev = data["events"][0]["prev_hash"] if data["events"] else None
    for e in data["events"]:
        text = json.dumps(e["fields"], sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256((e["prev_hash"] + text).encode()).hexdigest()
        assert e["prev_hash"] == prev and e["hash"] == digest, e["id"]
        prev = e["hash"]
    assert prev == data["last_hash"] or not data["events"]

A range starts mid-chain: its first ``prev_hash`` is the hash of the event
before the range (64 zeros when the range starts the chain). Compare
``last_hash`` with the one ``payportal audit verify`` printed, or with a
later export, to catch removed newest events.
"""

import datetime
import json
import zoneinfo
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from payportal.audit.actions import LABELS
from payportal.audit.models import AuditEvent
from payportal.audit.services import GENESIS, canonical_fields
from payportal.core.exports import csv_chunks, safe_row, streamed

FORMAT = "payportal-audit-export/1"
CSV_HEADER = [
    "Event ID",
    "Time",
    "User",
    "User ID",
    "Action",
    "Action code",
    "Outcome",
    "IP address",
    "User agent",
    "Target type",
    "Target ID",
    "Target",
    "Changes",
    "Previous hash",
    "Hash",
]


def _rows(events: QuerySet[AuditEvent]) -> Iterator[AuditEvent]:
    # Chain order (oldest first), read in chunks: millions of rows stream.
    return streamed(events.order_by("id"), chunk_size=2000)


def csv_lines(events: QuerySet[AuditEvent], *, tz: zoneinfo.ZoneInfo) -> Iterator[str]:
    """The events as CSV text in chunks (core/exports.py), formula-safe."""
    rows = (
        safe_row(
            (
                event.pk,
                event.created_at.astimezone(tz).isoformat(),
                event.actor_username,
                event.actor_id or "",
                LABELS.get(event.action, event.action),
                event.action,
                event.get_outcome_display(),
                event.ip_address or "",
                event.user_agent,
                event.target_type,
                event.target_id,
                event.target_label,
                json.dumps(event.changes, sort_keys=True) if event.changes else "",
                event.prev_hash,
                event.hash,
            )
        )
        for event in _rows(events)
    )
    return csv_chunks(CSV_HEADER, rows)


def json_chunks(
    events: QuerySet[AuditEvent],
    *,
    tz: zoneinfo.ZoneInfo,
    header: dict[str, Any],
) -> Iterator[str]:
    """One JSON document, written piece by piece.

    ``header`` comes first; then ``events`` in chain order, each with its
    ``id``, ``prev_hash``, ``hash``, ``time`` (in the firm's time zone, for
    reading) and ``fields`` (what the hash covers, times in UTC); then
    ``count`` and ``last_hash`` (GENESIS for an empty range).
    """
    head = json.dumps({"format": FORMAT, **header}, indent=1)
    yield head[: head.rindex("}")].rstrip() + ',\n "events": ['
    count, last_hash = 0, GENESIS
    for event in _rows(events):
        item = {
            "id": event.pk,
            "time": event.created_at.astimezone(tz).isoformat(),
            "prev_hash": event.prev_hash,
            "hash": event.hash,
            "fields": canonical_fields(event),
        }
        yield ("\n  " if count == 0 else ",\n  ") + json.dumps(item, sort_keys=True)
        count += 1
        last_hash = event.hash
    yield f'\n ],\n "count": {count},\n "last_hash": "{last_hash}"\n}}\n'


def describe_range(
    date_from: datetime.date | None, date_to: datetime.date | None
) -> str:
    if date_from and date_to:
        return f"{date_from.isoformat()} to {date_to.isoformat()}"
    if date_from:
        return f"from {date_from.isoformat()}"
    if date_to:
        return f"until {date_to.isoformat()}"
    return "all dates"


def load_export(text: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An export's header and events; ValueError when it is not one."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a PayPortal audit export ({FORMAT})")
    events = data.get("events")
    if not isinstance(events, list):
        raise ValueError("it has no list of events")
    return data, events
