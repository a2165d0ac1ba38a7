"""Applying the processor's view of a payment, refund or dispute.

Called by webhook intake (``processors.services``) with snapshots already
parsed by the processor's adapter. Events can arrive in any order, twice,
or late: each object's status only moves forward (a rank per status), so
whatever the order, the last state is the right one.
"""

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from payportal.audit import actions
from payportal.audit.services import record_event
from payportal.merchants.models import Merchant
from payportal.payments.models import Account, Dispute, Payment, Refund
from payportal.payments.services.totals import add_to_daily_total
from payportal.processors.base import (
    DisputeSnapshot,
    Event,
    PaymentSnapshot,
    RefundSnapshot,
)

PROCESSOR_ACTOR = "processor"


class CannotApply(Exception):
    """The event cannot be applied as it stands; kept with this error."""


class WaitForPayment(CannotApply):
    """The event is about a payment the portal has not seen yet."""


# What a processor's payment object can say; refunds and chargebacks move a
# payment on from "succeeded" here, through their own events.
_SNAPSHOT_PAYMENT_STATUSES = (
    Payment.Status.PENDING,
    Payment.Status.SUCCEEDED,
    Payment.Status.FAILED,
)
_PAYMENT_RANK = {
    Payment.Status.PENDING: 0,
    Payment.Status.SUCCEEDED: 1,
    Payment.Status.FAILED: 1,
    Payment.Status.PARTIALLY_REFUNDED: 1,
    Payment.Status.REFUNDED: 1,
}
_REFUND_RANK = {
    Refund.Status.AWAITING_APPROVAL: 0,
    Refund.Status.PENDING: 1,
    Refund.Status.SUCCEEDED: 2,
    Refund.Status.FAILED: 2,
    Refund.Status.CANCELED: 2,
}
_DISPUTE_RANK = {
    Dispute.Status.NEEDS_RESPONSE: 0,
    Dispute.Status.UNDER_REVIEW: 1,
    Dispute.Status.WON: 2,
    Dispute.Status.LOST: 2,
    Dispute.Status.ACCEPTED: 2,
}


def _check(value: str, choices: Any, what: str) -> str:
    if value not in choices.values:
        raise CannotApply(f"unknown {what} {value!r}")
    return value


def refresh_payment_status(payment: Payment) -> None:
    """Succeeded, partially refunded or refunded, from ``refunded_amount``."""
    if payment.status not in (
        Payment.Status.SUCCEEDED,
        Payment.Status.PARTIALLY_REFUNDED,
        Payment.Status.REFUNDED,
    ):
        return
    if payment.refunded_amount == 0:
        payment.status = Payment.Status.SUCCEEDED
    elif payment.refunded_amount >= payment.amount:
        payment.status = Payment.Status.REFUNDED
    else:
        payment.status = Payment.Status.PARTIALLY_REFUNDED


def _record_payment_success(merchant: Merchant, payment: Payment) -> None:
    operating = payment.account == Account.OPERATING
    add_to_daily_total(
        merchant=merchant,
        when=payment.created_at,
        account=payment.account,
        currency=payment.currency,
        gross=payment.amount,
        payment_count=1,
        # One update when the fee comes from the same account.
        **({"fees": payment.fee} if operating and payment.fee else {}),
    )
    if payment.fee and not operating:
        # Processing fees come from operating, whatever the deposit account.
        add_to_daily_total(
            merchant=merchant,
            when=payment.created_at,
            account=Account.OPERATING,
            currency=payment.currency,
            fees=payment.fee,
        )


@transaction.atomic
def apply_payment(
    *, merchant: Merchant, processor: str, snapshot: PaymentSnapshot, event: Event
) -> bool:
    status = snapshot.status
    if status not in _SNAPSHOT_PAYMENT_STATUSES:
        raise CannotApply(f"unknown payment status {status!r}")
    _check(snapshot.account, Account, "deposit account")
    fields = {
        "amount": snapshot.amount,
        "currency": snapshot.currency,
        "account": snapshot.account,
        "fee": snapshot.fee,
        "card_brand": snapshot.card_brand,
        "card_last4": snapshot.card_last4,
        "card_exp_month": snapshot.card_exp_month,
        "card_exp_year": snapshot.card_exp_year,
        "cardholder_name": snapshot.cardholder_name,
        "payer_email": snapshot.payer_email,
        "client_name": snapshot.client_name,
        "reference": snapshot.reference,
        "description": snapshot.description,
        "failure_reason": snapshot.failure_reason,
        "created_at": snapshot.created_at,
        "captured_at": snapshot.captured_at,
        "metadata": snapshot.metadata,
        "raw": event.raw,
    }
    payment = (
        Payment.objects.select_for_update()
        .filter(processor=processor, processor_ref=snapshot.processor_ref)
        .first()
    )
    if payment is None:
        payment = Payment.objects.create(
            merchant=merchant,
            processor=processor,
            processor_ref=snapshot.processor_ref,
            status=status,
            processor_updated_at=event.created_at,
            **fields,
        )
        if status == Payment.Status.SUCCEEDED:
            _record_payment_success(merchant, payment)
        return True
    if payment.merchant_id != merchant.pk:
        raise CannotApply("the payment belongs to another firm")
    if _PAYMENT_RANK[status] <= _PAYMENT_RANK[payment.status]:
        return True  # Older or the same news: nothing moves backwards.
    for name, value in fields.items():
        setattr(payment, name, value)
    payment.status = status
    payment.processor_updated_at = event.created_at
    refresh_payment_status(payment)
    payment.save()
    if status == Payment.Status.SUCCEEDED:
        _record_payment_success(merchant, payment)
    return True


def _payment_for(merchant: Merchant, processor: str, payment_ref: str) -> Payment:
    payment = (
        Payment.objects.select_for_update()
        .filter(merchant=merchant, processor=processor, processor_ref=payment_ref)
        .first()
    )
    if payment is None:
        raise WaitForPayment(f"payment {payment_ref} has not arrived yet")
    return payment


@transaction.atomic
def apply_refund(
    *, merchant: Merchant, processor: str, snapshot: RefundSnapshot, event: Event
) -> bool:
    status = _check(snapshot.status, Refund.Status, "refund status")
    # Lock the payment first, as create_refund does: one order, no deadlock.
    payment = _payment_for(merchant, processor, snapshot.payment_ref)
    refund = (
        Refund.objects.select_for_update()
        .filter(merchant=merchant, processor_ref=snapshot.processor_ref)
        .first()
    )
    if refund is None and snapshot.idempotency_key:
        refund = (
            Refund.objects.select_for_update()
            .filter(payment=payment, idempotency_key=snapshot.idempotency_key)
            .first()
        )
    previous = refund.status if refund else None
    if refund is None:
        # A refund made at the processor, outside the portal.
        reason = snapshot.reason
        note = ""
        if reason not in Refund.Reason.values or reason == Refund.Reason.OTHER:
            reason, note = Refund.Reason.OTHER, "Refunded at the processor."
        refund = Refund.objects.create(
            merchant=merchant,
            payment=payment,
            amount=snapshot.amount,
            currency=snapshot.currency,
            reason=reason,
            note=note,
            status=Refund.Status.PENDING,
            processor_ref=snapshot.processor_ref,
            idempotency_key=snapshot.idempotency_key
            or f"processor:{snapshot.processor_ref}",
            created_at=snapshot.created_at,
            raw=event.raw,
        )
    if refund.processor_ref is None:
        refund.processor_ref = snapshot.processor_ref
    if _REFUND_RANK[status] <= _REFUND_RANK[refund.status]:
        refund.save(update_fields=["processor_ref", "updated_at"])
        return True
    refund.status = status
    refund.failure_reason = snapshot.failure_reason
    refund.processor_updated_at = event.created_at
    refund.raw = event.raw
    if status == Refund.Status.SUCCEEDED:
        refund.settled_at = event.created_at
        # The database's check constraint refuses a total over the amount.
        Payment.objects.filter(pk=payment.pk).update(
            refunded_amount=F("refunded_amount") + refund.amount
        )
        payment.refresh_from_db(fields=["refunded_amount"])
        refresh_payment_status(payment)
        payment.save(update_fields=["status", "updated_at"])
        add_to_daily_total(
            merchant=merchant,
            when=refund.created_at,
            account=payment.account,
            currency=refund.currency,
            refunded=refund.amount,
            refund_count=1,
        )
    refund.save()
    if status in (Refund.Status.SUCCEEDED, Refund.Status.FAILED):
        record_event(
            action=(
                actions.REFUND_SUCCEEDED
                if status == Refund.Status.SUCCEEDED
                else actions.REFUND_FAILED
            ),
            merchant=merchant,
            actor_username=PROCESSOR_ACTOR,
            target=refund,
            target_label=f"{refund} of {payment}",
            changes={"status": [previous, status]},
        )
    return True


@transaction.atomic
def apply_dispute(
    *, merchant: Merchant, processor: str, snapshot: DisputeSnapshot, event: Event
) -> bool:
    status = _check(snapshot.status, Dispute.Status, "dispute status")
    payment = _payment_for(merchant, processor, snapshot.payment_ref)
    reason = snapshot.reason
    if reason not in Dispute.Reason.values:
        reason = Dispute.Reason.GENERAL
    dispute = (
        Dispute.objects.select_for_update()
        .filter(merchant=merchant, processor_ref=snapshot.processor_ref)
        .first()
    )
    if dispute is None:
        dispute = Dispute.objects.create(
            merchant=merchant,
            payment=payment,
            processor_ref=snapshot.processor_ref,
            amount=snapshot.amount,
            currency=snapshot.currency,
            reason=reason,
            status=Dispute.Status.NEEDS_RESPONSE,
            opened_at=snapshot.opened_at,
            evidence_due_by=snapshot.evidence_due_by,
            processor_updated_at=event.created_at,
            raw=event.raw,
        )
        # Processors take the disputed amount when the dispute opens.
        add_to_daily_total(
            merchant=merchant,
            when=dispute.opened_at,
            account=payment.account,
            currency=dispute.currency,
            disputed=dispute.amount,
            dispute_count=1,
        )
        record_event(
            action=actions.DISPUTE_OPENED,
            merchant=merchant,
            actor_username=PROCESSOR_ACTOR,
            target=dispute,
            target_label=f"{dispute} on {payment}",
        )
        if (
            status == Dispute.Status.NEEDS_RESPONSE
            and dispute.evidence_due_by > timezone.now()
        ):
            # Only a chargeback the firm can still answer is news to email;
            # one that first arrives already decided (events out of order)
            # or past its due date (history loaded at once) is not.
            from payportal.payments.services import disputes

            disputes.notify_dispute_opened(dispute=dispute)
    previous = dispute.status
    if _DISPUTE_RANK[status] <= _DISPUTE_RANK[previous]:
        return True
    dispute.status = status
    dispute.processor_updated_at = event.created_at
    dispute.raw = event.raw
    if status in (Dispute.Status.WON, Dispute.Status.LOST, Dispute.Status.ACCEPTED):
        dispute.closed_at = event.created_at
    dispute.save()
    if status == Dispute.Status.WON:
        add_to_daily_total(
            merchant=merchant,
            when=event.created_at,
            account=payment.account,
            currency=dispute.currency,
            dispute_reversed=dispute.amount,
        )
    if dispute.closed_at:
        record_event(
            action=actions.DISPUTE_CLOSED,
            merchant=merchant,
            actor_username=PROCESSOR_ACTOR,
            target=dispute,
            target_label=f"{dispute} on {payment}",
            changes={"status": [previous, status]},
        )
    return True
