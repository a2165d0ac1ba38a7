"""Writing the audit trail. The app has no update or delete path for it.

The database refuses UPDATE and DELETE on ``audit_auditevent`` by itself
(triggers, migration 0002). The one way to delete rows is
``purge_events``: it opens the purge permit for its own transaction only,
and the trigger still refuses any row younger than the firm's retention.

How an auditor recomputes the chain (a script: exports.py): for each
event in id order, ``hash = SHA-256(prev_hash + canonical JSON)`` in hex,
where the canonical JSON is ``canonical_fields`` dumped with sorted keys,
no spaces (``separators=(",", ":")``) and ASCII escapes
(``json.dumps`` defaults), and the first event's ``prev_hash`` is GENESIS
(64 zeros) or the anchor named by the newest ``audit.purged`` event.
"""

import contextlib
import contextvars
import datetime
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from payportal.audit.models import AuditEvent, Outcome
from payportal.merchants.models import Merchant

GENESIS = "0" * 64


def canonical_fields(event: AuditEvent) -> dict[str, Any]:
    """The fields the hash covers, as JSON-ready values (the export's
    ``fields``)."""
    return json.loads(canonical_json(event))


def canonical_json(event: AuditEvent) -> str:
    """The event's fields as sorted, compact JSON: what the hash covers."""
    return json.dumps(
        {
            "merchant": event.merchant_id,
            "created_at": event.created_at.isoformat(),
            "actor": event.actor_id,
            "actor_username": event.actor_username,
            "ip_address": event.ip_address,
            "user_agent": event.user_agent,
            "action": event.action,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "target_label": event.target_label,
            "changes": event.changes,
            "outcome": event.outcome,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def compute_hash(*, prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical_json(event)).encode()).hexdigest()


def hash_fields(*, prev_hash: str, fields: dict[str, Any]) -> str:
    """``compute_hash`` over exported ``fields``: what an auditor runs."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + text).encode()).hexdigest()


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _who(actor: Any, actor_username: str, request: HttpRequest | None) -> str:
    """Who to name as the event's user (PCI DSS 10.2.2: never blank).

    A portal user by their username; else what the caller gives (a username
    typed at sign-in, "processor"); else "anonymous" for a visitor's
    request and "system" for a command or the firm's setup.
    """
    if actor is not None:
        return actor.username
    if actor_username:
        return actor_username
    return "anonymous" if request is not None else "system"


def record_event(
    *,
    action: str,
    merchant: Merchant | None,
    actor: Any = None,
    actor_username: str = "",
    request: HttpRequest | None = None,
    target: Any = None,
    target_type: str = "",
    target_label: str = "",
    changes: dict[str, list[Any]] | None = None,
    outcome: str = Outcome.SUCCESS,
) -> AuditEvent:
    """Append an event to the merchant's hash chain.

    Call it inside the service's transaction so the event and the change it
    describes commit together. Locks the merchant's row on PostgreSQL so two
    events cannot chain onto the same predecessor (SQLite serialises writes).
    """
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if target is not None:
        target_type = target_type or target._meta.model_name
        target_label = target_label or str(target)
    with transaction.atomic():
        if merchant is not None:
            Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
        previous = (
            AuditEvent.objects.filter(merchant=merchant)
            .order_by("-id")
            .values_list("hash", flat=True)
            .first()
        )
        event = AuditEvent(
            merchant=merchant,
            created_at=timezone.now(),
            actor=actor,
            actor_username=_who(actor, actor_username, request),
            ip_address=client_ip(request),
            user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[
                :300
            ],
            action=action,
            target_type=target_type,
            target_id=str(target.pk) if target is not None else "",
            target_label=target_label[:200],
            changes=changes or {},
            outcome=outcome,
            prev_hash=previous or GENESIS,
        )
        event.hash = compute_hash(prev_hash=event.prev_hash, event=event)
        event.save(force_insert=True)
    return event


# --- Purging old events ------------------------------------------------------

# The SQLite trigger asks this, through the SQL function
# ``payportal_audit_delete_mode()`` that apps.py registers on every SQLite
# connection: 0 refuses every DELETE, PURGE lets through rows older than
# their firm's retention, FLUSH everything (``payportal flush`` only).
DELETE_REFUSED, DELETE_PURGE, DELETE_FLUSH = 0, 1, 2
_delete_mode: contextvars.ContextVar[int] = contextvars.ContextVar(
    "payportal_audit_delete_mode", default=DELETE_REFUSED
)
# For firm-less events (they have no firm setting): PCI DSS 10.5.1's year.
DEFAULT_RETENTION_DAYS = 365


def delete_mode() -> int:
    return _delete_mode.get()


@contextlib.contextmanager
def delete_permit(mode: int) -> Iterator[None]:
    """Open the database's delete permit for the current transaction.

    PostgreSQL: ``SET LOCAL payportal.audit_delete`` lasts until the
    transaction ends, whatever happens. SQLite: the connection's SQL
    function answers ``mode`` until the block ends. ``FLUSH`` matters on
    SQLite only (PostgreSQL's flush is a TRUNCATE, which fires no row
    trigger).
    """
    if connection.vendor == "postgresql" and mode == DELETE_PURGE:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL payportal.audit_delete = 'purge'")
    token = _delete_mode.set(mode)
    try:
        yield
    finally:
        _delete_mode.reset(token)
        if connection.vendor == "postgresql" and mode == DELETE_PURGE:
            if connection.in_atomic_block and not connection.needs_rollback:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL payportal.audit_delete = ''")


def purge_events(
    *, merchant: Merchant | None, now: datetime.datetime | None = None
) -> int:
    """Delete the merchant's events older than its retention; return how many.

    Deletes a prefix of the chain only: every event before the first one
    that is young enough to keep (so the rest still chains). Side effects:
    records one ``audit.purged`` event first, whose ``changes`` name the
    cutoff, the count and ``chain_starts_at`` - the ``prev_hash`` of the
    first kept event - which ``verify_chain`` takes as the chain's start
    instead of GENESIS. Records nothing and deletes nothing when no event is
    old enough. The database's trigger refuses rows younger than the
    retention even here.
    """
    from payportal.audit import actions

    now = now or timezone.now()
    with transaction.atomic():
        if merchant is not None:
            merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
            days = merchant.audit_retention_days
        else:
            days = DEFAULT_RETENTION_DAYS
        cutoff = now - datetime.timedelta(days=days)
        chain = AuditEvent.objects.filter(merchant=merchant)
        first_kept = (
            chain.filter(created_at__gte=cutoff).order_by("id").only("id").first()
        )
        doomed = chain.filter(id__lt=first_kept.pk) if first_kept else chain
        count = doomed.count()
        if not count:
            return 0
        if first_kept is not None:
            anchor = chain.values_list("prev_hash", flat=True).get(pk=first_kept.pk)
        else:
            # Everything goes: the purge event itself starts the chain.
            anchor = chain.order_by("-id").values_list("hash", flat=True).first()
        last_doomed = doomed.order_by("-id").values_list("id", flat=True).first()
        record_event(
            action=actions.AUDIT_PURGED,
            merchant=merchant,
            actor_username="system",
            target_type="audit_log",
            target_label="Audit log",
            changes={
                "purged_events": [None, count],
                "purged_before": [None, cutoff.isoformat()],
                "retention_days": [None, days],
                "chain_starts_at": [None, anchor],
            },
        )
        with delete_permit(DELETE_PURGE):
            deleted, _ = AuditEvent.objects.filter(
                merchant=merchant, id__lte=last_doomed
            ).delete()
    return deleted
