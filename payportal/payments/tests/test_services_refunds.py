"""The refund rules of DESIGN §6 and the two-person approval, through the
real services and the sandbox processor (its refunds settle by webhook)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from payportal.audit import actions
from payportal.audit.models import AuditEvent
from payportal.payments.models import Account, Dispute, Payment, Refund
from payportal.payments.services.refunds import (
    approve_refund,
    create_refund,
    needs_approval,
    new_idempotency_key,
    refundable_amount,
    reject_refund,
)
from payportal.payments.tests import sandbox_events
from payportal.payments.tests.factories import (
    DisputeFactory,
    PaymentFactory,
    RefundFactory,
)

pytestmark = pytest.mark.django_db


def refund(payment, actor, amount, reason="requested_by_customer", **kwargs):
    kwargs.setdefault("idempotency_key", new_idempotency_key())
    return create_refund(
        payment=payment, actor=actor, amount=amount, reason=reason, **kwargs
    )


@pytest.fixture
def payment(merchant):
    return sandbox_events.payment_succeeded(merchant, amount=10_000)


@pytest.fixture
def approver(user_with):
    return user_with("refunds.create", "refunds.approve", username="approver")


@pytest.fixture
def requester(user_with):
    return user_with("refunds.create", "refunds.approve", username="requester")


@pytest.fixture
def two_person(merchant):
    merchant.refund_approval_enabled = True
    merchant.refund_approval_threshold = 5_000
    merchant.save()
    return merchant


# --- The limit ----------------------------------------------------------------


def test_create_refund_of_exactly_the_refundable_amount_works(payment, admin):
    refund(payment, admin, 4_000)

    outcome = refund(payment, admin, 6_000)

    assert outcome.created is True
    assert outcome.refund.status == Refund.Status.SUCCEEDED
    payment.refresh_from_db()
    assert payment.refunded_amount == 10_000
    assert payment.status == Payment.Status.REFUNDED
    assert refundable_amount(payment) == 0


def test_create_refund_rejects_one_minor_unit_over_refundable(payment, admin):
    refund(payment, admin, 4_000)

    with pytest.raises(ValidationError) as exc:
        refund(payment, admin, 6_001)

    assert exc.value.message_dict == {"amount": ["At most $60.00 can be refunded."]}
    assert Refund.objects.count() == 1


@pytest.mark.parametrize("amount", [0, -1, -10_000])
def test_create_refund_rejects_zero_and_negative(payment, admin, amount):
    with pytest.raises(ValidationError) as exc:
        refund(payment, admin, amount)

    assert exc.value.message_dict == {"amount": ["Enter an amount greater than 0."]}
    assert Refund.objects.count() == 0


@pytest.mark.parametrize(
    "status",
    [Payment.Status.PENDING, Payment.Status.FAILED, Payment.Status.REFUNDED],
)
def test_create_refund_only_on_succeeded_or_partially_refunded(merchant, admin, status):
    payment = PaymentFactory(merchant=merchant, status=status)

    with pytest.raises(ValidationError) as exc:
        refund(payment, admin, 100)

    label = Payment.Status(status).label.lower()
    assert exc.value.messages == [f"A {label} payment cannot be refunded."]
    assert Refund.objects.count() == 0


def test_create_refund_works_on_a_partially_refunded_payment(payment, admin):
    refund(payment, admin, 1_000)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED

    outcome = refund(payment, admin, 9_000)

    assert outcome.refund.status == Refund.Status.SUCCEEDED


@pytest.mark.parametrize("status", [Dispute.Status.LOST, Dispute.Status.ACCEPTED])
def test_lost_or_accepted_dispute_reduces_refundable(payment, admin, status):
    DisputeFactory(payment=payment, amount=7_000, status=status)

    assert refundable_amount(payment) == 3_000
    with pytest.raises(ValidationError) as exc:
        refund(payment, admin, 3_001)
    assert exc.value.message_dict == {"amount": ["At most $30.00 can be refunded."]}
    assert refund(payment, admin, 3_000).refund.status == Refund.Status.SUCCEEDED


def test_open_dispute_holds_its_amount_and_a_won_one_frees_it(payment):
    dispute = DisputeFactory(payment=payment, amount=7_000)
    assert refundable_amount(payment) == 3_000

    dispute.status = Dispute.Status.WON
    dispute.save()

    assert refundable_amount(payment) == 10_000


def test_create_refund_other_needs_a_note(payment, admin):
    with pytest.raises(ValidationError) as exc:
        refund(payment, admin, 100, reason="other", note="   ")

    assert exc.value.message_dict == {
        "note": ["Say why in a note when the reason is Other."]
    }
    outcome = refund(payment, admin, 100, reason="other", note=" Goodwill ")
    assert outcome.refund.note == "Goodwill"


def test_create_refund_rejects_an_unknown_reason(payment, admin):
    with pytest.raises(ValidationError) as exc:
        refund(payment, admin, 100, reason="because")

    assert exc.value.message_dict == {"reason": ["Choose a reason."]}


def test_create_refund_needs_the_permission(payment, user_with):
    clerk = user_with("payments.view")

    with pytest.raises(PermissionDenied):
        refund(payment, clerk, 100)
    assert Refund.objects.count() == 0


def test_create_refund_refuses_another_firms_payment(other_merchant, admin):
    theirs = PaymentFactory(merchant=other_merchant)

    with pytest.raises(PermissionDenied):
        refund(theirs, admin, 100)


# --- Double submit, failures, audit ---------------------------------------------


def test_double_submit_makes_one_refund(payment, admin):
    key = new_idempotency_key()
    first = refund(payment, admin, 10_000, idempotency_key=key)

    second = refund(payment, admin, 10_000, idempotency_key=key)

    assert first.created is True
    assert second.created is False
    assert second.refund.pk == first.refund.pk
    assert Refund.objects.count() == 1
    payment.refresh_from_db()
    assert payment.refunded_amount == 10_000


def test_create_refund_records_the_request_and_the_outcome(payment, admin):
    outcome = refund(payment, admin, 1_250, reason="duplicate")

    events = AuditEvent.objects.filter(target_id=str(outcome.refund.pk))
    assert [(e.action, e.actor_username) for e in events.order_by("id")] == [
        (actions.REFUND_REQUESTED, "admin"),
        (actions.REFUND_SUCCEEDED, "processor"),
    ]
    requested = events.get(action=actions.REFUND_REQUESTED)
    assert requested.changes == {
        "amount": [None, "$12.50"],
        "reason": [None, "Duplicate"],
        "status": [None, "pending"],
    }


def test_failed_refund_frees_its_amount(payment, admin):
    # The sandbox fails a refund whose amount ends in 13 minor units.
    outcome = refund(payment, admin, 4_013)

    assert outcome.refund.status == Refund.Status.FAILED
    assert outcome.refund.failure_reason == "The card was closed."
    payment.refresh_from_db()
    assert payment.refunded_amount == 0
    assert payment.status == Payment.Status.SUCCEEDED
    assert refundable_amount(payment) == 10_000
    assert refund(payment, admin, 10_000).refund.status == Refund.Status.SUCCEEDED
    assert AuditEvent.objects.filter(action=actions.REFUND_FAILED).count() == 1


def test_canceled_refunds_do_not_hold_money(payment):
    RefundFactory(payment=payment, amount=4_000, status=Refund.Status.CANCELED)
    RefundFactory(payment=payment, amount=3_000, status=Refund.Status.PENDING)
    RefundFactory(payment=payment, amount=2_000, status=Refund.Status.AWAITING_APPROVAL)

    assert refundable_amount(payment) == 5_000


# --- Two-person approval ----------------------------------------------------------


def test_no_approval_when_the_setting_is_off(merchant, payment):
    merchant.refund_approval_threshold = 0
    merchant.save()

    assert needs_approval(payment=payment, amount=10_000) is False


def test_approval_threshold_boundary(two_person, requester):
    payment = sandbox_events.payment_succeeded(two_person, amount=20_000)

    at = refund(payment, requester, 5_000)
    above = refund(payment, requester, 5_001)

    assert at.refund.status == Refund.Status.SUCCEEDED
    assert above.refund.status == Refund.Status.AWAITING_APPROVAL
    assert needs_approval(payment=payment, amount=5_000) is False
    assert needs_approval(payment=payment, amount=5_001) is True


def test_every_trust_refund_waits_when_enabled(two_person, requester):
    payment = sandbox_events.payment_succeeded(
        two_person, amount=20_000, account=Account.TRUST
    )

    outcome = refund(payment, requester, 1)

    assert outcome.refund.status == Refund.Status.AWAITING_APPROVAL
    payment.refresh_from_db()
    assert payment.refunded_amount == 0


def test_waiting_refund_holds_its_amount(two_person, requester, admin):
    payment = sandbox_events.payment_succeeded(two_person, amount=20_000)
    refund(payment, requester, 15_000)

    with pytest.raises(ValidationError) as exc:
        refund(payment, admin, 5_001)

    assert exc.value.message_dict == {"amount": ["At most $50.00 can be refunded."]}


def test_requester_cannot_approve_their_own(two_person, requester):
    payment = sandbox_events.payment_succeeded(two_person, amount=20_000)
    waiting = refund(payment, requester, 6_000).refund

    with pytest.raises(ValidationError) as exc:
        approve_refund(refund=waiting, actor=requester)

    assert exc.value.messages == [
        "A refund must be approved by someone other than the person who asked for it."
    ]
    waiting.refresh_from_db()
    assert waiting.status == Refund.Status.AWAITING_APPROVAL
    assert waiting.approved_by is None
    with pytest.raises(ValidationError):
        reject_refund(refund=waiting, actor=requester)


def test_second_person_approves_and_the_refund_is_sent(two_person, requester, approver):
    payment = sandbox_events.payment_succeeded(two_person, amount=20_000)
    waiting = refund(payment, requester, 6_000).refund

    approved = approve_refund(refund=waiting, actor=approver)

    assert approved.status == Refund.Status.SUCCEEDED
    assert approved.approved_by == approver
    assert approved.decided_at is not None
    payment.refresh_from_db()
    assert payment.refunded_amount == 6_000
    event = AuditEvent.objects.get(action=actions.REFUND_APPROVED)
    assert event.actor_username == "approver"
    assert event.changes == {"status": ["awaiting_approval", "pending"]}


def test_approving_needs_the_permission(two_person, requester, user_with):
    payment = sandbox_events.payment_succeeded(two_person, amount=20_000)
    waiting = refund(payment, requester, 6_000).refund
    clerk = user_with("refunds.create")

    with pytest.raises(PermissionDenied):
        approve_refund(refund=waiting, actor=clerk)


def test_reject_cancels_and_frees_the_amount(two_person, requester, approver):
    payment = sandbox_events.payment_succeeded(two_person, amount=20_000)
    waiting = refund(payment, requester, 20_000).refund
    assert refundable_amount(payment) == 0

    rejected = reject_refund(refund=waiting, actor=approver)

    assert rejected.status == Refund.Status.CANCELED
    assert rejected.approved_by == approver
    assert refundable_amount(payment) == 20_000
    event = AuditEvent.objects.get(action=actions.REFUND_REJECTED)
    assert event.changes == {"status": ["awaiting_approval", "canceled"]}


def test_a_decided_refund_cannot_be_decided_again(two_person, requester, approver):
    payment = sandbox_events.payment_succeeded(two_person, amount=20_000)
    waiting = refund(payment, requester, 6_000).refund
    reject_refund(refund=waiting, actor=approver)

    with pytest.raises(ValidationError) as exc:
        approve_refund(refund=waiting, actor=approver)

    assert exc.value.messages == ["This refund no longer waits for approval."]


def test_approval_refuses_when_a_chargeback_took_the_money(
    two_person, requester, approver
):
    payment = sandbox_events.payment_succeeded(two_person, amount=20_000)
    waiting = refund(payment, requester, 15_000).refund
    DisputeFactory(payment=payment, amount=10_000, status=Dispute.Status.LOST)

    with pytest.raises(ValidationError) as exc:
        approve_refund(refund=waiting, actor=approver)

    assert exc.value.messages == [
        "Only $100.00 of this payment can still be refunded: reject this "
        "refund and ask for a new one."
    ]
    waiting.refresh_from_db()
    assert waiting.status == Refund.Status.AWAITING_APPROVAL
