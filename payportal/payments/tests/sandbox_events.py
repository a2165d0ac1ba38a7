"""Send sandbox events to the portal's intake, signed, as the processor does.

``payment_succeeded(merchant, amount=…)`` returns the stored Payment; the
rest return the WebhookEvent row. Used by tests across apps.
"""

from datetime import UTC, datetime, timedelta
from itertools import count

from payportal.merchants.models import Merchant
from payportal.payments.models import Dispute, Payment
from payportal.processors import sandbox, services
from payportal.processors.models import WebhookEvent

_SEQ = count(1)
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def send(body: bytes) -> WebhookEvent:
    return services.receive_webhook(
        processor=sandbox.NAME, headers=sandbox.signed_headers(body), body=body
    )


def payment_body(
    merchant: Merchant,
    *,
    ref: str | None = None,
    status: str = "succeeded",
    amount: int = 10_000,
    account: str = "operating",
    created_at: datetime | None = None,
    last4: str = "4242",
    event_time: datetime | None = None,
    **extra: object,
) -> bytes:
    created_at = created_at or NOW
    obj = sandbox.payment_object(
        processor_ref=ref or f"py_{next(_SEQ):08d}",
        status=status,
        amount=amount,
        currency=merchant.currency,
        account=account,
        created_at=created_at,
        fee=amount * 29 // 1000 + 30,
        card={"brand": "visa", "last4": last4, "exp_month": 4, "exp_year": 2029},
        cardholder_name=str(extra.pop("cardholder_name", "Jordan Client")),
        payer_email=str(extra.pop("payer_email", "jordan@example.com")),
        client_name=str(extra.pop("client_name", "Jordan Client")),
        reference=str(extra.pop("reference", "MAT-2041")),
        description=str(extra.pop("description", "Retainer")),
    )
    return sandbox.event_body(
        type=f"payment.{status}",
        account=merchant.processor_account or "",
        obj=obj,
        created_at=event_time or created_at,
    )


def payment_succeeded(merchant: Merchant, **kwargs: object) -> Payment:
    body = payment_body(merchant, **kwargs)  # type: ignore[arg-type]
    event = send(body)
    return Payment.objects.get(processor_ref=event.payment_ref)


def refund_body(
    payment: Payment,
    *,
    ref: str | None = None,
    status: str = "succeeded",
    amount: int = 1_000,
    idempotency_key: str = "",
    event_time: datetime | None = None,
) -> bytes:
    obj = sandbox.refund_object(
        processor_ref=ref or f"re_{next(_SEQ):08d}",
        payment_ref=payment.processor_ref,
        status=status,
        amount=amount,
        currency=payment.currency,
        created_at=payment.created_at + timedelta(days=1),
        idempotency_key=idempotency_key,
    )
    return sandbox.event_body(
        type=f"refund.{status}",
        account=payment.merchant.processor_account or "",
        obj=obj,
        created_at=event_time or payment.created_at + timedelta(days=1),
    )


def dispute_body(
    payment: Payment,
    *,
    ref: str | None = None,
    status: str = "needs_response",
    amount: int | None = None,
    reason: str = "fraudulent",
    opened_at: datetime | None = None,
    due_by: datetime | None = None,
    event_time: datetime | None = None,
) -> bytes:
    opened_at = opened_at or payment.created_at + timedelta(days=2)
    obj = sandbox.dispute_object(
        processor_ref=ref or f"dp_{next(_SEQ):08d}",
        payment_ref=payment.processor_ref,
        status=status,
        amount=amount or payment.amount,
        currency=payment.currency,
        reason=reason,
        opened_at=opened_at,
        evidence_due_by=due_by,
    )
    kind = {"needs_response": "created", "under_review": "updated"}.get(
        status, "closed"
    )
    return sandbox.event_body(
        type=f"dispute.{kind}",
        account=payment.merchant.processor_account or "",
        obj=obj,
        created_at=event_time or opened_at,
    )


def dispute_opened(payment: Payment, **kwargs: object) -> Dispute:
    event = send(dispute_body(payment, **kwargs))  # type: ignore[arg-type]
    ref = event.payload["data"]["object"]["id"]
    return Dispute.objects.get(merchant=payment.merchant, processor_ref=ref)
