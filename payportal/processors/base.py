"""The processor interface: what every card processor adapter implements.

The portal never talks to a processor any other way. Adapters turn the
processor's own event format into ``Event`` objects whose ``object`` is
one of the snapshots below, so the payments services apply every
processor's events with the same code.
"""

import hashlib
import hmac
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from payportal.payments.models import Dispute, Refund


class ProcessorError(Exception):
    """The processor refused a request; ``message`` is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SignatureError(Exception):
    """A webhook's signature or timestamp did not check out."""


@dataclass(frozen=True)
class PaymentSnapshot:
    processor_ref: str
    status: str  # pending | succeeded | failed
    amount: int
    currency: str
    account: str  # operating | trust
    created_at: datetime
    fee: int = 0
    card_brand: str = ""
    card_last4: str = ""
    card_exp_month: int | None = None
    card_exp_year: int | None = None
    cardholder_name: str = ""
    payer_email: str = ""
    client_name: str = ""
    reference: str = ""
    description: str = ""
    failure_reason: str = ""
    captured_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundSnapshot:
    processor_ref: str
    payment_ref: str
    status: str  # pending | succeeded | failed | canceled
    amount: int
    currency: str
    created_at: datetime
    reason: str = "requested_by_customer"
    # The portal's idempotency key, echoed back, to find a refund the
    # portal asked for before it learnt the processor's reference.
    idempotency_key: str = ""
    failure_reason: str = ""


@dataclass(frozen=True)
class DisputeSnapshot:
    processor_ref: str
    payment_ref: str
    status: str  # needs_response | under_review | won | lost | accepted
    amount: int
    currency: str
    reason: str
    opened_at: datetime
    evidence_due_by: datetime


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    account: str
    created_at: datetime
    object: PaymentSnapshot | RefundSnapshot | DisputeSnapshot | None
    # The processor's own object as sent (card secrets scrubbed): kept on
    # the payment, refund or dispute as its last raw payload.
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def payment_ref(self) -> str:
        if isinstance(self.object, PaymentSnapshot):
            return self.object.processor_ref
        if self.object is None:
            return ""
        return self.object.payment_ref


class Processor(ABC):
    """One card processor. Calls raise ``ProcessorError`` when refused."""

    name: str

    @abstractmethod
    def create_refund(self, *, refund: "Refund") -> str:
        """Ask for a refund; returns the processor's reference for it.

        The refund settles later, through a webhook event.
        """

    @abstractmethod
    def submit_dispute_evidence(self, *, dispute: "Dispute") -> None:
        """Send the dispute's evidence (text and files); final."""

    @abstractmethod
    def accept_dispute(self, *, dispute: "Dispute") -> None:
        """Concede the dispute: the firm does not contest it."""

    @abstractmethod
    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes) -> None:
        """Raise ``SignatureError`` unless the request is genuine and fresh."""

    @abstractmethod
    def parse_event(self, body: bytes) -> Event:
        """Turn a verified webhook body into an ``Event``; ValueError if not."""


# The signature scheme the sandbox uses (Stripe's): HMAC-SHA256 over
# "<unix timestamp>.<body>", sent as "t=<timestamp>,v1=<hex digest>".
SIGNATURE_HEADER = "PayPortal-Signature"


def sign(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    *, secret: str, header: str, body: bytes, tolerance: int, now: float | None = None
) -> None:
    """Check a "t=…,v1=…" header; raise SignatureError with the reason."""
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError) as error:
        raise SignatureError("missing or malformed timestamp") from error
    # Whole seconds, as the timestamp is: a request signed at 12.9 s and
    # checked at 312.5 s is 300 s old, inside a 300 s tolerance.
    age = int(time.time() if now is None else now) - timestamp
    # A stale (or future) timestamp is refused even with a good signature:
    # a captured request cannot be replayed after the tolerance.
    if abs(age) > tolerance:
        raise SignatureError("timestamp outside the tolerance")
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise SignatureError("signature does not match")
