"""Refunds: the rules of DESIGN §6 and two-person approval, in one place.

The refundable amount of a payment is its amount less refunds that hold
money (awaiting approval, pending or succeeded) and less chargebacks that
hold it: open ones (the processor takes the disputed amount when the
chargeback opens, so refunding it too would pay the cardholder twice) and
ones the firm lost or accepted. A won chargeback frees its amount again.

A refund is asked of the processor only after the transaction that records
it has committed: the held amount protects the money while the processor
answers, and no network call runs under a lock.
"""

from dataclasses import dataclass
from uuid import uuid4

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from payportal.accounts.models import User
from payportal.accounts.permissions import REFUNDS_APPROVE, REFUNDS_CREATE
from payportal.audit import actions
from payportal.audit.services import record_event
from payportal.core.money import format_money
from payportal.core.validators import CARD_NUMBER_MESSAGE, contains_card_number
from payportal.payments.models import Account, Dispute, Payment, Refund
from payportal.processors.base import ProcessorError
from payportal.processors.registry import get_processor

REFUNDABLE_STATUSES = (Payment.Status.SUCCEEDED, Payment.Status.PARTIALLY_REFUNDED)
# Chargebacks whose amount the firm no longer has to refund: open ones (the
# processor has taken it) and lost or accepted ones.
DISPUTE_HELD = (*Dispute.OPEN, *Dispute.LOST_STATUSES)
NOTE_MAX_LENGTH = 500
IDEMPOTENCY_KEY_MAX_LENGTH = 64


def new_idempotency_key() -> str:
    """A key for one refund form: the same form submitted twice reuses it."""
    return uuid4().hex


def refundable_amount(payment: Payment) -> int:
    """What can still be refunded (two queries; never negative)."""
    return max(_room(payment), 0)


def _room(payment: Payment) -> int:
    # Negative when a chargeback took money already held by refunds.
    held = (
        Refund.objects.filter(payment=payment, status__in=Refund.HELD).aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )
    disputed = (
        Dispute.objects.filter(payment=payment, status__in=DISPUTE_HELD).aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )
    return payment.amount - held - disputed


def is_refundable(payment: Payment) -> bool:
    """Whether the payment's status allows a refund at all."""
    return payment.status in REFUNDABLE_STATUSES


def needs_approval(*, payment: Payment, amount: int) -> bool:
    """Whether the firm's two-person rule holds this refund for approval."""
    merchant = payment.merchant
    if not merchant.refund_approval_enabled:
        return False
    return (
        payment.account == Account.TRUST or amount > merchant.refund_approval_threshold
    )


@dataclass(frozen=True)
class RefundOutcome:
    refund: Refund
    created: bool  # False: the same form was submitted before


def create_refund(
    *,
    payment: Payment,
    actor: User,
    amount: int,
    reason: str,
    note: str = "",
    idempotency_key: str,
    request: HttpRequest | None = None,
) -> RefundOutcome:
    """Refund ``amount`` of ``payment``.

    Side effects: a ``refund.requested`` audit event; unless the refund
    waits for approval, a call to the processor after commit, whose answer
    settles the refund through a webhook. Raises ValidationError keyed by
    field ("amount", "reason", "note", or "__all__" for the payment's
    state) and nothing is saved; PermissionDenied without
    ``refunds.create`` or for another firm's payment. The same
    ``idempotency_key`` twice returns the first refund (``created`` False),
    even when the payment can no longer be refunded.
    """
    if not actor.can(REFUNDS_CREATE) or actor.merchant_id != payment.merchant_id:
        raise PermissionDenied
    if not idempotency_key or len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        # The form always carries one; without it a double submit is not
        # recognised, so refuse rather than risk a second refund.
        raise ValidationError(
            "This form has expired: open the refund form again.", code="no_key"
        )
    note = note.strip()
    try:
        outcome = _record_refund(
            payment=payment,
            actor=actor,
            amount=amount,
            reason=reason,
            note=note,
            idempotency_key=idempotency_key,
            request=request,
        )
    except IntegrityError:
        # Two submits of one form raced past the check (the lock makes this
        # all but impossible); the unique key let only one in: return it.
        existing = Refund.objects.filter(
            payment_id=payment.pk, idempotency_key=idempotency_key
        ).first()
        if existing is None:
            raise
        return RefundOutcome(existing, created=False)
    if not outcome.created:
        return outcome
    refund = outcome.refund
    if refund.status == Refund.Status.PENDING:
        send_to_processor(refund)
    refund.refresh_from_db()
    return RefundOutcome(refund, created=True)


def _record_refund(
    *,
    payment: Payment,
    actor: User,
    amount: int,
    reason: str,
    note: str,
    idempotency_key: str,
    request: HttpRequest | None,
) -> RefundOutcome:
    with transaction.atomic():
        # Lock the payment so two concurrent refunds cannot both pass the
        # limit check (PostgreSQL row lock; SQLite serialises writers).
        payment = (
            Payment.objects.select_for_update()
            .select_related("merchant")
            .get(pk=payment.pk)
        )
        existing = Refund.objects.filter(
            payment=payment, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            return RefundOutcome(existing, created=False)
        if payment.status not in REFUNDABLE_STATUSES:
            raise ValidationError(
                f"A {payment.get_status_display().lower()} payment cannot be refunded.",
                code="not_refundable",
            )
        errors: dict[str, str] = {}
        refundable = refundable_amount(payment)
        if amount <= 0:
            errors["amount"] = "Enter an amount greater than 0."
        elif amount > refundable:
            errors["amount"] = (
                f"At most {format_money(refundable, payment.currency)} can be refunded."
            )
        if reason not in Refund.Reason.values:
            errors["reason"] = "Choose a reason."
        elif reason == Refund.Reason.OTHER and not note:
            errors["note"] = "Say why in a note when the reason is Other."
        if len(note) > NOTE_MAX_LENGTH:
            errors["note"] = f"Keep the note to {NOTE_MAX_LENGTH} characters."
        elif contains_card_number(note):
            errors["note"] = CARD_NUMBER_MESSAGE
        if errors:
            raise ValidationError(errors)
        waits = needs_approval(payment=payment, amount=amount)
        refund = Refund.objects.create(
            merchant=payment.merchant,
            payment=payment,
            amount=amount,
            currency=payment.currency,
            reason=reason,
            note=note,
            status=(
                Refund.Status.AWAITING_APPROVAL if waits else Refund.Status.PENDING
            ),
            idempotency_key=idempotency_key,
            created_by=actor,
            created_at=timezone.now(),
        )
        record_event(
            action=actions.REFUND_REQUESTED,
            merchant=payment.merchant,
            actor=actor,
            request=request,
            target=refund,
            target_label=f"Refund of {payment}",
            changes={
                "amount": [None, format_money(amount, payment.currency)],
                "reason": [None, refund.get_reason_display()],
                "status": [None, refund.status],
            },
        )
    return RefundOutcome(refund, created=True)


def send_to_processor(refund: Refund) -> None:
    """Ask the processor for a pending refund; a refusal fails the refund
    (and so frees its amount). Call outside any transaction."""
    try:
        ref = get_processor(refund.payment.processor).create_refund(refund=refund)
    except ProcessorError as error:
        with transaction.atomic():
            failed = Refund.objects.filter(
                pk=refund.pk, status=Refund.Status.PENDING
            ).update(
                status=Refund.Status.FAILED,
                failure_reason=error.message[:200],
                updated_at=timezone.now(),
            )
            if failed:
                record_event(
                    action=actions.REFUND_FAILED,
                    merchant=refund.merchant,
                    actor_username="processor",
                    target=refund,
                    target_label=f"Refund of {refund.payment}",
                    changes={"status": [Refund.Status.PENDING, Refund.Status.FAILED]},
                )
        return
    # The settling webhook may have arrived first and set it already.
    Refund.objects.filter(pk=refund.pk, processor_ref__isnull=True).update(
        processor_ref=ref
    )


def _decide(
    *, refund: Refund, actor: User, approve: bool, request: HttpRequest | None
) -> Refund:
    if not actor.can(REFUNDS_APPROVE) or actor.merchant_id != refund.merchant_id:
        raise PermissionDenied
    with transaction.atomic():
        # Lock the payment first, as create_refund and the webhooks do.
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status != Refund.Status.AWAITING_APPROVAL:
            raise ValidationError(
                "This refund no longer waits for approval.", code="decided"
            )
        if refund.created_by_id == actor.pk:
            # Two-person rule: the requester never approves their own.
            raise ValidationError(
                "A refund must be approved by someone other than the person "
                "who asked for it.",
                code="same_person",
            )
        if approve:
            # A chargeback may have taken money since it was asked for: the
            # refund's own amount is held, so add it back before comparing.
            room = _room(payment) + refund.amount
            if refund.amount > room or not is_refundable(payment):
                raise ValidationError(
                    f"Only {format_money(max(room, 0), refund.currency)} of this "
                    "payment can still be refunded: reject this refund and ask "
                    "for a new one.",
                    code="over_refundable",
                )
        refund.status = Refund.Status.PENDING if approve else Refund.Status.CANCELED
        refund.approved_by = actor
        refund.decided_at = timezone.now()
        refund.save(update_fields=["status", "approved_by", "decided_at", "updated_at"])
        record_event(
            action=actions.REFUND_APPROVED if approve else actions.REFUND_REJECTED,
            merchant=refund.merchant,
            actor=actor,
            request=request,
            target=refund,
            target_label=f"Refund of {refund.payment}",
            changes={"status": [Refund.Status.AWAITING_APPROVAL, refund.status]},
        )
    if approve:
        send_to_processor(refund)
    refund.refresh_from_db()
    return refund


def approve_refund(
    *, refund: Refund, actor: User, request: HttpRequest | None = None
) -> Refund:
    """Approve a refund that waits: it goes to the processor.

    Side effects: ``refund.approved`` audit event, the processor call.
    Raises PermissionDenied without ``refunds.approve`` or for another
    firm's refund; ValidationError (non-field) when the actor asked for
    it, it was already decided, or a chargeback has since taken the money.
    """
    return _decide(refund=refund, actor=actor, approve=True, request=request)


def reject_refund(
    *, refund: Refund, actor: User, request: HttpRequest | None = None
) -> Refund:
    """Reject a refund that waits: it is canceled and its amount freed.

    Same rules and errors as ``approve_refund``; audits ``refund.rejected``.
    """
    return _decide(refund=refund, actor=actor, approve=False, request=request)
