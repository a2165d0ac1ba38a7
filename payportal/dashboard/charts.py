"""The daily-volume chart's geometry, for an SVG drawn by a template.

Server-rendered, so it needs no JavaScript and no chart library; the
template gives the picture a title and a table that says the same in words.
"""

import math
from dataclasses import dataclass
from datetime import date

from payportal.core.money import exponent, format_money
from payportal.dashboard.selectors import DayVolume

WIDTH = 720
HEIGHT = 240
LEFT = 72  # room for the amount labels
RIGHT = 8
TOP = 12
BOTTOM = 28  # room for the day labels
TICKS = 4
MAX_DAY_LABELS = 8


@dataclass(frozen=True)
class Bar:
    day: date
    operating: int
    trust: int
    x: float
    width: float
    center: float
    operating_y: float
    operating_height: float
    trust_y: float
    trust_height: float

    @property
    def total(self) -> int:
        return self.operating + self.trust


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class DayLabel:
    x: float
    day: date


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    bars: list[Bar]
    ticks: list[Tick]
    day_labels: list[DayLabel]
    busiest: Bar | None

    @property
    def tick_label_x(self) -> int:
        return self.plot_left - 8

    @property
    def day_label_y(self) -> int:
        return self.height - 8

    @property
    def plot_center_x(self) -> float:
        return (self.plot_left + self.plot_right) / 2

    @property
    def plot_center_y(self) -> float:
        return (self.plot_top + self.plot_bottom) / 2


def nice_step(value: int, *, minimum: int) -> int:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is >= ``value``
    (and >= ``minimum``), so the axis reads in round amounts."""
    if value <= minimum:
        return minimum
    magnitude = 10 ** (len(str(value)) - 1)
    candidates = [magnitude, 2 * magnitude, 5 * magnitude, 10 * magnitude]
    if magnitude >= 10:
        candidates.insert(2, magnitude * 5 // 2)
    return next(step for step in candidates if step >= value)


def axis_label(amount: int, currency: str) -> str:
    """ "$1,000" for whole amounts: the axis has no room for cents."""
    text = format_money(amount, currency)
    places = exponent(currency)
    if places and amount % 10**places == 0:
        text = text.replace("." + "0" * places, "", 1)
    return text


def _round(value: float) -> float:
    return round(value, 2)


def build_volume_chart(days: list[DayVolume], *, currency: str) -> Chart:
    """Stacked bars (operating below, trust above), one per day."""
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_height
    highest = max((day.total for day in days), default=0)
    # Whole units of the currency per step, so the labels need no cents.
    step = nice_step(math.ceil(highest / TICKS), minimum=10 ** exponent(currency))
    top_value = step * TICKS
    scale = plot_height / top_value

    slot = plot_width / max(len(days), 1)
    bar_width = max(slot * 0.7, 1.0)
    bars = []
    for index, day in enumerate(days):
        x = LEFT + index * slot + (slot - bar_width) / 2
        operating_height = day.operating * scale
        trust_height = day.trust * scale
        bars.append(
            Bar(
                day=day.day,
                operating=day.operating,
                trust=day.trust,
                x=_round(x),
                width=_round(bar_width),
                center=_round(x + bar_width / 2),
                operating_y=_round(bottom - operating_height),
                operating_height=_round(operating_height),
                trust_y=_round(bottom - operating_height - trust_height),
                trust_height=_round(trust_height),
            )
        )
    ticks = [
        Tick(y=_round(bottom - n * step * scale), label=axis_label(n * step, currency))
        for n in range(TICKS + 1)
    ]
    every = math.ceil(len(bars) / MAX_DAY_LABELS) if bars else 1
    day_labels = [DayLabel(x=bar.center, day=bar.day) for bar in bars[::every] if bars]
    busiest = max(bars, key=lambda bar: bar.total) if highest else None
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=bottom,
        bars=bars,
        ticks=ticks,
        day_labels=day_labels,
        busiest=busiest,
    )
