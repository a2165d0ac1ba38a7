"""A firm's calendar days as datetime bounds, for filters on timestamps."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q


def start_of_day(day: date, tz: ZoneInfo) -> datetime | None:
    """Midnight of ``day`` in ``tz``; None at the calendar's ends, where the
    bound would not fit in a UTC datetime (and no row lies beyond it)."""
    if day <= date.min + timedelta(days=1) or day >= date.max - timedelta(days=1):
        return None
    return datetime.combine(day, time.min, tzinfo=tz)


def days_filter(
    field: str, *, date_from: date | None, date_to: date | None, tz: ZoneInfo
) -> Q:
    """``field`` within the days ``date_from``..``date_to`` in ``tz``, both
    days included; either end may be None (open)."""
    condition = Q()
    if date_from is not None and (start := start_of_day(date_from, tz)):
        condition &= Q(**{f"{field}__gte": start})
    if (
        date_to is not None
        and date_to < date.max
        and (end := start_of_day(date_to + timedelta(days=1), tz))
    ):
        condition &= Q(**{f"{field}__lt": end})
    return condition
