"""`payportal seed`: realistic rows, right daily totals, restartable."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from payportal.accounts.models import User
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
    with pytest.raises(Stop), bulk.indexes_deferred(Payment):
        assert not declared & names()
        raise Stop
    assert declared <= names()
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
