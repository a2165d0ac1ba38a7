"""The built-in ``sandbox`` processor: a processor's test mode, in-house.

It behaves deterministically, so the portal runs and is tested with no
outside service (docs/sandbox.md lists every rule):

- A refund whose amount ends in 13 minor units (10.13) fails, "The card
  was closed."; every other refund succeeds.
- Payments made with a card ending 0002 are declined. A card ending 0259
  brings a fraud chargeback, 2685 a "services not provided" one, 1976 an
  "unrecognized" one and 0077 a "duplicate" one (``payportal simulate``
  and the demo follow these rules when they make activity).
- Dispute evidence whose text contains ``winning_evidence`` wins, with
  ``losing_evidence`` it loses; otherwise it stays under review until the
  processor (``payportal simulate``) closes it. Accepting closes it as
  accepted.

Refunds and dispute steps settle the way a real processor's do: through
signed webhook events. The sandbox signs each event with
``SANDBOX_WEBHOOK_SECRET`` and hands it straight to the same intake as
``/webhooks/sandbox/``: the services call the processor only after their
own transaction has committed, so the event finds the rows it is about.
"""

import hashlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings

from payportal.core.validators import redact_card_numbers
from payportal.processors.base import (
    SIGNATURE_HEADER,
    DisputeSnapshot,
    Event,
    PaymentSnapshot,
    Processor,
    RefundSnapshot,
    sign,
    verify_signature,
)

if TYPE_CHECKING:
    from payportal.payments.models import Dispute, Refund

NAME = "sandbox"
FAILING_REFUND_MINOR = 13
DECLINED_LAST4 = "0002"
FRAUD_DISPUTE_LAST4 = "0259"
NOT_PROVIDED_DISPUTE_LAST4 = "2685"
# Last four -> the reason of the chargeback a payment with that card brings.
DISPUTE_LAST4 = {
    FRAUD_DISPUTE_LAST4: "fraudulent",
    NOT_PROVIDED_DISPUTE_LAST4: "product_not_received",
    "1976": "unrecognized",
    "0077": "duplicate",
}
DECLINE_MESSAGE = "Your card was declined."
REFUND_FAILURE_MESSAGE = "The card was closed."
WINNING_TEXT = "winning_evidence"
LOSING_TEXT = "losing_evidence"
EVIDENCE_DAYS = 21
# Keys a card form might carry that must never reach storage or logs.
_SECRET_KEYS = {"number", "pan", "cvc", "cvv", "cvv2", "cvc2", "security_code"}


def _ts(value: datetime) -> int:
    return int(value.timestamp())


def _dt(value: Any) -> datetime:
    return datetime.fromtimestamp(_int(value), tz=UTC)


def make_ref(prefix: str, *parts: Any) -> str:
    """A processor-style id derived from ``parts``: the same parts, the same id."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return f"{prefix}_{digest[:24]}"


_ref = make_ref
# Column sizes of the intake's table: longer values are not an event.
_MAX_ID = 100
_MAX_TYPE = 60


def _int(value: Any) -> int:
    """An integer as JSON sends it; money is never a float or a string."""
    if isinstance(value, bool) or not isinstance(value, int):
        # The value is not quoted: an error message must never carry card data.
        raise ValueError(f"expected an integer, got {type(value).__name__}")
    return value


def _optional_int(value: Any) -> int | None:
    return None if value is None else _int(value)


def _text(value: Any, limit: int | None = None) -> str:
    if not isinstance(value, str) or not value or (limit and len(value) > limit):
        raise ValueError(f"expected an identifier of at most {limit} characters")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a webhook body, or ValueError.

    NaN, Infinity, NUL characters and lone surrogates are valid to Python's
    json module but not to PostgreSQL's jsonb, so they are refused here, as
    malformed, rather than failing later when the event is stored.
    """
    payload = json.loads(body, parse_constant=_refuse_constant)
    if not isinstance(payload, dict):
        raise ValueError("the body is not a JSON object")
    _check_strings(payload)
    return payload


def _check_strings(value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)
    elif isinstance(value, str):
        # UnicodeEncodeError (a ValueError) for a lone surrogate.
        value.encode("utf-8")
        if "\x00" in value:
            raise ValueError("the body contains a NUL character")


def refund_fails(amount: int) -> bool:
    """The sandbox's rule: a refund of x.13 fails."""
    return amount % 100 == FAILING_REFUND_MINOR


# Keys whose values are identifiers, not text: masking a run of digits in
# them (a hex reference can hold one that passes the Luhn check) would
# break the matching of events to their objects.
_IDENTIFIER_KEYS = {
    "id",
    "object",
    "type",
    "account",
    "payment",
    "idempotency_key",
    "status",
    "currency",
    "deposit_account",
}


def scrub(value: Any, key: str | None = None) -> Any:
    """The payload without card-number or security-code keys, recursively,
    and with any card number inside its text masked but the last four
    digits (a cardholder who typed theirs into a description): PCI DSS 3.3,
    3.4. The portal refuses card numbers in what people type; what the
    processor sends cannot be refused, so it is masked. Identifiers are
    left as they are."""
    if isinstance(value, dict):
        return {
            scrub(name): scrub(item, str(name))
            for name, item in value.items()
            if str(name).lower() not in _SECRET_KEYS
        }
    if isinstance(value, list):
        return [scrub(item, key) for item in value]
    if isinstance(value, str) and key not in _IDENTIFIER_KEYS:
        return redact_card_numbers(value)
    return value


# --- Building events (the sandbox's wire format) ----------------------------


def payment_object(
    *,
    processor_ref: str,
    status: str,
    amount: int,
    currency: str,
    account: str,
    created_at: datetime,
    fee: int = 0,
    card: Mapping[str, Any] | None = None,
    cardholder_name: str = "",
    payer_email: str = "",
    client_name: str = "",
    reference: str = "",
    description: str = "",
    failure_reason: str = "",
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "object": "payment",
        "id": processor_ref,
        "status": status,
        "amount": amount,
        "currency": currency.lower(),
        "deposit_account": account,
        "fee": fee,
        "card": dict(card or {}),
        "billing_details": {"name": cardholder_name, "email": payer_email},
        "client": client_name,
        "reference": reference,
        "description": description,
        "failure_message": failure_reason,
        "metadata": dict(metadata or {}),
        "created": _ts(created_at),
        "captured": _ts(created_at) if status == "succeeded" else None,
    }


def refund_object(
    *,
    processor_ref: str,
    payment_ref: str,
    status: str,
    amount: int,
    currency: str,
    created_at: datetime,
    reason: str = "requested_by_customer",
    idempotency_key: str = "",
    failure_reason: str = "",
) -> dict[str, Any]:
    return {
        "object": "refund",
        "id": processor_ref,
        "payment": payment_ref,
        "status": status,
        "amount": amount,
        "currency": currency.lower(),
        "reason": reason,
        "failure_message": failure_reason,
        "metadata": {"idempotency_key": idempotency_key},
        "created": _ts(created_at),
    }


def dispute_object(
    *,
    processor_ref: str,
    payment_ref: str,
    status: str,
    amount: int,
    currency: str,
    reason: str,
    opened_at: datetime,
    evidence_due_by: datetime | None = None,
) -> dict[str, Any]:
    due = evidence_due_by or opened_at + timedelta(days=EVIDENCE_DAYS)
    return {
        "object": "dispute",
        "id": processor_ref,
        "payment": payment_ref,
        "status": status,
        "amount": amount,
        "currency": currency.lower(),
        "reason": reason,
        "created": _ts(opened_at),
        "evidence_details": {"due_by": _ts(due)},
    }


def event_body(
    *, type: str, account: str, obj: dict[str, Any], created_at: datetime | None = None
) -> bytes:
    """A webhook body; the event id is derived from its content and time,
    so the same event built twice is the same event (a replay)."""
    created = _ts(created_at) if created_at else int(time.time())
    payload = {
        "id": _ref("evt", type, account, json.dumps(obj, sort_keys=True), created),
        "type": type,
        "created": created,
        "account": account,
        "data": {"object": obj},
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def signed_headers(body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    return {
        SIGNATURE_HEADER: sign(
            secret=settings.SANDBOX_WEBHOOK_SECRET, body=body, timestamp=timestamp
        )
    }


# --- Delivery ---------------------------------------------------------------


def deliver_in_process(body: bytes) -> None:
    """Hand a signed event to the webhook intake, as the HTTP endpoint does."""
    from payportal.processors import services

    services.receive_webhook(processor=NAME, headers=signed_headers(body), body=body)


def webhook_url(base_url: str) -> str:
    """The sandbox's endpoint on the portal at ``base_url``."""
    return base_url.rstrip("/") + f"/webhooks/{NAME}/"


def deliver_over_http(
    url: str, body: bytes, *, secret: str | None = None, timeout: float = 30
) -> tuple[int, dict[str, Any]]:
    """POST a signed event to ``url`` as the processor would.

    The signature's timestamp is now: the tolerance is about delivery, the
    event keeps its own time. Returns the HTTP status and the JSON answer;
    raises ``urllib.error.URLError`` (or OSError) when nothing answered.
    """
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url}")
    header = sign(secret=secret or settings.SANDBOX_WEBHOOK_SECRET, body=body)
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: header},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, text = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    try:
        answer = json.loads(text)
    except ValueError:
        answer = {"error": text[:200].decode(errors="replace")}
    return status, answer if isinstance(answer, dict) else {"answer": answer}


class SandboxProcessor(Processor):
    name = NAME

    def create_refund(self, *, refund: "Refund") -> str:
        payment = refund.payment
        ref = _ref("re", payment.processor_ref, refund.idempotency_key)
        failed = refund_fails(refund.amount)
        obj = refund_object(
            processor_ref=ref,
            payment_ref=payment.processor_ref,
            status="failed" if failed else "succeeded",
            amount=refund.amount,
            currency=refund.currency,
            created_at=refund.created_at,
            reason=refund.reason,
            idempotency_key=refund.idempotency_key,
            failure_reason=REFUND_FAILURE_MESSAGE if failed else "",
        )
        body = event_body(
            type="refund.failed" if failed else "refund.succeeded",
            account=refund.merchant.processor_account or "",
            obj=obj,
        )
        deliver_in_process(body)
        return ref

    def _dispute_event(self, dispute: "Dispute", status: str, type: str) -> bytes:
        obj = dispute_object(
            processor_ref=dispute.processor_ref,
            payment_ref=dispute.payment.processor_ref,
            status=status,
            amount=dispute.amount,
            currency=dispute.currency,
            reason=dispute.reason,
            opened_at=dispute.opened_at,
            evidence_due_by=dispute.evidence_due_by,
        )
        return event_body(
            type=type, account=dispute.merchant.processor_account or "", obj=obj
        )

    def submit_dispute_evidence(self, *, dispute: "Dispute") -> None:
        text = " ".join(
            [
                dispute.services_description,
                dispute.customer_communication,
                dispute.fee_agreement,
                dispute.refund_policy,
                dispute.other_evidence,
            ]
        )
        bodies = [self._dispute_event(dispute, "under_review", "dispute.updated")]
        if WINNING_TEXT in text:
            bodies.append(self._dispute_event(dispute, "won", "dispute.closed"))
        elif LOSING_TEXT in text:
            bodies.append(self._dispute_event(dispute, "lost", "dispute.closed"))
        for body in bodies:
            deliver_in_process(body)

    def accept_dispute(self, *, dispute: "Dispute") -> None:
        body = self._dispute_event(dispute, "accepted", "dispute.closed")
        deliver_in_process(body)

    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes) -> None:
        verify_signature(
            secret=settings.SANDBOX_WEBHOOK_SECRET,
            header=headers.get(SIGNATURE_HEADER, ""),
            body=body,
            tolerance=settings.WEBHOOK_TOLERANCE_SECONDS,
        )

    def parse_event(self, body: bytes) -> Event:
        try:
            # Scrubbed first: no card number reaches a snapshot or an error.
            payload = scrub(load_body(body))
            obj = payload["data"]["object"]
            kind = obj["object"]
            snapshot: PaymentSnapshot | RefundSnapshot | DisputeSnapshot | None
            if kind == "payment":
                card = obj.get("card") or {}
                billing = obj.get("billing_details") or {}
                snapshot = PaymentSnapshot(
                    processor_ref=_text(obj["id"], _MAX_ID),
                    status=str(obj["status"]),
                    amount=_int(obj["amount"]),
                    currency=str(obj["currency"]).upper(),
                    account=str(obj.get("deposit_account") or "operating"),
                    created_at=_dt(obj["created"]),
                    fee=_int(obj.get("fee") or 0),
                    card_brand=str(card.get("brand") or ""),
                    card_last4=str(card.get("last4") or "")[-4:],
                    card_exp_month=_optional_int(card.get("exp_month")),
                    card_exp_year=_optional_int(card.get("exp_year")),
                    cardholder_name=str(billing.get("name") or ""),
                    payer_email=str(billing.get("email") or ""),
                    client_name=str(obj.get("client") or ""),
                    reference=str(obj.get("reference") or ""),
                    description=str(obj.get("description") or ""),
                    failure_reason=str(obj.get("failure_message") or ""),
                    captured_at=_dt(obj["captured"]) if obj.get("captured") else None,
                    metadata=scrub(obj.get("metadata") or {}),
                )
            elif kind == "refund":
                snapshot = RefundSnapshot(
                    processor_ref=_text(obj["id"], _MAX_ID),
                    payment_ref=_text(obj["payment"], _MAX_ID),
                    status=str(obj["status"]),
                    amount=_int(obj["amount"]),
                    currency=str(obj["currency"]).upper(),
                    created_at=_dt(obj["created"]),
                    reason=str(obj.get("reason") or "requested_by_customer"),
                    idempotency_key=str(
                        (obj.get("metadata") or {}).get("idempotency_key") or ""
                    ),
                    failure_reason=str(obj.get("failure_message") or ""),
                )
            elif kind == "dispute":
                snapshot = DisputeSnapshot(
                    processor_ref=_text(obj["id"], _MAX_ID),
                    payment_ref=_text(obj["payment"], _MAX_ID),
                    status=str(obj["status"]),
                    amount=_int(obj["amount"]),
                    currency=str(obj["currency"]).upper(),
                    reason=str(obj["reason"]),
                    opened_at=_dt(obj["created"]),
                    evidence_due_by=_dt(obj["evidence_details"]["due_by"]),
                )
            else:
                snapshot = None
            return Event(
                id=_text(payload["id"], _MAX_ID),
                type=_text(payload["type"], _MAX_TYPE),
                account=str(payload.get("account") or ""),
                created_at=_dt(payload["created"]),
                object=snapshot,
                raw=scrub(obj),
            )
        except (
            RecursionError,
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            OverflowError,
            OSError,
        ) as error:
            raise ValueError(f"not a sandbox event: {error}") from error
