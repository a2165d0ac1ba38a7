"""The transactions CSV export, written by the database.

An export can be a million rows. Formatted in Python, a row took about
13 µs; fetched as cells and written by ``csv.writer``, still 8. Here the
database writes each row as its final CSV line, so Python only fetches
lines and joins them. Each part writes exactly what the Python
formatting does (the tests compare bytes with a Python rendering, on
SQLite and PostgreSQL):

- Date: ``created_at.astimezone(tz).isoformat()``. SQLite has no time
  zones and PostgreSQL's zone data can differ from Python's, so the UTC
  offsets come from zoneinfo: one branch per period of constant offset.
- Amount, Fee, Refunded: ``plain_amount_formatter(currency)``.
- Status, Account: the choice's label; an unknown value as it is.
- Expiry: ``Payment.card_expiry``.
- Text written by people or processors: ``safe_cell``.
- Each field as ``csv.writer`` writes it (CSV_DIALECT): quoted when it
  holds the delimiter, the quote character or a line break.
"""

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, CharField, Expression, F, QuerySet, Value, When
from django.db.models.expressions import Func
from django.utils import timezone

from payportal.core.exports import CSV_DIALECT, FORMULA_STARTS
from payportal.core.money import currencies_by_exponent, exponent
from payportal.merchants.models import Merchant
from payportal.payments.models import Account, Payment

# The offsets are found by sampling daily, then narrowed to the second:
# no zone in Python's time zone data changes twice within four days (95
# hours, Africa/Freetown in 1939), so no change goes unseen. About a
# millisecond per year of payments.
_OFFSET_STEP = timedelta(days=1)
# Payments may arrive while an export starts: the periods of offset reach
# this far beyond the firm's first payment and beyond now, within the
# times a datetime can hold in any zone.
_SPAN_MARGIN = timedelta(days=366)
_EARLIEST = datetime(1, 1, 3, tzinfo=UTC)
_LATEST = datetime(9999, 12, 29, tzinfo=UTC)


class _Template(Func):
    """SQL from a template per database: ``{0}``, ``{1}`` are the columns
    (the SQL can repeat them).

    A template is ``(sql, params)``, the parameters in the order of its
    ``%s``; a literal % is written %%. Columns have no parameters, so the
    template's are all.
    """

    output_field = CharField()

    def __init__(
        self,
        *columns: str,
        sqlite: tuple[str, Sequence[Any]],
        postgresql: tuple[str, Sequence[Any]] | None = None,
    ) -> None:
        super().__init__(*(F(column) for column in columns))
        self.templates = {"sqlite": sqlite, "postgresql": postgresql or sqlite}

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        columns = []
        for expression in self.get_source_expressions():
            column, params = compiler.compile(expression)
            if params:
                raise ValueError("an export template takes columns only")
            columns.append(column)
        sql, params = self.templates[connection.vendor]
        return sql.format(*columns), list(params)


# --- Fields -----------------------------------------------------------------

# csv.writer quotes a field holding one of these, doubling its quotes.
_QUOTE = CSV_DIALECT.quotechar
_QUOTED_WHEN = (CSV_DIALECT.delimiter, _QUOTE, *CSV_DIALECT.lineterminator)
# The code points of FORMULA_STARTS.
_FORMULA_POINTS = ", ".join(str(ord(char)) for char in FORMULA_STARTS)


def csv_field(text: str) -> str:
    """``text`` as csv.writer writes it in a row."""
    buffer = io.StringIO()
    csv.writer(buffer, CSV_DIALECT).writerow([text, ""])
    return buffer.getvalue().removesuffix(
        CSV_DIALECT.delimiter + CSV_DIALECT.lineterminator
    )


def _text_field_sql(
    *, starts_formula: str, holds: str, holds_params: list[str], guard: bool
) -> tuple[str, list[str]]:
    mark = f"CASE WHEN {starts_formula} THEN '''' ELSE '' END || " if guard else ""
    quoted = f"%s || {mark}replace({{0}}, %s, %s) || %s"
    sql = f"CASE WHEN {' OR '.join([holds] * len(holds_params))} THEN {quoted} "
    if guard:
        sql += f"WHEN {starts_formula} THEN '''' || {{0}} "
    sql += "ELSE {0} END"
    return sql, [*holds_params, _QUOTE, _QUOTE, _QUOTE * 2, _QUOTE]


def text_field(column: str, *, guard: bool = True) -> Func:
    """A text column as a CSV field; with ``guard``, as ``safe_cell``
    writes it (an apostrophe first when it would start a formula)."""
    # The first code point: unicode() on SQLite, ascii() on PostgreSQL
    # (UTF-8); NULL or 0 for "". Whether a text holds a character: LIKE is
    # the fastest on SQLite (no character of _QUOTED_WHEN is a wildcard),
    # strpos() on PostgreSQL.
    sqlite = _text_field_sql(
        starts_formula=f"unicode({{0}}) IN ({_FORMULA_POINTS})",
        holds="{0} LIKE %s",
        holds_params=[f"%{char}%" for char in _QUOTED_WHEN],
        guard=guard,
    )
    postgresql = _text_field_sql(
        starts_formula=f"ascii({{0}}) IN ({_FORMULA_POINTS})",
        holds="strpos({0}, %s) > 0",
        holds_params=list(_QUOTED_WHEN),
        guard=guard,
    )
    return _Template(column, sqlite=sqlite, postgresql=postgresql)


def label_field(column: str, choices: Sequence[tuple[str, str]]) -> Case:
    """The choice's label; a value not among ``choices`` as it is."""
    return Case(
        *(
            When(**{column: value}, then=Value(csv_field(label)))
            for value, label in choices
        ),
        default=text_field(column, guard=False),
        output_field=CharField(),
    )


# --- Money ------------------------------------------------------------------


def _places_sql(places: int, vendor: str) -> str:
    """Minor units ``{0}`` as text with ``places`` decimals."""
    if not places:
        return "CAST({0} AS TEXT)"
    unit = 10**places
    if vendor == "sqlite":
        return f"printf('%%d.%%0{places}d', {{0}} / {unit}, {{0}} %% {unit})"
    # The remainder plus 10**places, less its leading 1, keeps the zeros:
    # 5 at two places is "0" "." "05".
    return (
        f"(CAST(({{0}} / {unit}) AS TEXT) || '.' || "
        f"substr(CAST((({{0}} %% {unit}) + {unit}) AS TEXT), 2))"
    )


def amount_field(column: str, *, usual_currency: str) -> Func:
    """``plain_amount_formatter(currency)`` of a minor-units column (never
    needs quotes). ``usual_currency``, the firm's, is tried first.

    Amounts, fees and refunded amounts are never negative (the table's
    constraints), so the text has no sign.
    """
    templates = {}
    for vendor in ("sqlite", "postgresql"):
        usual = _places_sql(exponent(usual_currency), vendor)
        branches, params = [f"WHEN {{1}} = %s THEN {usual}"], [usual_currency]
        for places, currencies in sorted(currencies_by_exponent().items()):
            marks = ", ".join(["%s"] * len(currencies))
            places_sql = _places_sql(places, vendor)
            branches.append(f"WHEN {{1}} IN ({marks}) THEN {places_sql}")
            params.extend(currencies)
        sql = f"CASE {' '.join(branches)} ELSE {_places_sql(2, vendor)} END"
        templates[vendor] = (sql, params)
    return _Template(column, "currency", **templates)


def expiry_field() -> Func:
    """``Payment.card_expiry``: MM/YY when both are set, else "". Neither
    is ever negative (PositiveSmallIntegerField)."""
    sqlite = "printf('%%02d/%%02d', {0}, {1} %% 100)"
    postgresql = (
        "CASE WHEN {0} < 10 THEN '0' ELSE '' END || CAST({0} AS TEXT) "
        "|| '/' || substr(CAST((({1} %% 100) + 100) AS TEXT), 2)"
    )
    both_set = "CASE WHEN {{0}} <> 0 AND {{1}} <> 0 THEN {} ELSE '' END"
    return _Template(
        "card_exp_month",
        "card_exp_year",
        sqlite=(both_set.format(sqlite), ()),
        postgresql=(both_set.format(postgresql), ()),
    )


# --- Dates ------------------------------------------------------------------


def _offset(moment: datetime, tz: ZoneInfo) -> timedelta:
    return moment.astimezone(tz).utcoffset() or timedelta(0)


def offset_periods(
    tz: ZoneInfo, *, start: datetime, end: datetime
) -> tuple[list[datetime], list[timedelta]]:
    """The UTC offsets of ``tz`` from ``start`` to ``end``: the moments it
    changes, and one offset more: ``offsets[0]`` before ``changes[0]``,
    ``offsets[n]`` from ``changes[n - 1]``, the last on without end."""
    changes: list[datetime] = []
    offsets = [_offset(start, tz)]
    moment = start.replace(microsecond=0)
    while moment < end:
        following = moment + _OFFSET_STEP
        if _offset(following, tz) == offsets[-1]:
            moment = following
            continue
        # A zone changes its offset on a whole second: find that second.
        before, after = moment, following
        while after - before > timedelta(seconds=1):
            middle = (before + (after - before) / 2).replace(microsecond=0)
            if _offset(middle, tz) == offsets[-1]:
                before = middle
            else:
                after = middle
        changes.append(after)
        offsets.append(_offset(after, tz))
        moment = after
    return changes, offsets


def _offset_suffix(offset: timedelta) -> str:
    """What isoformat() ends with at ``offset``: "+05:30", "-04:56:02"."""
    moment = datetime(2000, 1, 1, tzinfo=dt_timezone(offset))
    return moment.isoformat().removeprefix("2000-01-01T00:00:00")


def _local_iso(column: str, offset: timedelta) -> Func:
    """``isoformat()`` of ``column`` (UTC) at a fixed ``offset``.

    SQLite keeps datetimes as UTC text: "YYYY-MM-DD HH:MM:SS", then
    ".ffffff" unless the microsecond is 0, as isoformat() writes them.
    The fraction is cut off before any date arithmetic, which SQLite does
    in milliseconds: it would round 59.9996 up to the next second.

    The offset is in the SQL (digits, signs and colons, no parameters): a
    firm whose payments span centuries has hundreds of periods.
    """
    suffix = _offset_suffix(offset)
    seconds = f"{int(offset.total_seconds()):+d} seconds"
    if offset:
        sqlite = (
            "(strftime('%%Y-%%m-%%dT%%H:%%M:%%S', substr({0}, 1, 19), "
            f"'{seconds}') || substr({{0}}, 20) || '{suffix}')"
        )
    else:
        sqlite = f"(replace({{0}}, ' ', 'T') || '{suffix}')"
    postgresql = (
        "(replace(to_char(({0} AT TIME ZONE 'UTC') + "
        f"interval '{seconds}', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') "
        f"|| '{suffix}')"
    )
    return _Template(column, sqlite=(sqlite, ()), postgresql=(postgresql, ()))


def _by_period(
    column: str, changes: Sequence[datetime], offsets: Sequence[timedelta]
) -> Expression:
    """Each row's branch, halving the periods at each step: a few
    comparisons per row however many periods."""
    if not changes:
        return _local_iso(column, offsets[0])
    middle = len(changes) // 2
    return Case(
        When(
            **{f"{column}__lt": changes[middle]},
            then=_by_period(column, changes[:middle], offsets[: middle + 1]),
        ),
        default=_by_period(column, changes[middle + 1 :], offsets[middle + 1 :]),
        output_field=CharField(),
    )


def date_field(
    column: str, tz: ZoneInfo, *, start: datetime, end: datetime
) -> Expression:
    """``column.astimezone(tz).isoformat()`` (never needs quotes) for
    times from ``start`` to ``end``; before and after, the first and the
    last offsets hold."""
    changes, offsets = offset_periods(tz, start=start, end=end)
    return _by_period(column, changes, offsets)


# --- The export -------------------------------------------------------------


class _Line(Func):
    """Fields joined into a CSV line, with its line end."""

    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # One printf() writes the line into one buffer, where a chain of ||
        # makes a string per step.
        fields, params = [], []
        for field in self.get_source_expressions():
            sql, field_params = compiler.compile(field)
            fields.append(sql)
            params.extend(field_params)
        delimiter = CSV_DIALECT.delimiter.replace("%", "%%")
        line = delimiter.join(["%s"] * len(fields))
        line = line + CSV_DIALECT.lineterminator.replace("%", "%%")
        return f"printf(%s, {', '.join(fields)})", [line, *params]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        parts, params = [], []
        for field in self.get_source_expressions():
            if parts:
                parts.append("%s")
                params.append(CSV_DIALECT.delimiter)
            sql, field_params = compiler.compile(field)
            parts.append(f"({sql})")
            params.extend(field_params)
        parts.append("%s")
        params.append(CSV_DIALECT.lineterminator)
        return " || ".join(parts), params


def _span(merchant: Merchant) -> tuple[datetime, datetime]:
    """The firm's payments' first and last times, stretched to now and by
    a margin: two steps down the (merchant, created_at) index."""
    times = (
        Payment.objects.filter(merchant=merchant)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    now = timezone.now()
    first = min(times.first() or now, now)
    last = max(times.last() or now, now)
    return (
        max(first, _EARLIEST + _SPAN_MARGIN) - _SPAN_MARGIN,
        min(last, _LATEST - _SPAN_MARGIN) + _SPAN_MARGIN,
    )


def csv_lines(payments: QuerySet[Payment], *, merchant: Merchant) -> QuerySet:
    """``payments`` (the firm's, in their order) as the export's CSV
    lines. Card data is brand, last four and expiry only: nothing else
    about a card is stored or shown."""
    start, end = _span(merchant)
    currency = merchant.currency
    line = _Line(
        date_field("created_at", merchant.tz, start=start, end=end),
        amount_field("amount", usual_currency=currency),
        text_field("currency"),
        label_field("status", Payment.Status.choices),
        label_field("account", Account.choices),
        text_field("card_brand"),
        text_field("card_last4"),
        expiry_field(),
        text_field("cardholder_name"),
        text_field("payer_email"),
        text_field("client_name"),
        text_field("reference"),
        text_field("description"),
        amount_field("fee", usual_currency=currency),
        amount_field("refunded_amount", usual_currency=currency),
        text_field("processor_ref"),
    )
    return payments.annotate(csv_line=line).values_list("csv_line", flat=True)
