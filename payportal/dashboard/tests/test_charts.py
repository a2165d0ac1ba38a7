from datetime import date, timedelta

import pytest

from payportal.dashboard.charts import axis_label, build_volume_chart, nice_step
from payportal.dashboard.selectors import DayVolume


@pytest.mark.parametrize(
    ("value", "minimum", "step"),
    [
        (0, 100, 100),
        (100, 100, 100),
        (101, 100, 200),
        (250, 100, 250),
        (251, 100, 500),
        (25_000, 100, 25_000),
        (25_001, 100, 50_000),
        (3, 1, 5),
        (9_000_001, 100, 10_000_000),
    ],
)
def test_nice_step_rounds_up_to_a_round_amount(value, minimum, step):
    assert nice_step(value, minimum=minimum) == step


@pytest.mark.parametrize(
    ("amount", "currency", "label"),
    [
        (0, "USD", "$0"),
        (100_000, "USD", "$1,000"),
        (150, "USD", "$1.50"),
        (1_000, "JPY", "1,000 JPY"),
        (200_000, "CHF", "2,000 CHF"),
    ],
)
def test_axis_label_drops_zero_cents(amount, currency, label):
    assert axis_label(amount, currency) == label


def test_build_volume_chart_without_payments():
    days = [DayVolume(date(2026, 11, 1) + timedelta(days=n)) for n in range(3)]

    chart = build_volume_chart(days, currency="USD")

    assert chart.busiest is None
    assert [tick.label for tick in chart.ticks] == ["$0", "$1", "$2", "$3", "$4"]
    assert [bar.operating_height + bar.trust_height for bar in chart.bars] == [0] * 3


def test_build_volume_chart_stacks_trust_on_operating():
    days = [
        DayVolume(date(2026, 11, 1), operating=30_000, trust=10_000),
        DayVolume(date(2026, 11, 2), operating=10_000),
    ]

    chart = build_volume_chart(days, currency="USD")

    first, second = chart.bars
    assert chart.busiest == first
    assert (first.operating_y, first.operating_height) == (62.0, 150.0)
    assert (first.trust_y, first.trust_height) == (12.0, 50.0)
    assert (second.operating_y, second.operating_height) == (162.0, 50.0)
    assert second.trust_height == 0
    assert first.x < second.x


def test_build_volume_chart_labels_at_most_eight_days():
    days = [DayVolume(date(2026, 1, 1) + timedelta(days=n)) for n in range(366)]

    chart = build_volume_chart(days, currency="USD")

    assert len(chart.bars) == 366
    assert len(chart.day_labels) == 8
    assert chart.day_labels[0].day == date(2026, 1, 1)
