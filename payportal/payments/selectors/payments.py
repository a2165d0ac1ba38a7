"""Reads of payments, always scoped to the request's merchant.

The Transactions page and its CSV export share one set of filters
(``_filtered``), so the export is exactly the filtered list. Pages are
keyset pages on the indexes of Payment (no OFFSET, no COUNT); the export
streams rows from a cursor with flat memory.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from payportal.core import search
from payportal.core.dates import days_filter
from payportal.core.exports import streamed
from payportal.core.money import format_money
from payportal.core.pagination import PAGE_SIZE, Page, keyset_page
from payportal.merchants.models import Merchant
from payportal.payments.models import Dispute, Payment, Refund
from payportal.payments.selectors import export
from payportal.payments.services.refunds import REFUNDABLE_STATUSES, refundable_amount

# The sort the page offers: URL value -> model field. Each field has an
# index on (merchant, field, id).
SORT_FIELDS = {"date": "created_at", "amount": "amount"}
DEFAULT_SORT = "-date"
EXPORT_CHUNK_SIZE = 2_000
# Large JSON columns the list never shows.
_LIST_DEFERRED = ("raw", "metadata")


def get_payment(*, merchant: Merchant, payment_id: int) -> Payment:
    """The merchant's payment, or 404 (another firm's id is a 404)."""
    return get_object_or_404(Payment, merchant=merchant, pk=payment_id)


def parse_sort(sort: str | None) -> tuple[str, bool]:
    """``"-amount"`` -> ``("amount", True)``; unknown sorts are the default
    (newest first)."""
    sort = sort or ""
    name = sort.removeprefix("-")
    if name not in SORT_FIELDS:
        return parse_sort(DEFAULT_SORT)
    return name, sort.startswith("-")


def _filtered(
    *,
    merchant: Merchant,
    date_from: date | None = None,
    date_to: date | None = None,
    status: str = "",
    amount_min: int | None = None,
    amount_max: int | None = None,
    last4: str = "",
    account: str = "",
    q: str = "",
) -> QuerySet[Payment]:
    payments = Payment.objects.filter(merchant=merchant)
    # Days are the firm's calendar days, both ends included.
    payments = payments.filter(
        days_filter("created_at", date_from=date_from, date_to=date_to, tz=merchant.tz)
    )
    if status:
        payments = payments.filter(status=status)
    if amount_min is not None:
        payments = payments.filter(amount__gte=amount_min)
    if amount_max is not None:
        payments = payments.filter(amount__lte=amount_max)
    if last4:
        payments = payments.filter(card_last4=last4)
    if account:
        payments = payments.filter(account=account)
    q = (q or "").strip()
    if q:
        payments = payments.filter(search.PAYMENTS.matches(q))
    return payments


def list_payments(
    *,
    merchant: Merchant,
    date_from: date | None = None,
    date_to: date | None = None,
    status: str = "",
    amount_min: int | None = None,
    amount_max: int | None = None,
    last4: str = "",
    account: str = "",
    q: str = "",
    sort: str = DEFAULT_SORT,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """One page of the merchant's payments for the Transactions page.

    ``date_from``/``date_to`` are the firm's calendar days (merchant.tz),
    both included; ``status`` and ``account`` are choice values, "" for
    all; ``amount_min``/``amount_max`` are minor units, both included;
    ``last4`` matches the card's last four exactly; ``q`` matches the
    reference, payer email, cardholder or client (ignoring case). ``sort``
    is "date" or "amount", "-" first for descending; newest first by
    default. One query whatever the page size (keyset, no COUNT); a search
    with a trigram (three characters or more) takes two to four, bounded
    whatever the data size (core/search.py).
    """
    payments = _filtered(
        merchant=merchant,
        date_from=date_from,
        date_to=date_to,
        status=status,
        amount_min=amount_min,
        amount_max=amount_max,
        last4=last4,
        account=account,
    ).defer(*_LIST_DEFERRED)
    name, descending = parse_sort(sort)
    page = {
        "key": SORT_FIELDS[name],
        "descending": descending,
        "after": after,
        "before": before,
        "size": size,
    }
    q = (q or "").strip()
    if q:
        return search.search_page(payments, search=search.PAYMENTS, term=q, **page)
    return keyset_page(payments, **page)


def iter_payments_for_export(
    *,
    merchant: Merchant,
    date_from: date | None = None,
    date_to: date | None = None,
    status: str = "",
    amount_min: int | None = None,
    amount_max: int | None = None,
    last4: str = "",
    account: str = "",
    q: str = "",
    sort: str = DEFAULT_SORT,
    chunk_size: int = EXPORT_CHUNK_SIZE,
) -> Iterator[str]:
    """Every payment the same filters match, in the page's order, as the
    CSV export's lines, written by the database (selectors/export.py).
    Read in chunks from a cursor: flat memory however many rows."""
    payments = _filtered(
        merchant=merchant,
        date_from=date_from,
        date_to=date_to,
        status=status,
        amount_min=amount_min,
        amount_max=amount_max,
        last4=last4,
        account=account,
        q=q,
    )
    name, descending = parse_sort(sort)
    key = SORT_FIELDS[name]
    order = [f"-{key}", "-pk"] if descending else [key, "pk"]
    lines = export.csv_lines(payments.order_by(*order), merchant=merchant)
    return streamed(lines, chunk_size=chunk_size)


# --- The payment record ----------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    title: str
    detail: str = ""
    actor: str = ""
    # success, danger, warning or "" (neutral): the dot's colour.
    tone: str = ""
    dispute_id: int | None = None


@dataclass(frozen=True)
class PaymentRecord:
    payment: Payment
    refunds: list[Refund]
    disputes: list[Dispute]
    timeline: list[TimelineEvent]
    refundable: int
    can_be_refunded: bool = field(default=False)


def _name(user: Any) -> str:
    if user is None:
        return ""
    return user.full_name or user.username


def _payment_events(payment: Payment) -> list[TimelineEvent]:
    money = format_money(payment.amount, payment.currency)
    events = [
        TimelineEvent(
            at=payment.created_at,
            title="Payment created",
            detail=f"{money} to {payment.get_account_display().lower()}",
        )
    ]
    if payment.status == Payment.Status.FAILED:
        events.append(
            TimelineEvent(
                at=payment.processor_updated_at or payment.created_at,
                title="Payment failed",
                detail=payment.failure_reason,
                tone="danger",
            )
        )
    elif payment.captured_at is not None:
        events.append(
            TimelineEvent(
                at=payment.captured_at,
                title="Payment captured",
                detail="Succeeded",
                tone="success",
            )
        )
    return events


def _refund_events(refund: Refund) -> list[TimelineEvent]:
    money = format_money(refund.amount, refund.currency)
    reason = refund.get_reason_display()
    if refund.note:
        reason += f": {refund.note}"
    events = [
        TimelineEvent(
            at=refund.created_at,
            title=f"Refund of {money} requested",
            detail=reason,
            actor=_name(refund.created_by) or "The processor",
        )
    ]
    settled_at = refund.processor_updated_at or refund.updated_at
    if refund.decided_at is not None:
        rejected = refund.status == Refund.Status.CANCELED
        events.append(
            TimelineEvent(
                at=refund.decided_at,
                title=f"Refund of {money} {'rejected' if rejected else 'approved'}",
                actor=_name(refund.approved_by),
                tone="danger" if rejected else "success",
            )
        )
    if refund.status == Refund.Status.SUCCEEDED:
        events.append(
            TimelineEvent(
                at=refund.settled_at or settled_at,
                title=f"Refund of {money} succeeded",
                tone="success",
            )
        )
    elif refund.status == Refund.Status.FAILED:
        events.append(
            TimelineEvent(
                at=settled_at,
                title=f"Refund of {money} failed",
                detail=refund.failure_reason,
                tone="danger",
            )
        )
    elif refund.status == Refund.Status.CANCELED and refund.decided_at is None:
        events.append(TimelineEvent(at=settled_at, title=f"Refund of {money} canceled"))
    return events


_DISPUTE_OUTCOMES = {
    Dispute.Status.WON: ("Chargeback won", "success"),
    Dispute.Status.LOST: ("Chargeback lost", "danger"),
    Dispute.Status.ACCEPTED: ("Chargeback closed as accepted", "danger"),
}


def _dispute_events(dispute: Dispute) -> list[TimelineEvent]:
    money = format_money(dispute.amount, dispute.currency)
    events = [
        TimelineEvent(
            at=dispute.opened_at,
            title=f"Chargeback of {money} opened",
            detail=dispute.get_reason_display(),
            tone="warning",
            dispute_id=dispute.pk,
        )
    ]
    if dispute.submitted_at is not None:
        events.append(
            TimelineEvent(
                at=dispute.submitted_at,
                title="Chargeback evidence submitted",
                actor=_name(dispute.submitted_by),
                dispute_id=dispute.pk,
            )
        )
    if dispute.accepted_at is not None:
        events.append(
            TimelineEvent(
                at=dispute.accepted_at,
                title="Chargeback accepted",
                actor=_name(dispute.accepted_by),
                dispute_id=dispute.pk,
            )
        )
    if dispute.status in _DISPUTE_OUTCOMES:
        title, tone = _DISPUTE_OUTCOMES[dispute.status]
        events.append(
            TimelineEvent(
                at=dispute.closed_at
                or dispute.processor_updated_at
                or dispute.updated_at,
                title=title,
                tone=tone,
                dispute_id=dispute.pk,
            )
        )
    elif dispute.status == Dispute.Status.UNDER_REVIEW and dispute.submitted_at is None:
        events.append(
            TimelineEvent(
                at=dispute.processor_updated_at or dispute.opened_at,
                title="Chargeback under review",
                dispute_id=dispute.pk,
            )
        )
    return events


def _in_sequence(events: list[TimelineEvent]) -> list[TimelineEvent]:
    """One object's steps, never earlier than the step before: processor
    times are whole seconds, so a refund can settle "before" the request
    that made it."""
    for n in range(1, len(events)):
        if events[n].at < events[n - 1].at:
            events[n] = replace(events[n], at=events[n - 1].at)
    return events


# A payment has a few refunds and chargebacks: they are read through the
# payment's index and put in order here. Ordered in SQL, SQLite would walk
# the firm's (merchant, created_at) index instead, reading every refund of
# the firm (48 ms at 135,000 refunds).


def _payment_refunds(payment: Payment) -> list[Refund]:
    refunds = (
        Refund.objects.filter(merchant_id=payment.merchant_id, payment=payment)
        .select_related("created_by", "approved_by")
        .order_by()  # no SQL order: see above
    )
    return sorted(refunds, key=lambda refund: (refund.created_at, refund.pk))


def _payment_disputes(payment: Payment) -> list[Dispute]:
    disputes = (
        Dispute.objects.filter(merchant_id=payment.merchant_id, payment=payment)
        .select_related("submitted_by", "accepted_by")
        .order_by()
    )
    return sorted(disputes, key=lambda dispute: (dispute.opened_at, dispute.pk))


def payment_timeline(
    payment: Payment,
    *,
    refunds: list[Refund] | None = None,
    disputes: list[Dispute] | None = None,
) -> list[TimelineEvent]:
    """What happened to ``payment``, oldest first: created, captured or
    failed, each refund's steps and each chargeback's steps.

    Pass ``refunds`` and ``disputes`` when already read (with their users
    selected) to save the two queries.
    """
    if refunds is None:
        refunds = _payment_refunds(payment)
    if disputes is None:
        disputes = _payment_disputes(payment)
    events = _in_sequence(_payment_events(payment))
    for refund in refunds:
        events.extend(_in_sequence(_refund_events(refund)))
    for dispute in disputes:
        events.extend(_in_sequence(_dispute_events(dispute)))
    # Stable: events at the same moment keep the order they happen in.
    return sorted(events, key=lambda event: event.at)


def payment_record(payment: Payment) -> PaymentRecord:
    """Everything the payment record shows about ``payment`` (from
    get_payment), in four queries: refunds, chargebacks, and two for the
    refundable amount."""
    refunds = _payment_refunds(payment)
    disputes = _payment_disputes(payment)
    refundable = refundable_amount(payment)
    return PaymentRecord(
        payment=payment,
        refunds=refunds,
        disputes=disputes,
        timeline=payment_timeline(payment, refunds=refunds, disputes=disputes),
        refundable=refundable,
        can_be_refunded=refundable > 0 and payment.status in REFUNDABLE_STATUSES,
    )
