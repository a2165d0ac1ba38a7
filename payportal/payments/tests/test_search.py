"""The Transactions search box: same rows as a plain ``icontains``, through
the trigram index (core/search.py).

Each behaviour is checked on the four paths of ``search_page``: the probe
of the next rows in page order (the default window holds all of these
small data sets), the index (a window of one row, and a sample that never
finds a term common), and the walk for a common word, chosen from the
sample or after the index found more matches than it is asked for.
"""

from datetime import date, timedelta

import pytest
from django.db import connection

from payportal.core import search
from payportal.core.validators import CARD_NUMBER_MESSAGE
from payportal.payments.models import Account, Payment
from payportal.payments.selectors.payments import list_payments
from payportal.payments.tests.factories import BASE_TIME, PaymentFactory

pytestmark = pytest.mark.django_db

# The paths: the probe of the page's order, the index, the walk for a term
# the sample finds common, and the walk for one the index finds common.
PROBE = {}
INDEX = {"window": 1, "common": 2}
WALK = {"window": 1, "common": 0}
WALK_AFTER_INDEX = {"window": 1, "common": 2, "most": 0}
PATHS = [PROBE, INDEX, WALK, WALK_AFTER_INDEX]


def refs(page):
    return [payment.reference for payment in page.rows]


def find(merchant, q, *, path, key="created_at", descending=True, **page):
    """A page of the merchant's payments holding ``q``, through ``path``."""
    return search.search_page(
        Payment.objects.filter(merchant=merchant),
        search=search.PAYMENTS,
        term=q,
        key=key,
        descending=descending,
        **path,
        **page,
    )


def plain(merchant, q):
    """What the search must return: icontains, newest first."""
    return list(
        Payment.objects.filter(merchant=merchant)
        .filter(search.PAYMENTS.matches(q))
        .order_by("-created_at", "-id")
        .values_list("reference", flat=True)
    )


@pytest.fixture
def jordan(merchant):
    return PaymentFactory(
        merchant=merchant,
        reference="MAT-2041",
        payer_email="jordan@example.com",
        cardholder_name="Jordan Lee",
        client_name="Acme Holdings",
    )


@pytest.fixture
def others(merchant):
    return [PaymentFactory(merchant=merchant) for _ in range(3)]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "q",
    [
        "MAT-2041",
        "mat-2041",
        "t-204",
        "JORDAN@EXAMPLE",
        "rdan@exam",
        "jordan lee",
        "DAN LE",
        "acme hold",
        "  Acme  ",
    ],
)
def test_search_finds_a_substring_of_any_column_ignoring_case(
    merchant, jordan, others, path, q
):
    assert refs(find(merchant, q.strip(), path=path)) == ["MAT-2041"]


@pytest.mark.parametrize("path", PATHS)
def test_search_does_not_match_across_two_columns(merchant, jordan, path):
    # "Lee" ends the cardholder and "Acme" starts the client: the joined
    # text the index holds has "lee acme", which is no column's text.
    assert refs(find(merchant, "lee acme", path=path)) == []


@pytest.mark.parametrize("path", PATHS)
def test_search_ignores_other_columns(merchant, path):
    PaymentFactory(merchant=merchant, description="Retainer for Zephyr")

    assert refs(find(merchant, "zephyr", path=path)) == []


@pytest.mark.parametrize("path", PATHS)
def test_search_never_finds_another_firms_payment(
    merchant, other_merchant, jordan, path
):
    PaymentFactory(merchant=other_merchant, reference="MAT-2041-OTHER")
    PaymentFactory(merchant=other_merchant, cardholder_name="Jordan Lee")

    assert refs(find(merchant, "jordan", path=path)) == ["MAT-2041"]
    assert refs(find(other_merchant, "MAT-2041", path=path)) == ["MAT-2041-OTHER"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # % and _ are no wildcards: they match themselves only.
        ("100%", ["DISC-100%"]),
        ("0%", ["DISC-100%"]),
        ("A_B-123", ["A_B-123"]),
        ("_b-1", ["A_B-123"]),
        ("%", ["DISC-100%"]),
        ("_", ["A_B-123"]),
        ("\\", ["C\\D-900"]),
        ('"', ['Q"T-777']),
        ('q"t-777', ['Q"T-777']),
    ],
)
def test_search_takes_like_wildcards_and_quotes_literally(merchant, path, q, expected):
    for reference in ["DISC-100%", "DISC-1000", "A_B-123", "AXB-123"]:
        PaymentFactory(merchant=merchant, reference=reference)
    PaymentFactory(merchant=merchant, reference="C\\D-900")
    PaymentFactory(merchant=merchant, reference='Q"T-777')

    assert refs(find(merchant, q, path=path)) == expected


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("q", ["4", "41", "-2", "@e"])
def test_short_terms_search_without_the_index(merchant, jordan, others, path, q):
    assert refs(find(merchant, q, path=path)) == plain(merchant, q)


def test_short_terms_take_two_queries(
    merchant, jordan, others, django_assert_num_queries
):
    # The scan of the next rows, then the page of its matches.
    with django_assert_num_queries(2):
        list_payments(merchant=merchant, q="41")


@pytest.fixture
def rare_wu(merchant):
    """Twelve payments an hour apart, newest first W0, x1, x2, ..., W5,
    x6, ..., W11: "wu" (no trigram) in three of them."""
    for n in range(12):
        wu = n in (0, 5, 11)
        PaymentFactory(
            merchant=merchant,
            reference=f"{'W' if wu else 'x'}{n}",
            cardholder_name="Amy Wu" if wu else "Sam Poe",
            created_at=BASE_TIME - timedelta(hours=n),
        )


def test_a_short_term_reads_at_most_scan_rows_a_page(merchant, rare_wu, monkeypatch):
    # Four rows a page at most: pages stop short of full, and each Next
    # goes on from the last row read, so every match comes once, in order.
    monkeypatch.setattr(search, "SCAN", 4)
    pages, after = [], None
    while True:
        page = find(merchant, "wu", path=PROBE, after=after)
        pages.append(page)
        after = page.next_cursor
        if after is None:
            break

    assert [refs(page) for page in pages] == [["W0"], ["W5"], ["W11"]]
    assert [page.searched for page in pages] == [4, 4, 0]
    assert [bool(page.prev_cursor) for page in pages] == [False, True, True]
    # Previous from the last page reads back the same way.
    back, before = [], pages[-1].prev_cursor
    while before:
        page = find(merchant, "wu", path=PROBE, before=before)
        back.append(page)
        before = page.prev_cursor
    assert [refs(page) for page in back] == [[], ["W5"], ["W0"]]
    assert [page.searched_back for page in back] == [True, True, False]


@pytest.mark.parametrize(("window", "queries"), [(6, 2), (2, 3)])
def test_a_short_term_reads_the_first_rows_before_the_scan(
    merchant, rare_wu, monkeypatch, window, queries, django_assert_num_queries
):
    # A term that fills its page from the first ``window`` rows reads only
    # those (then the page); otherwise the scan's rows are read too.
    monkeypatch.setattr(search, "SCAN", 8)
    with django_assert_num_queries(queries):
        page = find(merchant, "wu", path={"window": window}, size=1)

    assert refs(page) == ["W0"]
    assert page.next_cursor


def test_a_short_term_fills_its_page_within_the_scan(merchant, rare_wu, monkeypatch):
    # Enough matches in the rows read: the usual page, the usual cursors.
    monkeypatch.setattr(search, "SCAN", 6)
    page = find(merchant, "wu", path=PROBE, size=1)

    assert refs(page) == ["W0"]
    assert page.searched == 0
    assert refs(find(merchant, "wu", path=PROBE, size=1, after=page.next_cursor)) == [
        "W5"
    ]


@pytest.mark.parametrize(
    ("path", "queries"), [(PROBE, 2), (INDEX, 3), (WALK, 3), (WALK_AFTER_INDEX, 4)]
)
def test_search_takes_at_most_four_queries(
    merchant, jordan, others, path, queries, django_assert_num_queries
):
    # By amount: the probe of the page's order, then the sample.
    with django_assert_num_queries(queries):
        page = find(merchant, "jordan", path=path, key="amount")

    assert refs(page) == ["MAT-2041"]


@pytest.mark.parametrize(
    ("path", "queries"), [(PROBE, 2), (INDEX, 2), (WALK, 2), (WALK_AFTER_INDEX, 3)]
)
def test_first_page_newest_first_reads_the_sample_once(
    merchant, jordan, others, path, queries, django_assert_num_queries
):
    # Newest first is the sample's own order: on the first page one read
    # is both the probe and the sample.
    with django_assert_num_queries(queries):
        page = find(merchant, "jordan", path=path)

    assert refs(page) == ["MAT-2041"]


@pytest.mark.parametrize("path", PATHS)
def test_later_pages_newest_first_probe_after_the_cursor(
    merchant, path, django_assert_num_queries
):
    # After a cursor the sample (the newest rows) is no probe of the page:
    # both are read, and the page is still the plain query's.
    for n in range(5):
        PaymentFactory(merchant=merchant, cardholder_name=f"Jordan {n}")
    first = find(merchant, "jordan", path=path, size=2)
    assert first.next_cursor
    second = find(merchant, "jordan", path=path, size=2, after=first.next_cursor)

    assert refs(first) + refs(second) == plain(merchant, "jordan")[:4]


@pytest.mark.parametrize("path", PATHS)
def test_search_combines_with_the_other_filters(merchant, path):
    day = BASE_TIME
    wanted = {
        "merchant": merchant,
        "cardholder_name": "Jordan Lee",
        "status": Payment.Status.FAILED,
        "account": Account.TRUST,
        "card_last4": "4242",
        "created_at": day,
    }
    PaymentFactory(**wanted, reference="hit")
    PaymentFactory(**{**wanted, "status": Payment.Status.SUCCEEDED}, reference="s")
    PaymentFactory(**{**wanted, "account": Account.OPERATING}, reference="a")
    PaymentFactory(**{**wanted, "card_last4": "1881"}, reference="l")
    PaymentFactory(**{**wanted, "created_at": day - timedelta(days=3)}, reference="d")
    PaymentFactory(**{**wanted, "cardholder_name": "Sam Lee"}, reference="q")
    queryset = Payment.objects.filter(
        merchant=merchant,
        status=Payment.Status.FAILED,
        account=Account.TRUST,
        card_last4="4242",
        created_at__date__gte=day.date(),
    )

    page = search.search_page(
        queryset,
        search=search.PAYMENTS,
        term="jordan",
        key="created_at",
        descending=True,
        **path,
    )

    assert refs(page) == ["hit"]


def test_list_payments_combines_the_search_with_the_filters(merchant):
    # Times of their own: the factory's default moves an hour back per
    # payment made in the process, out of the date range after ~700.
    for n, status in enumerate(["failed", "succeeded", "failed"]):
        PaymentFactory(
            merchant=merchant,
            reference=f"R{n}",
            cardholder_name="Jordan Lee",
            status=status,
            account=Account.TRUST,
            created_at=BASE_TIME - timedelta(hours=n),
        )
    PaymentFactory(
        merchant=merchant, reference="R3", status="failed", created_at=BASE_TIME
    )

    page = list_payments(
        merchant=merchant,
        q="jordan",
        status="failed",
        account="trust",
        date_from=date(2026, 10, 1),
        date_to=date(2026, 11, 30),
    )

    assert refs(page) == ["R0", "R2"]


@pytest.fixture
def ten(merchant):
    """Ten payments an hour apart, every other one Jordan's (newest first:
    J0, x1, J2, x3, ...)."""
    for n in range(10):
        PaymentFactory(
            merchant=merchant,
            reference=f"{'J' if n % 2 == 0 else 'x'}{n}",
            cardholder_name="Jordan Lee" if n % 2 == 0 else "Sam Poe",
            amount=1_000 + (n * 7919) % 97,
            created_at=BASE_TIME - timedelta(hours=n),
        )


@pytest.mark.parametrize("path", [*PATHS, {"window": 3, "common": 2}])
@pytest.mark.parametrize(
    ("key", "descending"),
    [("created_at", True), ("created_at", False), ("amount", True), ("amount", False)],
)
def test_search_pages_forward_and_back(merchant, ten, path, key, descending):
    order = [f"-{key}", "-id"] if descending else [key, "id"]
    expected = list(
        Payment.objects.filter(merchant=merchant, cardholder_name="Jordan Lee")
        .order_by(*order)
        .values_list("reference", flat=True)
    )

    def page(**cursor):
        return find(
            merchant,
            "jordan",
            path=path,
            key=key,
            descending=descending,
            size=2,
            **cursor,
        )

    first = page()
    second = page(after=first.next_cursor)
    third = page(after=second.next_cursor)
    back = page(before=third.prev_cursor)
    start = page(before=back.prev_cursor)

    assert [refs(first), refs(second), refs(third)] == [
        expected[0:2],
        expected[2:4],
        expected[4:5],
    ]
    assert first.prev_cursor is None
    assert third.next_cursor is None
    assert refs(back) == expected[2:4]
    assert refs(start) == expected[0:2]
    assert start.prev_cursor is None


def test_list_payments_pages_through_a_search(merchant, ten):
    first = list_payments(merchant=merchant, q="jordan", size=2)
    second = list_payments(
        merchant=merchant, q="jordan", size=2, after=first.next_cursor
    )
    back = list_payments(
        merchant=merchant, q="jordan", size=2, before=second.prev_cursor
    )

    assert refs(first) == ["J0", "J2"]
    assert refs(second) == ["J4", "J6"]
    assert refs(back) == ["J0", "J2"]


# --- The index follows every write -------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_search_finds_rows_inserted_with_raw_sql(merchant, path):
    # As the seed command inserts: no ORM, no signals.
    columns = [
        "merchant_id",
        "processor",
        "processor_ref",
        "status",
        "amount",
        "currency",
        "account",
        "refunded_amount",
        "fee",
        "card_brand",
        "card_last4",
        "cardholder_name",
        "payer_email",
        "client_name",
        "reference",
        "description",
        "failure_reason",
        "created_at",
        "metadata",
        "raw",
        "updated_at",
    ]
    stored = connection.ops.adapt_datetimefield_value
    rows = [
        [merchant.pk, "sandbox", f"py_raw{n}", "succeeded", 100, "USD", "trust"]
        + [0, 0, "visa", "4242", f"Raw Payer{n}", "", "", f"RAW-{n}", "", ""]
        + [stored(BASE_TIME - timedelta(minutes=n)), "{}", "{}", stored(BASE_TIME)]
        for n in range(3)
    ]
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO payments_payment ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            rows,
        )

    assert refs(find(merchant, "raw payer1", path=path)) == ["RAW-1"]
    assert refs(find(merchant, "raw payer", path=path)) == [
        "RAW-0",
        "RAW-1",
        "RAW-2",
    ]


@pytest.mark.parametrize("path", PATHS)
def test_search_follows_changes_and_deletions(merchant, jordan, others, path):
    jordan.cardholder_name = "Riley Quinn"
    jordan.save()
    others[0].delete()

    assert refs(find(merchant, "jordan lee", path=path)) == []
    assert refs(find(merchant, "riley quinn", path=path)) == ["MAT-2041"]
    assert refs(find(merchant, others[0].reference, path=path)) == []


def test_search_follows_a_bulk_update(merchant, jordan):
    Payment.objects.filter(pk=jordan.pk).update(client_name="Zenith Partners")

    assert refs(find(merchant, "zenith", path=INDEX)) == ["MAT-2041"]
    assert refs(find(merchant, "acme", path=INDEX)) == []


# Outside a test transaction, as a bulk load runs: PostgreSQL cannot build an
# index in a transaction that still has foreign-key checks to make.
@pytest.mark.django_db(transaction=True)
def test_deferred_search_index_is_whole_after_a_bulk_load(merchant, jordan):
    search.drop_search_indexes(Payment)
    try:
        late = PaymentFactory(merchant=merchant, cardholder_name="Loaded Later")
    finally:
        search.restore_search_indexes(Payment)

    assert refs(find(merchant, "loaded later", path=INDEX)) == [late.reference]
    assert refs(find(merchant, "jordan", path=INDEX)) == ["MAT-2041"]
    assert search.restore_search_indexes(Payment) == []


@pytest.mark.django_db(transaction=True)
def test_restore_search_indexes_repairs_a_stopped_bulk_load(merchant, jordan):
    search.drop_search_indexes(Payment)
    late = PaymentFactory(merchant=merchant, cardholder_name="Loaded Later")

    rebuilt = search.restore_search_indexes(Payment)
    if connection.vendor == "postgresql":
        assert rebuilt == ["payment_search", "payment_search_email"]
    else:
        assert rebuilt == ["payment_search"]
    assert refs(find(merchant, "loaded later", path=INDEX)) == [late.reference]
    assert search.restore_search_indexes(Payment) == []


def test_the_search_index_is_as_core_search_describes_it():
    # A later migration that rebuilds payments_payment on SQLite (most
    # ALTERs) drops its triggers: add a migration that runs
    # core.search.restore_search_indexes(Payment) after it.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            wanted = search.sqlite_schema(search.PAYMENTS)
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE name IN (%s, %s, %s, %s)",
                list(wanted),
            )
            assert dict(cursor.fetchall()) == wanted
        else:
            wanted = search.postgres_indexes(search.PAYMENTS)
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename = 'payments_payment' AND indexdef LIKE '%%gin%%'"
            )
            found = dict(cursor.fetchall())
            assert (
                set(found)
                == set(wanted)
                == {
                    "payment_search",
                    "payment_search_email",
                }
            )
            for name, definition in found.items():
                assert "USING gin (upper(" in definition
                assert "gin_trgm_ops" in definition
                # The same columns, in the same order.
                columns = dict(search.PAYMENTS.postgres_indexes())[name]
                places = [definition.index(column) for column in columns]
                assert places == sorted(places)
            assert "payer_email" not in found["payment_search"]


# --- The page ------------------------------------------------------------------


def test_payment_list_refuses_a_card_number_and_does_not_search(
    admin_client, jordan, others
):
    response = admin_client.get("/transactions/?q=4111 1111 1111 1111")

    assert response.context["form"].errors["q"] == [CARD_NUMBER_MESSAGE]
    assert len(response.context["page"].rows) == 4


def test_payment_list_searches(admin_client, jordan, others):
    response = admin_client.get("/transactions/?q=RDAN@exam")

    assert [p.reference for p in response.context["page"].rows] == ["MAT-2041"]
