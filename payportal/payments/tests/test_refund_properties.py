"""Property: whatever the order of refund requests, processor failures,
approvals, replayed or late refund webhooks and chargebacks, refunded money
never exceeds the payment, and the portal refuses exactly the requests that
would go over what is refundable.

Each example works on a firm and payment of its own, so examples share the
test's database transaction without seeing each other's rows.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from payportal.accounts.tests.factories import MerchantFactory, RoleFactory, UserFactory
from payportal.payments.models import Dispute, Payment, Refund
from payportal.payments.services.refunds import (
    DISPUTE_HELD,
    approve_refund,
    create_refund,
    new_idempotency_key,
    refundable_amount,
    reject_refund,
)
from payportal.payments.tests import sandbox_events

pytestmark = pytest.mark.django_db

AMOUNT = 10_000

amounts = st.one_of(
    st.integers(min_value=-50, max_value=AMOUNT + 50),
    # Ending in 13 minor units: the sandbox fails the refund.
    st.integers(min_value=0, max_value=AMOUNT // 100).map(lambda n: n * 100 + 13),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("refund"), amounts),
        st.tuples(st.just("double_submit"), st.integers(0, 20)),
        st.tuples(st.just("approve"), st.integers(0, 20)),
        st.tuples(st.just("reject"), st.integers(0, 20)),
        st.tuples(st.just("replay"), st.integers(0, 20)),
        st.tuples(st.just("late_pending"), st.integers(0, 20)),
        st.tuples(st.just("contradict"), st.integers(0, 20)),
        st.tuples(st.just("dispute"), st.integers(1, AMOUNT), st.booleans()),
    ),
    max_size=12,
)


def _sum(queryset) -> int:
    return queryset.aggregate(total=Sum("amount"))["total"] or 0


SENT = (Refund.Status.PENDING, Refund.Status.SUCCEEDED)


def _money_out(payment: Payment) -> int:
    """Refunds sent to the processor plus chargebacks that took money."""
    sent = _sum(Refund.objects.filter(payment=payment, status__in=SENT))
    disputed = _sum(Dispute.objects.filter(payment=payment, status__in=DISPUTE_HELD))
    return sent + disputed


def _check_invariants(payment: Payment) -> None:
    payment.refresh_from_db()
    refunds = Refund.objects.filter(payment=payment)
    succeeded = _sum(refunds.filter(status=Refund.Status.SUCCEEDED))
    held = _sum(refunds.filter(status__in=Refund.HELD))
    disputed = _sum(Dispute.objects.filter(payment=payment, status__in=DISPUTE_HELD))
    assert payment.refunded_amount == succeeded
    assert 0 <= payment.refunded_amount <= payment.amount
    assert held <= payment.amount
    assert _money_out(payment) <= payment.amount
    assert refundable_amount(payment) == max(payment.amount - held - disputed, 0)
    if payment.refunded_amount == payment.amount:
        assert payment.status == Payment.Status.REFUNDED
    elif payment.refunded_amount:
        assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    else:
        assert payment.status == Payment.Status.SUCCEEDED


def _webhook(payment: Payment, refund: Refund, status: str, when) -> None:
    sandbox_events.send(
        sandbox_events.refund_body(
            payment,
            ref=refund.processor_ref,
            status=status,
            amount=refund.amount,
            idempotency_key=refund.idempotency_key,
            event_time=when,
        )
    )


@settings(
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@example(
    steps=[("refund", 8000), ("dispute", 9000, True), ("approve", 1)],
    approval=True,
    threshold=100,
)
@given(
    steps=steps,
    approval=st.booleans(),
    threshold=st.integers(0, AMOUNT),
)
def test_refunded_money_never_exceeds_the_payment(db, steps, approval, threshold):
    merchant = MerchantFactory(
        refund_approval_enabled=approval, refund_approval_threshold=threshold
    )
    role = RoleFactory(
        merchant=merchant, permissions=["refunds.create", "refunds.approve"]
    )
    requester = UserFactory(merchant=merchant, role=role)
    approver = UserFactory(merchant=merchant, role=role)
    payment = sandbox_events.payment_succeeded(merchant, amount=AMOUNT)
    keys: list[str] = []
    when = sandbox_events.NOW

    for step in steps:
        kind = step[0]
        when += timedelta(minutes=1)
        mine = list(Refund.objects.filter(payment=payment).order_by("id"))
        if kind == "refund":
            amount = step[1]
            payment.refresh_from_db()
            room = refundable_amount(payment)
            key = new_idempotency_key()
            try:
                outcome = create_refund(
                    payment=payment,
                    actor=requester,
                    amount=amount,
                    reason="duplicate",
                    idempotency_key=key,
                )
            except ValidationError:
                assert not (0 < amount <= room)
            else:
                assert 0 < amount <= room
                assert outcome.created is True
                keys.append(key)
        elif kind == "double_submit" and keys:
            key = keys[step[1] % len(keys)]
            before = Refund.objects.count()
            outcome = create_refund(
                payment=payment,
                actor=requester,
                amount=1,
                reason="duplicate",
                idempotency_key=key,
            )
            assert outcome.created is False
            assert Refund.objects.count() == before
        elif kind in ("approve", "reject") and mine:
            # Mostly one that waits; sometimes one decided already.
            waiting = [r for r in mine if r.status == Refund.Status.AWAITING_APPROVAL]
            pool = waiting if waiting and step[1] % 4 else mine
            refund = pool[step[1] % len(pool)]
            decide = approve_refund if kind == "approve" else reject_refund
            try:
                decide(refund=refund, actor=approver)
            except ValidationError:
                # Refused (already decided, or a chargeback took the
                # money meanwhile): nothing changed.
                status = refund.status
                refund.refresh_from_db()
                assert refund.status == status
        elif kind in ("replay", "late_pending", "contradict") and mine:
            refund = mine[step[1] % len(mine)]
            if refund.processor_ref is None:
                continue  # Never sent to the processor: no webhooks for it.
            if kind == "replay":
                _webhook(payment, refund, refund.status, refund.settled_at or when)
            elif kind == "late_pending":
                _webhook(payment, refund, "pending", when - timedelta(days=30))
            else:
                other = {"succeeded": "failed", "failed": "succeeded"}
                _webhook(payment, refund, other.get(refund.status, "failed"), when)
        elif kind == "dispute":
            # A processor disputes at most what it has not paid back or
            # taken already; a refund still waiting for approval may be
            # caught out, and approving it must then be refused.
            room = payment.amount - _money_out(payment)
            if room:
                sandbox_events.dispute_opened(
                    payment, amount=min(step[1], room), event_time=when
                )
                dispute = Dispute.objects.filter(payment=payment).latest("id")
                sandbox_events.send(
                    sandbox_events.dispute_body(
                        payment,
                        ref=dispute.processor_ref,
                        amount=dispute.amount,
                        status="lost" if step[2] else "won",
                        event_time=when + timedelta(seconds=1),
                    )
                )
        _check_invariants(payment)
