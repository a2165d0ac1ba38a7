"""Reads for the dashboard, always scoped to the request's merchant.

The figures come from ``DailyTotal`` (one row per firm, day, account and
currency, kept current by the payment services), never from summing
payments: a period costs at most two rows per day, whatever the volume.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Sum
from django.utils import timezone

from payportal.merchants.models import Merchant
from payportal.payments.models import Account, DailyTotal, Dispute, Refund

# The DailyTotal columns the dashboard adds up.
SUMMED = (
    "gross",
    "payment_count",
    "refunded",
    "refund_count",
    "disputed",
    "dispute_count",
    "dispute_reversed",
    "fees",
)


@dataclass
class Figures:
    """One account's (or all accounts') money over a period, minor units."""

    gross: int = 0
    payment_count: int = 0
    refunded: int = 0
    refund_count: int = 0
    disputed: int = 0
    dispute_count: int = 0
    dispute_reversed: int = 0
    fees: int = 0

    @property
    def net(self) -> int:
        return (
            self.gross
            - self.refunded
            - self.disputed
            + self.dispute_reversed
            - self.fees
        )

    def add(self, other: "Figures") -> None:
        for name in SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Totals:
    """A period's figures in one currency, by account and in all."""

    currency: str
    operating: Figures = field(default_factory=Figures)
    trust: Figures = field(default_factory=Figures)

    @property
    def total(self) -> Figures:
        total = Figures()
        total.add(self.operating)
        total.add(self.trust)
        return total

    @property
    def is_empty(self) -> bool:
        return self.total == Figures()


@dataclass
class DayVolume:
    day: date
    operating: int = 0
    trust: int = 0

    @property
    def total(self) -> int:
        return self.operating + self.trust


def today_for(*, merchant: Merchant, now: datetime | None = None) -> date:
    """The firm's calendar day now, in its time zone."""
    return timezone.localtime(now or timezone.now(), merchant.tz).date()


def get_totals(
    *, merchant: Merchant, start: date, end: date
) -> tuple[Totals, list[Totals]]:
    """The figures of the days ``start`` to ``end`` (both included).

    Returns the totals in the firm's currency and, separately, those of any
    other currency its processor paid in (sorted by code). One query.

    Processing fees always come from operating, never from trust: fees
    found on a trust row count against operating.
    """
    rows = (
        DailyTotal.objects.filter(merchant=merchant, day__gte=start, day__lte=end)
        .values("currency", "account")
        .annotate(**{name: Sum(name) for name in SUMMED})
        .order_by("currency", "account")
    )
    by_currency: dict[str, Totals] = {}
    for row in rows:
        totals = by_currency.setdefault(row["currency"], Totals(row["currency"]))
        figures = Figures(**{name: row[name] or 0 for name in SUMMED})
        fees, figures.fees = figures.fees, 0
        totals.operating.fees += fees
        if row["account"] == Account.TRUST:
            totals.trust.add(figures)
        else:
            totals.operating.add(figures)
    main = by_currency.pop(merchant.currency, Totals(merchant.currency))
    return main, [by_currency[code] for code in sorted(by_currency)]


def get_daily_volume(*, merchant: Merchant, start: date, end: date) -> list[DayVolume]:
    """Gross volume per day in the firm's currency, one entry for every day
    from ``start`` to ``end`` (days without payments are zero). One query.
    """
    days = {
        start + timedelta(days=offset): DayVolume(start + timedelta(days=offset))
        for offset in range((end - start).days + 1)
    }
    rows = DailyTotal.objects.filter(
        merchant=merchant,
        currency=merchant.currency,
        day__gte=start,
        day__lte=end,
    ).values_list("day", "account", "gross")
    for day, account, gross in rows:
        volume = days[day]
        if account == Account.TRUST:
            volume.trust += gross
        else:
            volume.operating += gross
    return list(days.values())


@dataclass
class AwaitingResponse:
    dispute: Dispute
    days_left: int
    overdue: bool


def list_disputes_awaiting_response(
    *, merchant: Merchant, now: datetime, limit: int = 5
) -> list[AwaitingResponse]:
    """Open chargebacks that need a response, soonest due first.

    ``days_left`` counts the firm's calendar days from ``now`` to the due
    date (0 = due today); ``overdue`` once the due time has passed. Fetches
    ``limit + 1`` so the caller can tell whether there are more. One query.
    """
    today = today_for(merchant=merchant, now=now)
    disputes = (
        Dispute.objects.filter(merchant=merchant, status=Dispute.Status.NEEDS_RESPONSE)
        # The panel shows none of the evidence: leave the long texts behind.
        .only("merchant", "amount", "currency", "reason", "status", "evidence_due_by")
        .order_by("evidence_due_by", "id")[: limit + 1]
    )
    return [
        AwaitingResponse(
            dispute=dispute,
            days_left=(
                timezone.localtime(dispute.evidence_due_by, merchant.tz).date() - today
            ).days,
            overdue=dispute.evidence_due_by <= now,
        )
        for dispute in disputes
    ]


def list_recent_refunds(*, merchant: Merchant, limit: int = 5) -> list[Refund]:
    """The latest refunds, newest first, with their payments. One query."""
    return list(
        Refund.objects.filter(merchant=merchant)
        .select_related("payment")
        .defer("raw", "payment__raw", "payment__metadata")
        .order_by("-created_at", "-id")[:limit]
    )
