import csv
from datetime import UTC, date, datetime, timedelta

import pytest
from django.http import Http404

from payportal.payments.models import Account, Dispute, Payment, Refund
from payportal.payments.selectors.payments import (
    get_payment,
    iter_payments_for_export,
    list_payments,
    payment_record,
    payment_timeline,
)
from payportal.payments.services.refunds import create_refund, refundable_amount
from payportal.payments.tests import sandbox_events
from payportal.payments.tests.factories import (
    BASE_TIME,
    DisputeFactory,
    PaymentFactory,
    RefundFactory,
)

pytestmark = pytest.mark.django_db


def refs(page):
    return [payment.reference for payment in page.rows]


def make(merchant, reference, **fields):
    return PaymentFactory(merchant=merchant, reference=reference, **fields)


# --- get_payment ---------------------------------------------------------------


def test_get_payment_returns_the_merchants_payment(merchant):
    payment = PaymentFactory(merchant=merchant)

    assert get_payment(merchant=merchant, payment_id=payment.pk) == payment


def test_get_payment_404s_for_another_firms_payment(merchant, other_merchant):
    payment = PaymentFactory(merchant=other_merchant)

    with pytest.raises(Http404):
        get_payment(merchant=merchant, payment_id=payment.pk)


# --- list_payments -------------------------------------------------------------


@pytest.fixture
def three(merchant):
    """A (oldest, 50.00), B (newest, 10.00), C (middle, 99.00)."""
    return [
        make(merchant, "A", amount=5_000, created_at=BASE_TIME - timedelta(days=2)),
        make(merchant, "B", amount=1_000, created_at=BASE_TIME),
        make(merchant, "C", amount=9_900, created_at=BASE_TIME - timedelta(days=1)),
    ]


def test_list_payments_is_newest_first_by_default(merchant, three):
    assert refs(list_payments(merchant=merchant)) == ["B", "C", "A"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("date", ["A", "C", "B"]),
        ("-date", ["B", "C", "A"]),
        ("amount", ["B", "A", "C"]),
        ("-amount", ["C", "A", "B"]),
        ("nonsense", ["B", "C", "A"]),
        ("-id", ["B", "C", "A"]),
    ],
)
def test_list_payments_sorts(merchant, three, sort, expected):
    assert refs(list_payments(merchant=merchant, sort=sort)) == expected


def test_list_payments_breaks_ties_by_id(merchant):
    make(merchant, "first", amount=1_000)
    make(merchant, "second", amount=1_000)

    assert refs(list_payments(merchant=merchant, sort="amount")) == [
        "first",
        "second",
    ]
    assert refs(list_payments(merchant=merchant, sort="-amount")) == [
        "second",
        "first",
    ]


def test_list_payments_shows_only_the_merchants_payments(merchant, other_merchant):
    make(merchant, "ours")
    make(other_merchant, "theirs")

    assert refs(list_payments(merchant=merchant)) == ["ours"]


def test_list_payments_pages_forward_and_back_by_key(merchant):
    for n in range(5):
        make(merchant, f"P{n}", created_at=BASE_TIME - timedelta(hours=n))

    first = list_payments(merchant=merchant, size=2)
    second = list_payments(merchant=merchant, size=2, after=first.next_cursor)
    third = list_payments(merchant=merchant, size=2, after=second.next_cursor)
    back = list_payments(merchant=merchant, size=2, before=second.prev_cursor)

    assert (refs(first), first.prev_cursor is None) == (["P0", "P1"], True)
    assert refs(second) == ["P2", "P3"]
    assert (refs(third), third.next_cursor) == (["P4"], None)
    assert refs(back) == ["P0", "P1"]


def test_list_payments_pages_by_amount(merchant):
    for n, amount in enumerate([300, 100, 500, 200, 400]):
        make(merchant, f"P{n}", amount=amount)

    first = list_payments(merchant=merchant, sort="-amount", size=2)
    second = list_payments(
        merchant=merchant, sort="-amount", size=2, after=first.next_cursor
    )
    back = list_payments(
        merchant=merchant, sort="-amount", size=2, before=second.prev_cursor
    )

    assert refs(first) == ["P2", "P4"]
    assert refs(second) == ["P0", "P3"]
    assert refs(back) == ["P2", "P4"]


def test_list_payments_ignores_a_cursor_that_is_not_ours(merchant, three):
    page = list_payments(merchant=merchant, after="not-a-cursor")

    assert refs(page) == ["B", "C", "A"]


def test_list_payments_date_range_is_the_firms_days_inclusive(merchant):
    # New York's clocks go back on 1 Nov 2026: that day starts at 04:00
    # UTC (EDT) and the next at 05:00 UTC (EST).
    merchant.time_zone = "America/New_York"
    merchant.save()
    make(merchant, "before", created_at=datetime(2026, 11, 1, 3, 59, 59, tzinfo=UTC))
    make(merchant, "first", created_at=datetime(2026, 11, 1, 4, 0, tzinfo=UTC))
    make(merchant, "last", created_at=datetime(2026, 11, 2, 4, 59, 59, tzinfo=UTC))
    make(merchant, "after", created_at=datetime(2026, 11, 2, 5, 0, tzinfo=UTC))

    page = list_payments(
        merchant=merchant, date_from=date(2026, 11, 1), date_to=date(2026, 11, 1)
    )
    since = list_payments(merchant=merchant, date_from=date(2026, 11, 2))
    until = list_payments(merchant=merchant, date_to=date(2026, 10, 31))

    assert refs(page) == ["last", "first"]
    assert refs(since) == ["after"]
    assert refs(until) == ["before"]


def test_list_payments_date_range_at_the_calendars_ends(merchant, three):
    page = list_payments(
        merchant=merchant, date_from=date.min, date_to=date.max, sort="date"
    )

    assert refs(page) == ["A", "C", "B"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Payment.Status.REFUNDED, ["refunded"]),
        (Payment.Status.PARTIALLY_REFUNDED, ["partly"]),
        (Payment.Status.FAILED, ["failed"]),
        (Payment.Status.SUCCEEDED, ["ok"]),
        ("", ["refunded", "partly", "failed", "ok"]),
    ],
)
def test_list_payments_filters_by_status(merchant, status, expected):
    make(merchant, "refunded", status=Payment.Status.REFUNDED, refunded_amount=10_000)
    make(
        merchant,
        "partly",
        status=Payment.Status.PARTIALLY_REFUNDED,
        refunded_amount=1_000,
    )
    make(merchant, "failed", status=Payment.Status.FAILED)
    make(merchant, "ok")

    assert refs(list_payments(merchant=merchant, status=status)) == expected


def test_list_payments_filters_by_amount_range_inclusive(merchant):
    for amount in (999, 1_000, 1_500, 2_000, 2_001):
        make(merchant, str(amount), amount=amount)

    both = list_payments(
        merchant=merchant, amount_min=1_000, amount_max=2_000, sort="amount"
    )
    low = list_payments(merchant=merchant, amount_min=2_000, sort="amount")
    high = list_payments(merchant=merchant, amount_max=1_000, sort="amount")

    assert refs(both) == ["1000", "1500", "2000"]
    assert refs(low) == ["2000", "2001"]
    assert refs(high) == ["999", "1000"]


def test_list_payments_filters_by_last_four_exactly(merchant):
    make(merchant, "match", card_last4="4242")
    make(merchant, "other", card_last4="1424")

    assert refs(list_payments(merchant=merchant, last4="4242")) == ["match"]
    assert refs(list_payments(merchant=merchant, last4="424")) == []


def test_list_payments_filters_by_account(merchant):
    make(merchant, "trust", account=Account.TRUST)
    make(merchant, "operating", account=Account.OPERATING)

    assert refs(list_payments(merchant=merchant, account="trust")) == ["trust"]
    assert refs(list_payments(merchant=merchant, account="operating")) == ["operating"]


@pytest.mark.parametrize(
    "q",
    ["mat-2041", "JORDAN@EXAMPLE", "jordan lee", "acme", "  acme  "],
)
def test_list_payments_searches_reference_payer_cardholder_client(merchant, q):
    make(
        merchant,
        "MAT-2041",
        payer_email="jordan@example.com",
        cardholder_name="Jordan Lee",
        client_name="Acme Holdings",
    )
    make(merchant, "MAT-9999")

    assert refs(list_payments(merchant=merchant, q=q)) == ["MAT-2041"]


def test_list_payments_search_ignores_the_description(merchant):
    make(merchant, "MAT-1", description="Retainer for acme")

    assert refs(list_payments(merchant=merchant, q="acme")) == []


def test_list_payments_combines_filters(merchant):
    make(merchant, "hit", account=Account.TRUST, amount=5_000, card_last4="4242")
    make(merchant, "wrong account", amount=5_000, card_last4="4242")
    make(merchant, "wrong card", account=Account.TRUST, amount=5_000)
    make(merchant, "too small", account=Account.TRUST, amount=10, card_last4="4242")

    page = list_payments(
        merchant=merchant, account="trust", last4="4242", amount_min=1_000
    )

    assert refs(page) == ["hit"]


def test_list_payments_queries_once(merchant, three, django_assert_num_queries):
    with django_assert_num_queries(1):
        list_payments(merchant=merchant, q="x", status="succeeded", last4="4242")


# --- iter_payments_for_export --------------------------------------------------


# The Reference column of an export line.
REFERENCE = 11


def cells(line):
    return next(csv.reader([line]))


def test_iter_payments_for_export_yields_the_filtered_lines_in_order(
    merchant, other_merchant, three
):
    make(other_merchant, "theirs")

    lines = list(
        iter_payments_for_export(merchant=merchant, amount_min=5_000, sort="date")
    )

    assert [cells(line)[REFERENCE] for line in lines] == ["A", "C"]
    assert lines[0] == (
        "2026-10-30T15:00:00+00:00,50.00,USD,Succeeded,Operating,visa,"
        f"{three[0].card_last4},04/29,{three[0].cardholder_name},"
        f"{three[0].payer_email},{three[0].client_name},A,Legal services,1.75,"
        f"0.00,{three[0].processor_ref}\r\n"
    )


def test_iter_payments_for_export_reads_in_chunks(merchant, three):
    lines = iter_payments_for_export(merchant=merchant, chunk_size=1)

    assert cells(next(lines))[REFERENCE] == "B"
    assert [cells(line)[REFERENCE] for line in lines] == ["C", "A"]


# --- the payment record --------------------------------------------------------


def titles(timeline):
    return [(event.title, event.actor) for event in timeline]


def test_payment_timeline_is_in_order(merchant, admin, user_with):
    approver = user_with("refunds.approve", full_name="Bea Approver")
    payment = PaymentFactory(
        merchant=merchant,
        amount=10_000,
        refunded_amount=2_000,
        status=Payment.Status.PARTIALLY_REFUNDED,
        created_at=BASE_TIME,
        captured_at=BASE_TIME + timedelta(seconds=5),
    )
    day = timedelta(days=1)
    RefundFactory(
        payment=payment,
        amount=2_000,
        created_by=admin,
        created_at=BASE_TIME + day,
        approved_by=approver,
        decided_at=BASE_TIME + 2 * day,
        settled_at=BASE_TIME + 3 * day,
    )
    RefundFactory(
        payment=payment,
        amount=1_013,
        status=Refund.Status.FAILED,
        failure_reason="The card was closed.",
        created_at=BASE_TIME + 4 * day,
        processor_updated_at=BASE_TIME + 4 * day + timedelta(minutes=1),
    )
    RefundFactory(
        payment=payment,
        amount=500,
        status=Refund.Status.CANCELED,
        created_by=admin,
        created_at=BASE_TIME + 5 * day,
        approved_by=approver,
        decided_at=BASE_TIME + 9 * day,
    )
    DisputeFactory(
        payment=payment,
        amount=7_000,
        status=Dispute.Status.WON,
        opened_at=BASE_TIME + 6 * day,
        submitted_at=BASE_TIME + 7 * day,
        submitted_by=admin,
        closed_at=BASE_TIME + 8 * day,
    )

    timeline = payment_timeline(payment)

    assert titles(timeline) == [
        ("Payment created", ""),
        ("Payment captured", ""),
        ("Refund of $20.00 requested", "Ada Admin"),
        ("Refund of $20.00 approved", "Bea Approver"),
        ("Refund of $20.00 succeeded", ""),
        ("Refund of $10.13 requested", "The processor"),
        ("Refund of $10.13 failed", ""),
        ("Refund of $5.00 requested", "Ada Admin"),
        ("Chargeback of $70.00 opened", ""),
        ("Chargeback evidence submitted", "Ada Admin"),
        ("Chargeback won", ""),
        ("Refund of $5.00 rejected", "Bea Approver"),
    ]
    assert [event.at for event in timeline] == sorted(event.at for event in timeline)
    assert timeline[0].detail == "$100.00 to operating"
    assert timeline[2].detail == "Requested by customer"
    assert timeline[6].detail == "The card was closed."
    assert timeline[8].detail == "Fraudulent"


def test_payment_timeline_of_a_failed_payment(merchant):
    payment = PaymentFactory(
        merchant=merchant,
        status=Payment.Status.FAILED,
        failure_reason="Your card was declined.",
        captured_at=None,
        processor_updated_at=BASE_TIME + timedelta(seconds=2),
    )

    timeline = payment_timeline(payment)

    assert [(e.title, e.detail) for e in timeline] == [
        ("Payment created", "$100.00 to operating"),
        ("Payment failed", "Your card was declined."),
    ]


def test_payment_timeline_of_an_accepted_dispute(merchant, admin):
    payment = PaymentFactory(merchant=merchant, created_at=BASE_TIME)
    DisputeFactory(
        payment=payment,
        status=Dispute.Status.ACCEPTED,
        opened_at=BASE_TIME + timedelta(days=1),
        accepted_at=BASE_TIME + timedelta(days=2),
        accepted_by=admin,
        closed_at=BASE_TIME + timedelta(days=2, minutes=1),
    )

    assert titles(payment_timeline(payment))[2:] == [
        ("Chargeback of $100.00 opened", ""),
        ("Chargeback accepted", "Ada Admin"),
        ("Chargeback closed as accepted", ""),
    ]


def test_payment_timeline_follows_real_sandbox_flows(merchant, admin, time_machine):
    time_machine.move_to(sandbox_events.NOW + timedelta(days=1, microseconds=500))
    payment = sandbox_events.payment_succeeded(
        merchant, amount=10_000, created_at=sandbox_events.NOW
    )
    create_refund(
        payment=payment,
        actor=admin,
        amount=2_500,
        reason="duplicate",
        idempotency_key="k1",
    )
    create_refund(
        payment=payment,
        actor=admin,
        amount=1_013,
        reason="other",
        note="Asked twice",
        idempotency_key="k2",
    )
    sandbox_events.dispute_opened(payment, amount=5_000)
    payment.refresh_from_db()

    record = payment_record(payment)

    assert [(e.title, e.actor, e.detail) for e in record.timeline] == [
        ("Payment created", "", "$100.00 to operating"),
        ("Payment captured", "", "Succeeded"),
        ("Refund of $25.00 requested", "Ada Admin", "Duplicate"),
        ("Refund of $25.00 succeeded", "", ""),
        ("Refund of $10.13 requested", "Ada Admin", "Other: Asked twice"),
        ("Refund of $10.13 failed", "", "The card was closed."),
        ("Chargeback of $50.00 opened", "", "Fraudulent"),
    ]
    # The processor's whole-second time never puts a step before the request.
    assert record.timeline[3].at == record.timeline[2].at
    # The service's rule, whatever it counts (an open chargeback holds its
    # amount): the record shows what a refund would be allowed.
    assert record.refundable == refundable_amount(payment) == 2_500
    assert record.can_be_refunded is True
    assert [r.status for r in record.refunds] == ["succeeded", "failed"]
    assert [d.status for d in record.disputes] == ["needs_response"]


def test_payment_record_counts_lost_chargebacks_against_refundable(merchant):
    payment = PaymentFactory(merchant=merchant, amount=10_000)
    DisputeFactory(payment=payment, amount=4_000, status=Dispute.Status.LOST)
    RefundFactory(payment=payment, amount=1_000, status=Refund.Status.PENDING)

    record = payment_record(payment)

    assert record.refundable == 5_000
    assert record.can_be_refunded is True


@pytest.mark.parametrize(
    ("status", "refunded", "can"),
    [
        (Payment.Status.SUCCEEDED, 0, True),
        (Payment.Status.PARTIALLY_REFUNDED, 9_999, True),
        (Payment.Status.REFUNDED, 10_000, False),
        (Payment.Status.PENDING, 0, False),
        (Payment.Status.FAILED, 0, False),
    ],
)
def test_payment_record_says_whether_it_can_be_refunded(
    merchant, status, refunded, can
):
    payment = PaymentFactory(
        merchant=merchant, amount=10_000, status=status, refunded_amount=refunded
    )
    if refunded:
        RefundFactory(payment=payment, amount=refunded)

    assert payment_record(payment).can_be_refunded is can


def test_payment_record_queries_a_fixed_number_of_times(
    merchant, admin, django_assert_num_queries
):
    payment = PaymentFactory(merchant=merchant)
    RefundFactory.create_batch(3, payment=payment, created_by=admin, amount=100)
    DisputeFactory.create_batch(2, payment=payment, submitted_by=admin)

    with django_assert_num_queries(4):
        payment_record(payment)
