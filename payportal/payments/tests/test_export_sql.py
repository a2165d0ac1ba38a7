"""The transactions export written by the database (selectors/export.py) is
byte for byte what the Python formatting writes, on SQLite and PostgreSQL.

``reference_csv`` formats each payment in Python from the model's values,
with the helpers the export called row by row before it moved to SQL.
"""

import csv
import io
import random
import string
import sys
from datetime import UTC, date, datetime, timedelta
from itertools import product
from zoneinfo import ZoneInfo

import pytest

from payportal.core.exports import FORMULA_STARTS, csv_line_chunks, safe_cell
from payportal.core.money import (
    _UPPER_FROM_OTHER,
    currencies_by_exponent,
    exponent,
    plain_amount_formatter,
)
from payportal.payments.models import Account, Payment
from payportal.payments.selectors.export import offset_periods
from payportal.payments.views.transactions import EXPORT_HEADER

pytestmark = pytest.mark.django_db

STATUSES = dict(Payment.Status.choices)
ACCOUNTS = dict(Account.choices)
NEW_YORK = ZoneInfo("America/New_York")

# Text a person or a processor could send: every formula start, what CSV
# must quote, printf's own marks (SQLite writes lines with printf()), and
# characters beyond ASCII.
TEXTS = [
    "",
    *(f"{start}SUM(A1)" for start in FORMULA_STARTS),
    'He said "hi", then left',
    "line one\nline two",
    "carriage\rreturn",
    "windows\r\nline",
    '=HYPERLINK("http://evil", "x")',
    "-1,5",
    "\r\nstarts with a line break",
    '"',
    ",",
    "'already an apostrophe",
    " leading space ",
    "50% off, %s %d %% %n",
    "back\\slash; tab\tinside",
    "Zoë Ñoño – 東京 😀",
]
TIMES = [
    # New York: the last moment of EST and the first of EDT in March, the
    # last second of EDT and the repeated hour in November.
    datetime(2026, 3, 8, 6, 59, 59, 999_999, tzinfo=UTC),
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 5, 59, 59, tzinfo=UTC),
    datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 6, 30, 0, 500_000, tzinfo=UTC),
    # SQLite computes dates in milliseconds: .9996 must not become a second.
    datetime(2026, 6, 30, 23, 59, 59, 999_600, tzinfo=UTC),
    # Kolkata: the last second of 2026 and the first of 2027.
    datetime(2026, 12, 31, 18, 29, 59, tzinfo=UTC),
    datetime(2026, 12, 31, 18, 30, tzinfo=UTC),
    datetime(2028, 2, 29, 12, 0, 0, 1, tzinfo=UTC),
    # Local mean time before standard time: offsets with seconds
    # (-04:56:02 in New York).
    datetime(1880, 6, 1, 12, 0, tzinfo=UTC),
    datetime(1970, 1, 1, tzinfo=UTC),
    # DST rules past the end of the zone's table.
    datetime(2099, 7, 1, 12, 0, tzinfo=UTC),
]
AMOUNTS = [
    # (currency, amount, fee, refunded)
    ("USD", 1, 0, 0),
    ("USD", 5, 1, 5),
    ("USD", 100, 99, 10),
    ("usd", 123_456, 3_610, 1_000),
    ("JPY", 1, 0, 1),
    ("jpy", 98_765, 12, 0),
    ("BHD", 1, 0, 0),
    ("bhd", 1_234_567, 1_000, 1_001),
    ("Kwd", 10, 9, 0),
    # exponent() upper-cases: a dotless i makes IQD.
    ("\u0131qd", 5_005, 0, 0),
    ("EUR", 9_223_372_036_854_775_807, 9_223_372_036_854_775_807, 7),
    ("XYZ", 42, 0, 0),
    ("", 77, 1, 0),
]
EXPIRIES = [
    (4, 2029),
    (12, 2000),
    (1, 2105),
    (9, 5),
    (123, 99),
    (None, 2029),
    (4, None),
    (None, None),
    (0, 2029),
    (12, 0),
]
TEXT_COLUMNS = (
    "currency",
    "card_brand",
    "card_last4",
    "cardholder_name",
    "payer_email",
    "client_name",
    "reference",
    "description",
    "processor_ref",
)


def reference_row(payment: Payment, tz: ZoneInfo) -> list[str]:
    amount = plain_amount_formatter(payment.currency)
    return [
        payment.created_at.astimezone(tz).isoformat(),
        amount(payment.amount),
        safe_cell(payment.currency),
        STATUSES.get(payment.status, payment.status),
        ACCOUNTS.get(payment.account, payment.account),
        safe_cell(payment.card_brand),
        safe_cell(payment.card_last4),
        payment.card_expiry,
        safe_cell(payment.cardholder_name),
        safe_cell(payment.payer_email),
        safe_cell(payment.client_name),
        safe_cell(payment.reference),
        safe_cell(payment.description),
        amount(payment.fee),
        amount(payment.refunded_amount),
        safe_cell(payment.processor_ref),
    ]


def reference_csv(payments: list[Payment], tz: ZoneInfo) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADER)
    writer.writerows(reference_row(payment, tz) for payment in payments)
    return buffer.getvalue().encode()


def in_order(payments: list[Payment], sort: str) -> list[Payment]:
    column = {"date": "created_at", "amount": "amount"}[sort.removeprefix("-")]
    return sorted(
        payments,
        key=lambda payment: (getattr(payment, column), payment.pk),
        reverse=sort.startswith("-"),
    )


def stored(merchant) -> list[Payment]:
    """The firm's payments as the database holds them."""
    return list(Payment.objects.filter(merchant=merchant))


def export(client, query: str = "") -> bytes:
    response = client.get(f"/transactions/export.csv{query}")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def fit(column: str, text: str) -> str:
    """``text`` cut to the column's length (PostgreSQL enforces it)."""
    return text[: Payment._meta.get_field(column).max_length]


def made(merchant, rows: list[dict]) -> list[Payment]:
    """Payments with these fields, the rest plain. Built here, not by
    PaymentFactory: its sequences would move on by a few hundred and shift
    the times and cards of other modules' factory-made payments."""
    payments = []
    for n, fields in enumerate(rows):
        plain = {
            "processor": "sandbox",
            "processor_ref": f"py_export{merchant.pk}x{n:04d}",
            "status": Payment.Status.SUCCEEDED,
            "amount": 10_000 + n,
            "currency": "USD",
            "account": Account.OPERATING,
            "fee": 320,
            "card_brand": "visa",
            "card_last4": f"{1000 + n:04d}",
            "card_exp_month": 4,
            "card_exp_year": 2029,
            "cardholder_name": f"Cardholder {n}",
            "payer_email": f"payer{n}@example.com",
            "client_name": f"Client {n}",
            "reference": f"MAT-{n}",
            "description": "Legal services",
            "created_at": datetime(2026, 11, 1, 15, tzinfo=UTC) - timedelta(hours=n),
        }
        payments.append(Payment(merchant=merchant, **{**plain, **fields}))
    return Payment.objects.bulk_create(payments)


@pytest.fixture
def tricky(merchant, other_merchant):
    made(other_merchant, [{"reference": "THEIRS"}])
    made(
        merchant,
        [
            *(
                {
                    "processor": f"texts{n}",
                    **{column: fit(column, text) for column in TEXT_COLUMNS},
                }
                for n, text in enumerate(TEXTS)
            ),
            *(
                {
                    "currency": currency,
                    "amount": amount,
                    "fee": fee,
                    "refunded_amount": refunded,
                }
                for currency, amount, fee, refunded in AMOUNTS
            ),
            *({"status": status} for status in [*STATUSES, "mystery", 'a,"b"', "=1+2"]),
            *({"account": account} for account in [*ACCOUNTS, "x,y", "@home"]),
            *(
                {"card_exp_month": month, "card_exp_year": year}
                for month, year in EXPIRIES
            ),
            *({"created_at": moment} for moment in TIMES),
            # For the filters: a search term in each searched column, and
            # the card, account, status and amount they filter on.
            {"reference": "ACME-1", "card_last4": "4242"},
            {"payer_email": "ap@acme.example", "amount": 1_250},
            {"cardholder_name": "Ann Acme", "status": "refunded"},
            {"client_name": "acme holdings", "account": "trust"},
        ],
    )


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata", "UTC"])
def test_export_is_the_python_rendering_byte_for_byte(
    admin_client, merchant, tricky, zone
):
    merchant.time_zone = zone
    merchant.save()

    body = export(admin_client)

    expected = reference_csv(in_order(stored(merchant), "-date"), ZoneInfo(zone))
    assert body == expected
    # Every tricky row made it, with its own line ends inside quotes.
    assert len(list(csv.reader(io.StringIO(body.decode())))) == 1 + len(
        stored(merchant)
    )


def _on_firm_days(payment: Payment, first: date, last: date) -> bool:
    return first <= payment.created_at.astimezone(NEW_YORK).date() <= last


def _mentions(payment: Payment, term: str) -> bool:
    texts = (
        payment.reference,
        payment.payer_email,
        payment.cardholder_name,
        payment.client_name,
    )
    return any(term in text.lower() for text in texts)


FILTERS = [
    ("", lambda payment: True),
    ("status=refunded", lambda payment: payment.status == "refunded"),
    ("account=trust", lambda payment: payment.account == "trust"),
    ("last4=4242", lambda payment: payment.card_last4 == "4242"),
    ("amount_min=12.50", lambda payment: payment.amount >= 1_250),
    ("amount_max=12.50", lambda payment: payment.amount <= 1_250),
    (
        "date_from=2026-03-07&date_to=2026-11-01",
        lambda payment: _on_firm_days(payment, date(2026, 3, 7), date(2026, 11, 1)),
    ),
    ("q=acme", lambda payment: _mentions(payment, "acme")),
]


@pytest.mark.parametrize(
    ("query", "keeps"), FILTERS, ids=[query or "all" for query, _ in FILTERS]
)
def test_export_filters_and_sorts_as_the_python_rendering(
    admin_client, merchant, tricky, query, keeps
):
    merchant.time_zone = "America/New_York"
    merchant.save()
    kept = [payment for payment in stored(merchant) if keeps(payment)]

    bodies = {
        sort: export(admin_client, f"?{query}&sort={sort}")
        for sort in ("-date", "date", "-amount", "amount")
    }

    # Each filter keeps some rows and leaves out others.
    assert 0 < len(kept) < len(stored(merchant)) or not query
    for sort, body in bodies.items():
        assert body == reference_csv(in_order(kept, sort), NEW_YORK), sort


def test_export_of_random_text_is_the_python_rendering(admin_client, merchant):
    """Text drawn from the characters that matter to CSV, formulas and
    printf, in every column, against the Python rendering."""
    draw = random.Random(2026)
    alphabet = [*FORMULA_STARTS, ",", '"', "\r", "\n", "'", "%", " ", "a", "é", "😀"]
    currencies = ["USD", "jpy", "BHD", "usd", "=US", '"X,', ""]
    start = datetime(2020, 1, 1, tzinfo=UTC)
    payments = []
    for n in range(200):
        texts = {
            column: fit(column, "".join(draw.choices(alphabet, k=draw.randint(0, 6))))
            for column in TEXT_COLUMNS
        }
        texts["currency"] = draw.choice(currencies)
        amount = draw.randint(1, 10 ** draw.randint(1, 12))
        payments.append(
            Payment(
                merchant=merchant,
                processor=f"random{n}",
                status=draw.choice([*STATUSES, "odd,one"]),
                account=draw.choice([*ACCOUNTS, '"q"']),
                amount=amount,
                fee=draw.randint(0, amount),
                refunded_amount=draw.randint(0, amount),
                card_exp_month=draw.choice([None, 0, 1, 9, 10, 12]),
                card_exp_year=draw.choice([None, 0, 2000, 2029, 2105]),
                created_at=start
                + timedelta(
                    seconds=draw.randint(0, 10 * 365 * 86_400),
                    microseconds=draw.choice([0, draw.randint(0, 999_999)]),
                ),
                **texts,
            )
        )
    Payment.objects.bulk_create(payments)
    merchant.time_zone = "America/New_York"
    merchant.save()

    body = export(admin_client)

    assert body == reference_csv(in_order(stored(merchant), "-date"), NEW_YORK)


# --- The pieces --------------------------------------------------------------


def test_csv_line_chunks_holds_at_most_the_rows_per_chunk():
    lines = (f"{n},x\r\n" for n in range(7))

    chunks = list(csv_line_chunks(["n", "x"], lines, rows_per_chunk=3))

    assert chunks == [
        "n,x\r\n0,x\r\n1,x\r\n2,x\r\n",
        "3,x\r\n4,x\r\n5,x\r\n",
        "6,x\r\n",
    ]


def test_csv_line_chunks_of_no_rows_is_the_header():
    assert list(csv_line_chunks(["a", "b,c"], [])) == ['a,"b,c"\r\n']


def test_offset_periods_finds_the_second_new_york_changes():
    changes, offsets = offset_periods(
        NEW_YORK,
        start=datetime(2026, 1, 1, tzinfo=UTC),
        end=datetime(2027, 1, 1, tzinfo=UTC),
    )

    assert changes == [
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
    ]
    assert offsets == [timedelta(hours=-5), timedelta(hours=-4), timedelta(hours=-5)]


def test_offset_periods_of_a_zone_without_changes():
    changes, offsets = offset_periods(
        ZoneInfo("Asia/Kolkata"),
        start=datetime(2000, 1, 1, tzinfo=UTC),
        end=datetime(2030, 1, 1, tzinfo=UTC),
    )

    assert changes == []
    assert offsets == [timedelta(hours=5, minutes=30)]


def test_upper_from_other_lists_every_character_upper_cased_to_ascii():
    # exponent() upper-cases; the SQL lists every spelling of each code.
    found = {}
    for point in range(sys.maxunicode + 1):
        char = chr(point)
        upper = char.upper()
        if (
            char not in string.ascii_letters
            and upper
            and set(upper) <= set(string.ascii_uppercase)
        ):
            found[char] = upper

    assert found == _UPPER_FROM_OTHER


def test_currencies_by_exponent_agrees_with_exponent():
    listed = {
        text: places
        for places, texts in currencies_by_exponent().items()
        for text in texts
    }
    alphabet = [*string.ascii_letters, *_UPPER_FROM_OTHER]

    for length in (1, 2, 3):
        for letters in product(alphabet, repeat=length):
            text = "".join(letters)
            assert listed.get(text, 2) == exponent(text), text
    assert 2 not in currencies_by_exponent()
