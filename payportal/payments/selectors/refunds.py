"""Reads of refunds, always scoped to the request's merchant."""

import datetime

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from payportal.core.dates import days_filter
from payportal.core.pagination import PAGE_SIZE, Page, keyset_page
from payportal.merchants.models import Merchant
from payportal.payments.models import Payment, Refund


def get_payment(*, merchant: Merchant, payment_id: int) -> Payment:
    """The merchant's payment, or 404 (another firm's id is a 404)."""
    return get_object_or_404(
        Payment.objects.select_related("merchant"), merchant=merchant, pk=payment_id
    )


def get_refund(*, merchant: Merchant, refund_id: int) -> Refund:
    """The merchant's refund, or 404 (another firm's id is a 404)."""
    return get_object_or_404(
        Refund.objects.select_related("payment", "created_by"),
        merchant=merchant,
        pk=refund_id,
    )


def _with_rows(refunds: QuerySet[Refund]) -> QuerySet[Refund]:
    return refunds.select_related("payment", "created_by", "approved_by")


def list_refunds(
    *,
    merchant: Merchant,
    status: str = "",
    reason: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    q: str = "",
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """One page of the merchant's refunds, newest first.

    ``date_from``/``date_to`` are the firm's calendar days (its time zone),
    both included. ``q`` matches the payment's reference (ignoring case)
    or, exactly, the refund's or the payment's processor reference. One
    query whatever the page size (keyset on ``(merchant, created_at, id)``,
    no COUNT).
    """
    refunds = _with_rows(Refund.objects.filter(merchant=merchant))
    if status in Refund.Status.values:
        refunds = refunds.filter(status=status)
    if reason in Refund.Reason.values:
        refunds = refunds.filter(reason=reason)
    refunds = refunds.filter(
        days_filter("created_at", date_from=date_from, date_to=date_to, tz=merchant.tz)
    )
    q = (q or "").strip()
    if q:
        refunds = refunds.filter(
            Q(payment__reference__icontains=q)
            | Q(processor_ref=q)
            | Q(payment__processor_ref=q)
        )
    return keyset_page(
        refunds,
        key="created_at",
        descending=True,
        after=after,
        before=before,
        size=size,
    )


def list_awaiting_approval(
    *,
    merchant: Merchant,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """Refunds waiting for a second person, oldest first (one query)."""
    refunds = _with_rows(
        Refund.objects.filter(merchant=merchant, status=Refund.Status.AWAITING_APPROVAL)
    )
    return keyset_page(refunds, key="created_at", after=after, before=before, size=size)


def count_awaiting_approval(*, merchant: Merchant) -> int:
    """How many refunds wait for approval (index on merchant, status)."""
    return Refund.objects.filter(
        merchant=merchant, status=Refund.Status.AWAITING_APPROVAL
    ).count()


def refunds_of_payment(*, payment: Payment) -> list[Refund]:
    """A payment's refunds, newest first, with who asked and decided."""
    return list(_with_rows(Refund.objects.filter(payment=payment)))
