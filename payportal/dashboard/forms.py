"""The dashboard's period: Today, 7 days, 30 days, or a From/To range."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms

# key -> (label, days ending today), in the order the page offers them.
PRESETS: dict[str, tuple[str, int]] = {
    "today": ("Today", 1),
    "7d": ("7 days", 7),
    "30d": ("30 days", 30),
}
DEFAULT = "30d"
RANGE = "range"
# A chart bar per day: a year is as many as the page can show usefully.
MAX_DAYS = 366

END_BEFORE_START = "To can't be before From."
TOO_LONG = f"Choose a range of at most {MAX_DAYS} days."
BOTH_NEEDED = "Enter a date here too, or leave both dates empty."


@dataclass(frozen=True)
class Period:
    key: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def preset_period(key: str, *, today: date) -> Period:
    _label, days = PRESETS[key]
    return Period(key=key, start=today - timedelta(days=days - 1), end=today)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        # ISO dates: what <input type="date"> sends and shows.
        super().__init__(format="%Y-%m-%d", **kwargs)


class PeriodForm(forms.Form):
    """A GET form: ``?period=7d``, or ``?start=…&end=…`` for a range.

    Bad input never stops the page: ``period()`` falls back to the default
    and the messages show next to the From and To fields.
    """

    start = forms.DateField(label="From", required=False, widget=DateInput)
    end = forms.DateField(label="To", required=False, widget=DateInput)

    def __init__(self, data: Any, *, today: date) -> None:
        super().__init__(data)
        self.today = today

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if self.errors:
            return cleaned
        if bool(start) != bool(end):
            self.add_error("end" if start else "start", BOTH_NEEDED)
        elif start and end:
            if end < start:
                self.add_error("end", END_BEFORE_START)
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error("start", TOO_LONG)
        return cleaned

    def period(self) -> Period:
        """The period asked for; the default when the input is bad."""
        if self.is_valid() and self.cleaned_data.get("start"):
            return Period(
                key=RANGE,
                start=self.cleaned_data["start"],
                end=self.cleaned_data["end"],
            )
        key = self.data.get("period", DEFAULT)
        if self.errors or key not in PRESETS:
            key = DEFAULT
        return preset_period(key, today=self.today)
