from datetime import UTC, date, datetime

import pytest

from payportal.dashboard import selectors
from payportal.payments.models import Account, DailyTotal

pytestmark = pytest.mark.django_db


def test_get_totals_is_one_query(merchant, django_assert_num_queries):
    for day in (date(2026, 11, 1), date(2026, 11, 2)):
        for account in Account.values:
            DailyTotal.objects.create(
                merchant=merchant,
                day=day,
                account=account,
                currency="USD",
                gross=1_000,
                payment_count=1,
            )

    with django_assert_num_queries(1):
        totals, others = selectors.get_totals(
            merchant=merchant, start=date(2026, 11, 1), end=date(2026, 11, 2)
        )

    assert (totals.operating.gross, totals.trust.gross, totals.total.gross) == (
        2_000,
        2_000,
        4_000,
    )
    assert others == []


def test_get_daily_volume_has_every_day(merchant):
    DailyTotal.objects.create(
        merchant=merchant,
        day=date(2026, 11, 2),
        account=Account.TRUST,
        currency="USD",
        gross=500,
    )
    DailyTotal.objects.create(
        merchant=merchant,
        day=date(2026, 11, 2),
        account=Account.OPERATING,
        currency="EUR",
        gross=900,
    )

    days = selectors.get_daily_volume(
        merchant=merchant, start=date(2026, 11, 1), end=date(2026, 11, 3)
    )

    assert days == [
        selectors.DayVolume(date(2026, 11, 1)),
        selectors.DayVolume(date(2026, 11, 2), trust=500),
        selectors.DayVolume(date(2026, 11, 3)),
    ]


def test_today_for_uses_the_firms_time_zone(merchant):
    merchant.time_zone = "Pacific/Auckland"

    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    assert selectors.today_for(merchant=merchant, now=now) == date(2026, 11, 2)
