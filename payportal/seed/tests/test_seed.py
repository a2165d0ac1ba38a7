"""`payportal seed`: realistic rows, right daily totals, restartable."""

import sqlite3
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F, Sum
from django.db.models.functions import TruncDate

from payportal.accounts.models import User
from payportal.core import search
from payportal.merchants.models import Merchant
from payportal.payments.models import DailyTotal, Dispute, Payment, Refund
from payportal.seed import bulk, services

pytestmark = pytest.mark.django_db


def _firm(number: int) -> Merchant:
    return Merchant.objects.get(name=f"Seed Firm {number} LLP")


def _snapshot(merchant: Merchant) -> list[tuple]:
    return list(
        Payment.objects.filter(merchant=merchant)
        .order_by("id")
        .values_list(
            "processor_ref",
            "status",
            "amount",
            "refunded_amount",
            "account",
            "card_last4",
            "cardholder_name",
            "created_at",
        )
    )


def _totals(merchant: Merchant) -> dict[str, int]:
    return DailyTotal.objects.filter(merchant=merchant).aggregate(
        gross=Sum("gross"),
        count=Sum("payment_count"),
        fees=Sum("fees"),
        refunded=Sum("refunded"),
        refunds=Sum("refund_count"),
        disputed=Sum("disputed"),
        disputes=Sum("dispute_count"),
    )


def test_seed_fills_firms_with_users_and_activity():
    out = StringIO()
    call_command(
        "seed",
        merchants=2,
        users=7,
        payments=2500,
        days=60,
        no_progress=True,
        stdout=out,
    )
    big, small = _firm(1), _firm(2)
    assert Payment.objects.filter(merchant=big).count() == 2500
    # Small firms get a thousandth of the large firm's payments.
    assert Payment.objects.filter(merchant=small).count() == 2
    assert User.objects.filter(merchant=big).count() == 7
    assert User.objects.filter(merchant=small).count() == 7
    # Usernames are letters and digits only, and the first login signs in
    # with the printed password.
    for username in User.objects.values_list("username", flat=True):
        assert username.isalnum(), username
    admin = User.objects.get(username="seedadmin1")
    assert admin.check_password(services.DEFAULT_PASSWORD)
    assert not admin.must_change_password
    assert "username seedadmin1, password Seeded-portal-2026" in out.getvalue()
    assert "Added 2,502 payments" in out.getvalue()
    # Realistic proportions: most succeed, some fail, some are refunded,
    # a few bring chargebacks; each refund belongs to its firm's payment.
    statuses = set(Payment.objects.values_list("status", flat=True))
    assert {"succeeded", "failed", "refunded", "partially_refunded"} <= statuses
    refunds = Refund.objects.filter(merchant=big)
    assert 20 < refunds.count() < 150
    assert not refunds.exclude(payment__merchant=big).exists()
    assert Dispute.objects.filter(merchant=big).exists()
    # Card data is brand, last four and expiry only.
    payment = Payment.objects.filter(merchant=big).first()
    assert len(payment.card_last4) == 4
    assert payment.raw == {} and payment.metadata == {}


def test_daily_totals_match_the_rows_the_services_would_have_counted():
    call_command(
        "seed", merchants=1, users=2, payments=4000, days=200, no_progress=True
    )
    firm = _firm(1)
    paid = Payment.objects.filter(merchant=firm).exclude(status="failed")
    totals = _totals(firm)
    assert totals["gross"] == paid.aggregate(s=Sum("amount"))["s"]
    assert totals["count"] == paid.count()
    assert totals["fees"] == paid.aggregate(s=Sum("fee"))["s"]
    refunds = Refund.objects.filter(merchant=firm)
    assert totals["refunded"] == refunds.aggregate(s=Sum("amount"))["s"]
    assert totals["refunds"] == refunds.count()
    assert totals["refunded"] == paid.aggregate(s=Sum("refunded_amount"))["s"]
    disputes = Dispute.objects.filter(merchant=firm)
    assert disputes.exists()
    assert totals["disputed"] == disputes.aggregate(s=Sum("amount"))["s"]
    assert totals["disputes"] == disputes.count()
    # Days are the firm's calendar days: none outside the span.
    days = DailyTotal.objects.filter(merchant=firm).values_list("day", flat=True)
    assert (max(days) - min(days)).days <= 200 + 60  # refunds and chargebacks after


def test_daily_totals_fall_on_the_firms_own_calendar_days():
    # A time zone a quarter of an hour off UTC's hours: each payment counts
    # on the firm's day, as the services count it, not on UTC's.
    firm = services.ensure_firm(1, services.DEFAULT_PASSWORD).merchant
    firm.time_zone = "Asia/Kathmandu"
    firm.save(update_fields=["time_zone"])
    call_command("seed", merchants=1, users=2, payments=3000, days=20, no_progress=True)
    paid = (
        Payment.objects.filter(merchant=firm)
        .exclude(status="failed")
        .annotate(day=TruncDate("created_at", tzinfo=firm.tz))
        .values("day")
        .annotate(gross=Sum("amount"))
    )
    expected = {row["day"]: row["gross"] for row in paid}
    stored = (
        DailyTotal.objects.filter(merchant=firm, gross__gt=0)
        .values("day")
        .annotate(gross=Sum("gross"))
    )
    assert {row["day"]: row["gross"] for row in stored} == expected
    assert len(expected) >= 20


class Stop(Exception):
    pass


def test_an_interrupted_load_resumes_to_the_same_data(monkeypatch):
    monkeypatch.setattr(services, "BATCH", 400)
    plan = services.SeedPlan(merchants=1, users=3, payments=2000, days=30, seed=5)
    written = []

    def stop_after_two_batches(rows: int) -> None:
        written.append(rows)
        if len(written) == 3:  # the users' batch, then two of payments
            raise Stop

    with pytest.raises(Stop):
        services.seed(plan, progress=stop_after_two_batches)
    firm = _firm(1)
    # Whole batches only: nothing half-written.
    assert Payment.objects.filter(merchant=firm).count() == 800
    services.seed(plan)
    resumed, resumed_totals = _snapshot(firm), _totals(firm)
    assert len(resumed) == 2000
    # Remove the firm's activity and load it straight through: the same rows.
    Dispute.objects.filter(merchant=firm).delete()
    Refund.objects.filter(merchant=firm).delete()
    Payment.objects.filter(merchant=firm).delete()
    DailyTotal.objects.filter(merchant=firm).delete()
    services.seed(plan)
    straight = _snapshot(firm)
    assert [row[1:] for row in straight] == [row[1:] for row in resumed]
    assert _totals(firm) == resumed_totals
    # Running it again when complete adds nothing.
    assert services.seed(plan).payments_added == 0


@pytest.mark.django_db(transaction=True)
def test_indexes_dropped_for_a_large_load_come_back_even_when_it_fails():
    def names() -> set[str]:
        with connection.cursor() as cursor:
            table = Payment._meta.db_table
            return set(connection.introspection.get_constraints(cursor, table))

    declared = {index.name for index in Payment._meta.indexes}
    assert declared <= names()
    with pytest.raises(Stop), services._indexes_deferred(Payment, defer=True):
        assert not declared & names()
        assert search.missing_search_indexes(Payment) == [search.PAYMENTS]
        raise Stop
    assert declared <= names()
    assert search.missing_search_indexes(Payment) == []
    # A process killed in between leaves them dropped: the next run's
    # restore_indexes makes them again.
    with connection.schema_editor() as editor:
        editor.remove_index(Payment, Payment._meta.indexes[0])
    assert bulk.restore_indexes(Payment) == [Payment._meta.indexes[0].name]
    assert declared <= names()


def test_seed_refuses_nonsense_sizes():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--merchants"):
        call_command("seed", merchants=0, no_progress=True)
    with pytest.raises(CommandError, match="--payments"):
        call_command("seed", payments=-1, no_progress=True)


def _references_broken() -> list[str]:
    """Rows whose foreign keys name nothing, or another firm's rows."""
    broken = []
    if Refund.objects.exclude(payment__merchant=F("merchant")).exists():
        broken.append("refund of another firm's payment")
    if Dispute.objects.exclude(payment__merchant=F("merchant")).exists():
        broken.append("chargeback of another firm's payment")
    if Refund.objects.exclude(created_by__merchant=F("merchant")).exists():
        broken.append("refund by another firm's user")
    with connection.cursor() as cursor:
        for model, column, target in (
            (Payment, "merchant_id", Merchant),
            (Refund, "payment_id", Payment),
            (Dispute, "payment_id", Payment),
            (User, "merchant_id", Merchant),
        ):
            table, parent = model._meta.db_table, target._meta.db_table
            cursor.execute(
                f'SELECT COUNT(*) FROM "{table}" t LEFT JOIN "{parent}" p '  # noqa: S608
                f'ON p.id = t."{column}" WHERE p.id IS NULL'
            )
            if cursor.fetchone()[0]:
                broken.append(f"{table}.{column}")
    return broken


@pytest.mark.django_db(transaction=True)
def test_a_load_outside_tests_transactions_skips_row_checks_but_not_integrity(
    monkeypatch,
):
    # Outside a transaction the load runs with fast_writes: SQLite without
    # its foreign-key checks, PostgreSQL (as a superuser) without the
    # foreign-key triggers; indexes deferred and rebuilt (two sessions on
    # PostgreSQL) even for this small load.
    monkeypatch.setattr(services, "DEFER_INDEXES_FROM", 100)
    monkeypatch.setattr(services, "BATCH", 500)
    plan = services.SeedPlan(merchants=2, users=30, payments=3000, days=40, seed=9)
    result = services.seed(plan)
    assert result.payments_added == 3003
    assert result.refunds_added > 0 and result.disputes_added > 0
    assert _references_broken() == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []
            # The session is as it was.
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1
        assert not result.vacuumed
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW session_replication_role")
            assert cursor.fetchone()[0] == "origin"
            # Vacuumed at the end: the loaded pages are marked all-visible,
            # so index-only scans need not visit the table.
            cursor.execute(
                "SELECT relallvisible, relpages FROM pg_class WHERE relname = %s",
                [Payment._meta.db_table],
            )
            all_visible, pages = cursor.fetchone()
            assert pages > 0 and all_visible == pages
        assert result.vacuumed
    declared = {index.name for index in Payment._meta.indexes}
    with connection.cursor() as cursor:
        table = Payment._meta.db_table
        assert declared <= set(connection.introspection.get_constraints(cursor, table))
    assert search.missing_search_indexes(User, Payment) == []
    # The search index finds what a plain scan finds.
    firm = _firm(1)
    term = Payment.objects.filter(merchant=firm).first().cardholder_name.split()[1]
    plain = Payment.objects.filter(merchant=firm, cardholder_name__icontains=term)
    page = search.search_page(
        Payment.objects.filter(merchant=firm),
        search=search.PAYMENTS,
        term=term,
        key="created_at",
        descending=True,
        window=10,
        common=1.0,
        most=100_000,
    )
    expected = list(plain.order_by("-created_at", "-id").values_list("pk", flat=True))
    assert [row.pk for row in page.rows] == expected[: len(page.rows)]
    assert page.rows


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 index")
@pytest.mark.django_db(transaction=True)
def test_an_fts_index_built_apart_is_the_one_a_rebuild_makes(tmp_path):
    call_command(
        "seed", merchants=1, users=40, payments=1500, days=30, no_progress=True
    )
    # A file copy of the test database, its payment index left stale as a
    # bulk load leaves it: triggers dropped, rows added behind its back.
    source = str(tmp_path / "copy.sqlite3")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [source])
    db = sqlite3.connect(source, isolation_level=None)
    try:
        fts = search.PAYMENTS.index
        for name in search.sqlite_schema(search.PAYMENTS):
            if name != fts:
                db.execute(f"DROP TRIGGER {name}")
        db.execute(
            "UPDATE payments_payment SET client_name = 'Zyqxwv Holdings' "
            "WHERE id % 7 = 0"
        )
        db.execute(f"DELETE FROM {fts}_data")  # noqa: S608
        db.execute(f"DELETE FROM {fts}_idx")  # noqa: S608
        built = str(tmp_path / "apart.sqlite3")
        search.fts_build_apart(search.PAYMENTS, source, built)
        search.fts_install(search.PAYMENTS, db, built)
        # FTS5 checks every record of the index against the table.
        db.execute(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')")  # noqa: S608
        triggers = {
            row[0]
            for row in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
        }
        assert set(search.sqlite_schema(search.PAYMENTS)) - {fts} <= triggers

        def found(grams: str) -> set[int]:
            rows = db.execute(f"SELECT rowid FROM {fts} WHERE {fts} MATCH ?", [grams])  # noqa: S608
            return {row[0] for row in rows}

        renamed = {
            row[0]
            for row in db.execute(
                "SELECT id FROM payments_payment WHERE client_name LIKE '%zyqxwv%'"
            )
        }
        assert renamed and found('"zyq" AND "xwv"') == renamed
        smiths = {
            row[0]
            for row in db.execute(
                "SELECT id FROM payments_payment WHERE reference LIKE '%smith%' OR "
                "payer_email LIKE '%smith%' OR cardholder_name LIKE '%smith%' OR "
                "client_name LIKE '%smith%'"
            )
        }
        assert smiths and found('"smi" AND "mit" AND "ith"') == smiths
        # The triggers work again: a new row is found.
        db.execute(
            "UPDATE payments_payment SET cardholder_name = 'Quillon Brae' "
            "WHERE id = (SELECT MIN(id) FROM payments_payment)"
        )
        assert len(found('"qui" AND "llo" AND "rae"')) == 1
    finally:
        db.close()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL roles")
@pytest.mark.django_db(transaction=True)
def test_fast_writes_leave_triggers_alone_for_a_role_that_is_no_superuser():
    # Only a superuser may set session_replication_role, RESET included: a
    # seed run by an ordinary role keeps the foreign-key triggers and must
    # not fail on the way out.
    role = "payportal_seed_test_plain"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {role}")
        cursor.execute(f"CREATE ROLE {role}")
        cursor.execute(f"SET ROLE {role}")
    try:
        with services.fast_writes():
            with connection.cursor() as cursor:
                cursor.execute("SHOW session_replication_role")
                assert cursor.fetchone()[0] == "origin"
                cursor.execute("SHOW synchronous_commit")
                assert cursor.fetchone()[0] == "off"
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
            cursor.execute(f"DROP ROLE IF EXISTS {role}")
