import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from payportal.accounts.permissions import ALL_CODES
from payportal.accounts.tests.html import field_errors, input_value, text
from payportal.audit import actions
from payportal.audit.models import AuditEvent
from payportal.core import search
from payportal.core.pagination import encode_cursor
from payportal.payments.models import Account, Dispute, Payment, Refund
from payportal.payments.tests.factories import (
    BASE_TIME,
    DisputeFactory,
    PaymentFactory,
    RefundFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def viewer(user_with):
    return user_with("payments.view", full_name="Val Viewer")


@pytest.fixture
def viewer_client(client_as, viewer):
    return client_as(viewer)


@pytest.fixture
def payment(merchant):
    return PaymentFactory(
        merchant=merchant,
        amount=123_456,
        fee=3_610,
        reference="MAT-2041",
        cardholder_name="Jordan Lee",
        payer_email="jordan@example.com",
        client_name="Acme Holdings",
        description="Retainer",
        card_brand="visa",
        card_last4="4242",
        card_exp_month=4,
        card_exp_year=2029,
        processor_ref="py_abc123",
        created_at=datetime(2026, 11, 1, 15, 0, tzinfo=UTC),
        captured_at=datetime(2026, 11, 1, 15, 0, 2, tzinfo=UTC),
    )


@pytest.fixture
def stranger_payment(other_merchant):
    return PaymentFactory(merchant=other_merchant, reference="THEIRS-1")


def without(*codes):
    return [code for code in ALL_CODES if code not in codes]


def refs(response):
    return [p.reference for p in response.context["page"].rows]


# --- Transactions page ---------------------------------------------------------


def test_payment_list_works(admin_client, payment):
    response = admin_client.get("/transactions/")

    assert response.status_code == 200
    page = text(response)
    assert "<h1>Transactions</h1>" in page
    headings = re.findall(r'<th scope="col"[^>]*>\s*(?:<a[^>]*>)?([^<]+)', page)
    assert headings == [
        "Date",
        "Amount",
        "Status",
        "Card",
        "Cardholder or payer",
        "Reference",
        "Account",
    ]
    row = re.search(
        rf'<tr data-href="/transactions/{payment.pk}/">(.*?)</tr>', page, re.S
    )[1]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert len(cells) == 7
    assert all(f'href="/transactions/{payment.pk}/"' in cell for cell in cells)
    assert (
        '<time datetime="2026-11-01T15:00:00+00:00">1 Nov 2026, 15:00</time>'
        in (cells[0])
    )
    assert "$1,234.56" in cells[1]
    assert '<span class="badge badge--txn-succeeded">Succeeded</span>' in cells[2]
    assert re.sub(r"<[^>]+>", "", cells[3]).split() == [
        "Visa",
        "••••ending",
        "in",
        "4242",
    ]
    assert "Jordan Lee" in cells[4]
    assert "MAT-2041" in cells[5]
    assert "Operating" in cells[6]


def test_payment_list_shows_the_payer_when_there_is_no_cardholder(
    admin_client, merchant
):
    payment = PaymentFactory(merchant=merchant, cardholder_name="", payer_email="a@b.c")

    page = text(admin_client.get("/transactions/"))

    row = re.search(
        rf'<tr data-href="/transactions/{payment.pk}/">(.*?)</tr>', page, re.S
    )[1]
    assert ">a@b.c</a>" in row


def test_payment_list_shows_times_in_the_firms_time_zone(
    admin_client, merchant, payment
):
    merchant.time_zone = "America/New_York"
    merchant.save()

    page = text(admin_client.get("/transactions/"))

    assert '<time datetime="2026-11-01T10:00:00-05:00">1 Nov 2026, 10:00</time>' in page
    assert "in the firm's time (America/New_York)" in page


def test_payment_list_redirects_anonymous_to_login(anon_client):
    response = anon_client.get("/transactions/")

    assert response.status_code == 302
    assert response["Location"] == "/?next=/transactions/"


def test_payment_list_403s_without_permission(client_as, user_with):
    client = client_as(user_with(*without("payments.view")))

    assert client.get("/transactions/").status_code == 403


def test_payment_list_rejects_post(admin_client):
    assert admin_client.post("/transactions/").status_code == 405


def test_payment_list_shows_only_the_merchants_payments(
    admin_client, payment, stranger_payment
):
    response = admin_client.get("/transactions/")

    assert refs(response) == ["MAT-2041"]
    assert "THEIRS-1" not in text(response)


def test_payment_list_returns_fragment_for_htmx(admin_client, payment):
    response = admin_client.get("/transactions/?q=jordan", headers=HTMX)

    page = text(response)
    assert response.status_code == 200
    assert "<h1>" not in page
    assert "<html" not in page
    assert f'<tr data-href="/transactions/{payment.pk}/">' in page
    assert '<input type="hidden" name="sort" value="-date">' in page
    # The filters' messages and the export link follow the results.
    assert '<div class="filter-errors" id="errors-q" hx-swap-oob="true"></div>' in page
    assert (
        '<a class="btn" id="export-csv" href="/transactions/export.csv?q=jordan" '
        'hx-swap-oob="true" download>'
    ) in page
    assert "HX-Request" in response["Vary"]


def test_payment_list_gives_the_whole_page_to_a_history_restore(admin_client):
    response = admin_client.get(
        "/transactions/", headers={**HTMX, "HX-History-Restore-Request": "true"}
    )

    page = text(response)
    assert "<h1>Transactions</h1>" in page
    assert "hx-swap-oob" not in page


def test_payment_list_filter_form_works_with_and_without_js(admin_client):
    page = text(admin_client.get("/transactions/"))

    form = re.search(r"<form[^>]*txn-list[^>]*>", page, re.S)[0]
    assert 'method="get"' in form
    assert 'action="/transactions/"' in form
    assert 'hx-get="/transactions/"' in form
    assert 'hx-target="#results"' in form
    assert 'hx-push-url="true"' in form
    labels = re.findall(r'<label for="id_(\w+)">([^<]+)</label>', page)
    assert labels == [
        ("q", "Search"),
        ("date_from", "From"),
        ("date_to", "To"),
        ("status", "Status"),
        ("amount_min", "Amount from"),
        ("amount_max", "Amount to"),
        ("last4", "Last four"),
        ("account", "Account"),
    ]
    assert re.search(r'<input type="search" name="q"', page)
    assert re.search(r'<input type="date" name="date_from"', page)
    assert "Filter</button>" in page


def test_payment_list_empty_state(admin_client):
    page = text(admin_client.get("/transactions/"))

    assert "No transactions yet" in page
    assert "<table" not in page


def test_payment_list_empty_state_when_filtered(admin_client, payment):
    page = text(admin_client.get("/transactions/?q=nobody"))

    assert "No transactions match these filters" in page


def test_payment_list_empty_page_links_to_the_first(admin_client, merchant):
    PaymentFactory(merchant=merchant, amount=500)
    first = admin_client.get("/transactions/?sort=amount&account=operating")
    cursor = first.context["page"].rows[0]

    response = admin_client.get(
        "/transactions/?sort=amount&account=operating&after="
        + encode_cursor(cursor.amount, cursor.pk)
    )

    page = text(response)
    assert "No transactions on this page" in page
    assert 'href="/transactions/?account=operating&sort=amount"' in page


# --- filters through the page --------------------------------------------------


@pytest.fixture
def mix(merchant):
    made = {
        "A": PaymentFactory(
            merchant=merchant,
            reference="A",
            amount=1_250,
            card_last4="4242",
            account=Account.TRUST,
            status=Payment.Status.REFUNDED,
            refunded_amount=1_250,
            cardholder_name="Jordan Lee",
            created_at=BASE_TIME - timedelta(days=2),
        ),
        "B": PaymentFactory(
            merchant=merchant,
            reference="B",
            amount=5_000,
            card_last4="1881",
            status=Payment.Status.PARTIALLY_REFUNDED,
            refunded_amount=100,
            created_at=BASE_TIME - timedelta(days=1),
        ),
        "C": PaymentFactory(
            merchant=merchant,
            reference="C",
            amount=9_999,
            card_last4="4242",
            created_at=BASE_TIME,
        ),
    }
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["C", "B", "A"]),
        ("date_from=2026-10-31", ["C", "B"]),
        ("date_to=2026-10-31", ["B", "A"]),
        ("date_from=2026-10-31&date_to=2026-10-31", ["B"]),
        ("status=refunded", ["A"]),
        ("status=partially_refunded", ["B"]),
        ("status=succeeded", ["C"]),
        ("amount_min=12.50", ["C", "B", "A"]),
        ("amount_min=12.51", ["C", "B"]),
        ("amount_max=50", ["B", "A"]),
        ("amount_min=$50.00&amount_max=99.99", ["C", "B"]),
        ("last4=4242", ["C", "A"]),
        ("last4=+1881+", ["B"]),
        ("account=trust", ["A"]),
        ("account=operating", ["C", "B"]),
        ("q=JORDAN", ["A"]),
        ("q=b", ["B"]),
        ("sort=amount", ["A", "B", "C"]),
        ("sort=-amount", ["C", "B", "A"]),
        ("sort=date", ["A", "B", "C"]),
        ("sort=-date", ["C", "B", "A"]),
        ("sort=garbage", ["C", "B", "A"]),
    ],
)
def test_payment_list_filters_and_sorts(admin_client, mix, query, expected):
    response = admin_client.get(f"/transactions/?{query}")

    assert response.status_code == 200
    assert refs(response) == expected


def test_payment_list_keeps_what_was_typed(admin_client, mix):
    response = admin_client.get(
        "/transactions/?q=jordan&amount_min=12.5&last4=4242&date_from=2026-10-01"
        "&status=refunded&account=trust"
    )

    assert refs(response) == ["A"]
    assert input_value(response, "q") == "jordan"
    assert input_value(response, "amount_min") == "12.5"
    assert input_value(response, "last4") == "4242"
    assert input_value(response, "date_from") == "2026-10-01"
    page = text(response)
    assert '<option value="refunded" selected>Refunded</option>' in page
    assert '<option value="trust" selected>Trust</option>' in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("amount_min=abc", "amount_min", "Enter an amount like 12.50."),
        ("amount_max=1.234", "amount_max", "Enter an amount like 12.50."),
        ("amount_min=-5", "amount_min", "Enter an amount of 0 or more."),
        ("amount_max=1e30", "amount_max", "Enter a smaller amount."),
        ("last4=424", "last4", "Enter the card's last four digits, like 4242."),
        ("last4=42a2", "last4", "Enter the card's last four digits, like 4242."),
        ("last4=42424", "last4", "Enter the card's last four digits, like 4242."),
        ("date_from=2026-02-30", "date_from", "Enter a valid date."),
        ("date_to=yesterday", "date_to", "Enter a valid date."),
        (
            "status=lost",
            "status",
            "Select a valid choice. lost is not one of the available choices.",
        ),
        (
            "account=savings",
            "account",
            "Select a valid choice. savings is not one of the available choices.",
        ),
        (
            "q=" + "x" * 201,
            "q",
            "Ensure this value has at most 200 characters (it has 201).",
        ),
    ],
)
def test_payment_list_shows_error_next_to_field_and_ignores_that_filter(
    admin_client, mix, query, field, message
):
    # Another, valid filter still applies.
    other = "status=partially_refunded" if field == "account" else "account=operating"

    response = admin_client.get(f"/transactions/?{query}&{other}")

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert refs(response) == (["B"] if field == "account" else ["C", "B"])
    assert "could not be used and were left out" in text(response)


def test_payment_list_rejects_an_upside_down_range_next_to_its_end(admin_client, mix):
    response = admin_client.get(
        "/transactions/?date_from=2026-11-01&date_to=2026-10-01"
        "&amount_min=50&amount_max=10"
    )

    assert field_errors(response, "date_to") == [
        "The To date must not be before the From date."
    ]
    assert field_errors(response, "amount_max") == [
        "The upper amount must not be below the lower one."
    ]
    # The From and lower-amount filters still apply.
    assert refs(response) == ["C"]


def test_payment_list_amounts_are_in_the_firms_currency(admin_client, merchant):
    merchant.currency = "JPY"
    merchant.save()
    PaymentFactory(merchant=merchant, reference="yen", amount=1_250, currency="JPY")

    hit = admin_client.get("/transactions/?amount_min=1250")
    miss = admin_client.get("/transactions/?amount_min=1251")
    bad = admin_client.get("/transactions/?amount_min=12.50")

    assert refs(hit) == ["yen"]
    assert refs(miss) == []
    assert field_errors(bad, "amount_min") == ["Enter an amount like 1,250."]


def test_payment_list_htmx_shows_filter_errors_out_of_band(admin_client, mix):
    response = admin_client.get("/transactions/?last4=12", headers=HTMX)

    page = text(response)
    assert (
        '<div class="filter-errors" id="errors-last4" hx-swap-oob="true">'
        '<ul class="errors" id="id_last4_error">'
        "<li>Enter the card's last four digits, like 4242.</li></ul></div>"
    ) in page


# --- sorting and pages ---------------------------------------------------------


def sort_heading(page, label):
    return re.search(rf"<th[^>]*>\s*<a[^>]*>{label}.*?</th>", page, re.S)[0]


def test_payment_list_sort_headings(admin_client, mix):
    newest = text(admin_client.get("/transactions/"))
    by_amount = text(admin_client.get("/transactions/?sort=amount"))
    largest = text(admin_client.get("/transactions/?sort=-amount"))

    assert 'aria-sort="descending"' in sort_heading(newest, "Date")
    assert 'href="/transactions/?sort=date"' in sort_heading(newest, "Date")
    assert "aria-sort" not in sort_heading(newest, "Amount")
    assert 'href="/transactions/?sort=-amount"' in sort_heading(newest, "Amount")
    assert 'aria-sort="ascending"' in sort_heading(by_amount, "Amount")
    assert 'href="/transactions/?sort=-amount"' in sort_heading(by_amount, "Amount")
    assert 'aria-sort="descending"' in sort_heading(largest, "Amount")
    assert 'href="/transactions/?sort=amount"' in sort_heading(largest, "Amount")
    assert "aria-sort" not in sort_heading(largest, "Date")


def test_payment_list_sort_keeps_filters_and_drops_the_cursor(admin_client, mix):
    page = text(admin_client.get("/transactions/?account=operating&after=abc"))

    assert 'href="/transactions/?account=operating&sort=-amount"' in sort_heading(
        page, "Amount"
    )


def test_payment_list_pages_by_key(admin_client, merchant):
    for n in range(52):
        PaymentFactory(
            merchant=merchant,
            reference=f"P{n:02d}",
            created_at=BASE_TIME - timedelta(minutes=n),
        )

    first = admin_client.get("/transactions/?account=operating")
    page = text(first)
    next_link = re.search(
        r'<a class="btn btn--ghost" href="([^"]+)" rel="next">', page
    )[1]
    second = admin_client.get("/transactions/" + next_link)
    prev_link = re.search(
        r'<a class="btn btn--ghost" href="([^"]+)" rel="prev">', text(second)
    )[1]
    back = admin_client.get("/transactions/" + prev_link)

    assert refs(first) == [f"P{n:02d}" for n in range(50)]
    assert re.search(
        r'<span class="btn btn--ghost" aria-disabled="true">.*?Previous', page
    )
    assert next_link.startswith("?account=operating&after=")
    assert refs(second) == ["P50", "P51"]
    assert 'rel="next"' not in text(second)
    assert prev_link.startswith("?account=operating&before=")
    assert refs(back) == refs(first)


@pytest.mark.parametrize("rows", (1, 3))
def test_payment_list_query_count_is_constant(
    db_sessions, admin_client, merchant, rows, django_assert_num_queries
):
    PaymentFactory.create_batch(rows, merchant=merchant)

    # Session, user with merchant and role, the scan of the next rows for
    # "a" (no trigram: core/search.py), the page of its matches, then the
    # session save (savepoint, update, release).
    # +1: the session's check of the user's second factors.
    with django_assert_num_queries(8):
        response = admin_client.get("/transactions/?q=a&status=succeeded&sort=amount")

    assert len(response.context["page"].rows) == rows


# --- Export CSV button ---------------------------------------------------------


def test_payment_list_export_button_needs_export_permission(
    admin_client, viewer_client, payment
):
    with_export = text(admin_client.get("/transactions/"))
    without_export = text(viewer_client.get("/transactions/"))

    assert (
        '<a class="btn" id="export-csv" href="/transactions/export.csv" download>'
        in with_export
    )
    assert "Export CSV" not in without_export
    assert "/transactions/export.csv" not in without_export


def test_payment_list_export_button_carries_the_filters(admin_client, payment):
    page = text(
        admin_client.get(
            "/transactions/?q=jordan&status=&account=trust&sort=amount&after=xyz"
        )
    )

    assert (
        'id="export-csv" href="/transactions/export.csv?q=jordan&account=trust'
        '&sort=amount"'
    ) in page


# --- Export --------------------------------------------------------------------


def read_csv(response):
    body = b"".join(response.streaming_content).decode()
    return body, list(csv.reader(io.StringIO(body)))


HEADER = [
    "Date",
    "Amount",
    "Currency",
    "Status",
    "Account",
    "Card brand",
    "Last four",
    "Expiry",
    "Cardholder",
    "Payer email",
    "Client",
    "Reference",
    "Description",
    "Fee",
    "Refunded",
    "Processor reference",
]


def test_payment_export_works(admin_client, merchant, payment, time_machine):
    time_machine.move_to(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    merchant.time_zone = "America/New_York"
    merchant.save()
    PaymentFactory(
        merchant=merchant,
        amount=5_000,
        fee=175,
        refunded_amount=1_000,
        status=Payment.Status.PARTIALLY_REFUNDED,
        account=Account.TRUST,
        card_brand="mastercard",
        card_last4="0005",
        card_exp_month=12,
        card_exp_year=2030,
        cardholder_name='=HYPERLINK("http://evil")',
        payer_email="@sum(a1)",
        client_name="+client",
        reference="-MAT-7",
        description='Fees, "quoted"',
        processor_ref="py_xyz",
        created_at=datetime(2026, 10, 31, 23, 30, tzinfo=UTC),
    )

    response = admin_client.get("/transactions/export.csv")

    assert response.status_code == 200
    assert response.streaming is True
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="hale-stone-llp-transactions-2026-11-19.csv"'
    )
    body, rows = read_csv(response)
    assert rows == [
        HEADER,
        [
            "2026-11-01T10:00:00-05:00",
            "1234.56",
            "USD",
            "Succeeded",
            "Operating",
            "visa",
            "4242",
            "04/29",
            "Jordan Lee",
            "jordan@example.com",
            "Acme Holdings",
            "MAT-2041",
            "Retainer",
            "36.10",
            "0.00",
            "py_abc123",
        ],
        [
            "2026-10-31T19:30:00-04:00",
            "50.00",
            "USD",
            "Partially refunded",
            "Trust",
            "mastercard",
            "0005",
            "12/30",
            '\'=HYPERLINK("http://evil")',
            "'@sum(a1)",
            "'+client",
            "'-MAT-7",
            'Fees, "quoted"',
            "1.75",
            "10.00",
            "py_xyz",
        ],
    ]
    assert body.endswith("py_xyz\r\n")


def test_payment_export_applies_the_pages_filters(admin_client, mix, other_merchant):
    PaymentFactory(merchant=other_merchant, reference="THEIRS", card_last4="4242")

    response = admin_client.get(
        "/transactions/export.csv?last4=4242&sort=amount&amount_min=bad"
    )

    _, rows = read_csv(response)
    assert [row[11] for row in rows[1:]] == ["A", "C"]


def test_payment_export_of_nothing_is_the_header(admin_client):
    _, rows = read_csv(admin_client.get("/transactions/export.csv"))

    assert rows == [HEADER]


def test_payment_export_never_holds_more_card_data(admin_client, payment):
    payment.raw = {"card": {"number": "4242424242424242", "cvc": "987"}}
    payment.metadata = {"note": "secret"}
    payment.save()

    body, _ = read_csv(admin_client.get("/transactions/export.csv"))

    assert "4242424242424242" not in body
    assert "987" not in body
    assert "secret" not in body


def test_payment_export_audits(admin_client, merchant, admin, mix):
    response = admin_client.get(
        "/transactions/export.csv?date_from=2026-10-01&amount_min=12.5&status="
        "&last4=4242&sort=amount",
        REMOTE_ADDR="203.0.113.9",
    )

    event = AuditEvent.objects.get(action=actions.PAYMENTS_EXPORTED)
    assert event.merchant == merchant
    assert event.actor == admin
    assert event.ip_address == "203.0.113.9"
    assert event.changes == {
        "filters": [
            None,
            {
                "date_from": "2026-10-01",
                "amount_min": "12.50",
                "last4": "4242",
                "sort": "amount",
            },
        ]
    }
    assert response.status_code == 200


def test_payment_export_redirects_anonymous_to_login(anon_client):
    response = anon_client.get("/transactions/export.csv")

    assert response.status_code == 302
    assert response["Location"] == "/?next=/transactions/export.csv"


def test_payment_export_403s_without_export_permission(viewer_client, payment):
    response = viewer_client.get("/transactions/export.csv")

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=actions.PAYMENTS_EXPORTED).exists()


def test_payment_export_works_with_export_alone(client_as, user_with, payment):
    client = client_as(user_with("payments.export"))

    _, rows = read_csv(client.get("/transactions/export.csv"))

    assert len(rows) == 2


def test_payment_export_rejects_post(admin_client):
    assert admin_client.post("/transactions/export.csv").status_code == 405
    assert not AuditEvent.objects.filter(action=actions.PAYMENTS_EXPORTED).exists()


def test_payment_export_leaves_out_other_firms_payments(admin_client, stranger_payment):
    _, rows = read_csv(admin_client.get("/transactions/export.csv"))

    assert rows == [HEADER]


# --- Payment record ------------------------------------------------------------


def record_value(page, label):
    return re.search(rf"<dt>{label}</dt>\s*<dd[^>]*>(.*?)</dd>", page, re.S)[1]


def plain(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_payment_detail_works(admin_client, merchant, payment):
    merchant.time_zone = "Europe/London"
    merchant.save()

    response = admin_client.get(f"/transactions/{payment.pk}/")

    assert response.status_code == 200
    page = text(response)
    assert "<h1>$1,234.56" in page
    assert plain(record_value(page, "Amount")) == "$1,234.56 USD"
    assert plain(record_value(page, "Status")) == "Succeeded"
    assert plain(record_value(page, "Refunded")) == "$0.00"
    assert plain(record_value(page, "Refundable")) == "$1,234.56"
    assert plain(record_value(page, "Account")) == (
        "Operating Processing fees are always taken from the operating account."
    )
    assert plain(record_value(page, "Processing fee")) == "$36.10 from operating"
    assert plain(record_value(page, "Card")) == "Visa •••• ending in 4242 expires 04/29"
    assert plain(record_value(page, "Cardholder")) == "Jordan Lee"
    assert plain(record_value(page, "Payer email")) == "jordan@example.com"
    assert plain(record_value(page, "Client")) == "Acme Holdings"
    assert plain(record_value(page, "Reference")) == "MAT-2041"
    assert plain(record_value(page, "Description")) == "Retainer"
    assert plain(record_value(page, "Processor")) == "Sandbox reference py_abc123"
    assert plain(record_value(page, "Created")) == "1 Nov 2026, 15:00:00 GMT"
    assert plain(record_value(page, "Captured")) == "1 Nov 2026, 15:00:02 GMT"
    assert "No refunds" in page
    assert "No chargebacks" in page


def test_payment_detail_notes_fees_come_from_operating_for_trust(
    admin_client, merchant
):
    payment = PaymentFactory(merchant=merchant, account=Account.TRUST)

    page = text(admin_client.get(f"/transactions/{payment.pk}/"))

    assert plain(record_value(page, "Account")) == (
        "Trust Processing fees are always taken from the operating account, "
        "never from trust."
    )


def test_payment_detail_shows_times_in_the_firms_time_zone(
    admin_client, merchant, payment
):
    merchant.time_zone = "Asia/Tokyo"
    merchant.save()

    page = text(admin_client.get(f"/transactions/{payment.pk}/"))

    assert plain(record_value(page, "Created")) == "2 Nov 2026, 00:00:00 JST"


def test_payment_detail_shows_refunds_chargebacks_and_timeline(
    admin_client, merchant, admin, payment, user_with
):
    approver = user_with("refunds.approve", full_name="Bea Approver")
    payment.status = Payment.Status.PARTIALLY_REFUNDED
    payment.refunded_amount = 2_000
    payment.save()
    RefundFactory(
        payment=payment,
        amount=2_000,
        created_by=admin,
        approved_by=approver,
        decided_at=payment.created_at + timedelta(days=1, hours=1),
        settled_at=payment.created_at + timedelta(days=1, hours=2),
    )
    RefundFactory(
        payment=payment,
        amount=1_013,
        reason=Refund.Reason.OTHER,
        note="Asked twice",
        status=Refund.Status.FAILED,
        failure_reason="The card was closed.",
        created_by=admin,
        created_at=payment.created_at + timedelta(days=2),
        processor_updated_at=payment.created_at + timedelta(days=2, minutes=1),
    )
    dispute = DisputeFactory(
        payment=payment,
        amount=5_000,
        status=Dispute.Status.NEEDS_RESPONSE,
        reason=Dispute.Reason.PRODUCT_NOT_RECEIVED,
    )

    page = text(admin_client.get(f"/transactions/{payment.pk}/"))

    refunds = re.search(r'id="payment-refunds".*?</section>', page, re.S)[0]
    rows = [
        [plain(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", refunds, re.S)[1:]
    ]
    assert rows == [
        [
            "2 Nov 2026, 15:00",
            "$20.00",
            "Requested by customer",
            "Succeeded",
            "Ada Admin",
            "Bea Approver",
        ],
        [
            "3 Nov 2026, 15:00",
            "$10.13",
            "Other Asked twice",
            "Failed The card was closed.",
            "Ada Admin",
            "—",
        ],
    ]
    disputes = re.search(r'id="payment-disputes".*?</section>', page, re.S)[0]
    assert f'<tr data-href="/chargebacks/{dispute.pk}/">' in disputes
    assert "Services not provided" in disputes
    assert '<span class="badge badge--txn-needs_response">Needs response</span>' in (
        disputes
    )
    timeline = re.search(r'<ol class="txn-timeline">(.*?)</ol>', page, re.S)[1]
    assert [
        plain(t)
        for t in re.findall(r'<p class="txn-timeline-title">(.*?)</p>', timeline)
    ] == [
        "Payment created",
        "Payment captured",
        "Refund of $20.00 requested",
        "Refund of $20.00 approved",
        "Refund of $20.00 succeeded",
        "Refund of $10.13 requested",
        "Refund of $10.13 failed",
        "Chargeback of $50.00 opened",
    ]
    assert f'<a href="/chargebacks/{dispute.pk}/">Chargeback of $50.00 opened</a>' in (
        timeline
    )
    assert "by Bea Approver" in timeline


@pytest.mark.parametrize(
    ("status", "refunded", "shown"),
    [
        (Payment.Status.SUCCEEDED, 0, True),
        (Payment.Status.PARTIALLY_REFUNDED, 1_000, True),
        (Payment.Status.REFUNDED, 10_000, False),
        (Payment.Status.PENDING, 0, False),
        (Payment.Status.FAILED, 0, False),
    ],
)
def test_payment_detail_refund_button_follows_status_and_refundable(
    admin_client, merchant, status, refunded, shown
):
    payment = PaymentFactory(
        merchant=merchant, amount=10_000, status=status, refunded_amount=refunded
    )
    if refunded:
        RefundFactory(payment=payment, amount=refunded)

    page = text(admin_client.get(f"/transactions/{payment.pk}/"))

    button = f'<a class="btn btn--primary" href="/transactions/{payment.pk}/refund/">'
    assert (button in page) is shown


def test_payment_detail_hides_refund_when_an_open_chargeback_holds_it_all(
    admin_client, merchant
):
    payment = PaymentFactory(merchant=merchant, amount=10_000)
    DisputeFactory(payment=payment, amount=10_000, status=Dispute.Status.LOST)

    page = text(admin_client.get(f"/transactions/{payment.pk}/"))

    assert "/refund/" not in page
    assert plain(record_value(page, "Refundable")) == "$0.00"


def test_payment_detail_hides_refund_without_refunds_create(
    viewer_client, client_as, user_with, payment
):
    refunder = client_as(user_with("payments.view", "refunds.create"))

    assert "/refund/" not in text(viewer_client.get(f"/transactions/{payment.pk}/"))
    assert f"/transactions/{payment.pk}/refund/" in text(
        refunder.get(f"/transactions/{payment.pk}/")
    )


def test_payment_detail_redirects_anonymous_to_login(anon_client, payment):
    response = anon_client.get(f"/transactions/{payment.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"/?next=/transactions/{payment.pk}/"


def test_payment_detail_404s_for_other_merchant(admin_client, stranger_payment):
    assert admin_client.get(f"/transactions/{stranger_payment.pk}/").status_code == 404
    assert admin_client.post(f"/transactions/{stranger_payment.pk}/").status_code == 404


def test_payment_detail_404s_for_a_missing_payment(admin_client):
    assert admin_client.get("/transactions/999999/").status_code == 404


def test_payment_detail_403s_without_permission(client_as, user_with, payment):
    client = client_as(user_with(*without("payments.view")))

    assert client.get(f"/transactions/{payment.pk}/").status_code == 403


def test_payment_detail_rejects_post(admin_client, payment):
    assert admin_client.post(f"/transactions/{payment.pk}/").status_code == 405


def test_payment_detail_never_shows_more_card_data(admin_client, payment):
    payment.raw = {"card": {"number": "4242424242424242", "cvc": "987"}}
    payment.save()

    page = text(admin_client.get(f"/transactions/{payment.pk}/"))

    assert "4242424242424242" not in page
    assert "987" not in page


@pytest.mark.parametrize("rows", (1, 3))
def test_payment_detail_query_count_is_constant(
    db_sessions, admin_client, merchant, admin, rows, django_assert_num_queries
):
    payment = PaymentFactory(merchant=merchant, amount=10_000)
    RefundFactory.create_batch(rows, payment=payment, amount=100, created_by=admin)
    DisputeFactory.create_batch(rows, payment=payment, amount=100, submitted_by=admin)

    # Session, user, the payment, its refunds, its chargebacks, two sums for
    # the refundable amount, then the session save (savepoint, update,
    # release).
    # +1: the session's check of the user's second factors.
    with django_assert_num_queries(11):
        response = admin_client.get(f"/transactions/{payment.pk}/")

    assert len(response.context["record"].refunds) == rows


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's cursors")
@pytest.mark.django_db(transaction=True)
def test_payment_export_streams_from_its_first_rows(admin_client, merchant):
    # Outside a transaction Django's server-side cursor would be WITH HOLD,
    # which computes the whole result before the first row; the export
    # reads in a transaction instead, through a cursor that streams.
    # More than one chunk of lines, so the cursor is still open after it.
    Payment.objects.bulk_create(PaymentFactory.build_batch(600, merchant=merchant))
    response = admin_client.get("/transactions/export.csv")
    chunks = iter(response.streaming_content)
    first = next(chunks)
    with connection.cursor() as cursor:
        cursor.execute("SELECT is_holdable FROM pg_cursors")
        cursors = [row[0] for row in cursor.fetchall()]
    rest = b"".join(chunks)

    assert cursors == [False]
    assert (first + rest).decode().count("\n") == 601
    # Done: the transaction is over, and the connection back to autocommit.
    assert not connection.in_atomic_block


def test_payment_list_short_search_says_where_it_stopped(
    admin_client, merchant, monkeypatch
):
    # "wu" has no trigram: a page reads at most search.SCAN rows, and says
    # so when it stops short of a full page; Next goes on from there.
    monkeypatch.setattr(search, "SCAN", 3)
    for n in range(8):
        PaymentFactory(
            merchant=merchant,
            reference=f"R{n}",
            cardholder_name="Amy Wu" if n == 4 else "Sam Poe",
            created_at=BASE_TIME - timedelta(hours=n),
        )

    first = admin_client.get("/transactions/?q=wu")
    page = first.context["page"]
    second = admin_client.get(f"/transactions/?q=wu&after={page.next_cursor}")

    assert refs(first) == []
    assert "No matching transactions in this part of the list" in text(first)
    assert "Searched the next 3 rows. Select Next to keep searching." in text(first)
    assert f'href="?q=wu&amp;after={page.next_cursor}"' in first.content.decode()
    assert refs(second) == ["R4"]
    assert "Searched the next 3 rows for this page." in text(second)
