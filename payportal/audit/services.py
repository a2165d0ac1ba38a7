"""Writing the audit trail. The app has no update or delete path for it."""

import hashlib
import json
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from payportal.audit.models import AuditEvent, Outcome
from payportal.merchants.models import Merchant

GENESIS = "0" * 64


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


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


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
            actor_username=actor.username if actor is not None else actor_username,
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
