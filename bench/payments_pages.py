"""Time the payments pages of one firm holding many payments (issue 3).

    export PAYPORTAL_DATA_DIR=/tmp/pp-bench-payments
    .venv/bin/python bench/payments_pages.py [--payments 1000000] [--runs 20]
    # the same on PostgreSQL (an empty database named payportal_bench):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/payportal_bench \\
        .venv/bin/python bench/payments_pages.py

Loads the payments once (bulk inserts; the daily totals the services
would have kept are rebuilt with one GROUP BY), then asks each page
through Django's test client as a signed-in administrator. Prints the
median and p95 of each and its number of SQL queries. Not part of the test
suite; issue 5 adds the comparison with the Django admin.
"""

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "payportal.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402
from django.db.models.functions import TruncDate  # noqa: E402
from django.test import Client  # noqa: E402
from timing import measure  # noqa: E402 - bench/ is the script's folder

from payportal.accounts.models import User  # noqa: E402
from payportal.core.pagination import encode_cursor  # noqa: E402
from payportal.merchants import services  # noqa: E402
from payportal.payments.models import DailyTotal, Dispute, Payment  # noqa: E402

FIRM = "Payments Benchmark LLP"
DAYS = 730
NAMES = ["Smith", "Jones", "Taylor", "Brown", "Patel", "Walker", "Evans", "Wright"]


def load(count: int) -> User:
    admin = User.objects.filter(username="benchpay").first()
    if admin is None:
        _, admin, _ = services.create_merchant(
            name=FIRM,
            admin_username="benchpay",
            admin_email="b@example.com",
            admin_password="Bench-marking-2026",
        )
        admin.must_change_password = False
        admin.save(update_fields=["must_change_password"])
    merchant = admin.merchant
    have = Payment.objects.filter(merchant=merchant).count()
    if have >= count:
        return admin
    rng = random.Random(have)
    end = datetime(2026, 11, 29, tzinfo=UTC)
    step = timedelta(days=DAYS) / count
    started = time.perf_counter()
    batch = []
    for i in range(have, count):
        amount = rng.choice([25_000, 50_000, 75_000, 150_000, 250_000, 1_000_000])
        status = "succeeded"
        if i % 100 == 0:
            status = "refunded"
        elif i % 50 == 1:
            status = "failed"
        name = f"{NAMES[i % len(NAMES)]} {i}"
        batch.append(
            Payment(
                merchant=merchant,
                processor="sandbox",
                processor_ref=f"py_bench{i:09d}",
                status=status,
                amount=amount,
                refunded_amount=amount if status == "refunded" else 0,
                currency="USD",
                account="trust" if i % 3 == 0 else "operating",
                fee=amount * 29 // 1000 + 30,
                card_brand="visa",
                card_last4=f"{i % 10_000:04d}",
                card_exp_month=4,
                card_exp_year=2029,
                cardholder_name=name,
                payer_email=f"payer{i}@example.com",
                client_name=name,
                reference=f"MAT-{i:07d}",
                created_at=end - step * (count - i),
            )
        )
        if len(batch) == 5000:
            Payment.objects.bulk_create(batch)
            batch = []
    if batch:
        Payment.objects.bulk_create(batch)
    print(f"loaded {count - have} payments in {time.perf_counter() - started:.1f} s")
    # Open chargebacks for the dashboard's panel.
    for payment in Payment.objects.filter(merchant=merchant).order_by("-id")[:20]:
        Dispute.objects.get_or_create(
            merchant=merchant,
            processor_ref=f"dp_{payment.processor_ref}",
            defaults={
                "payment": payment,
                "amount": payment.amount,
                "currency": "USD",
                "reason": "fraudulent",
                "status": "needs_response",
                "opened_at": payment.created_at,
                "evidence_due_by": payment.created_at + timedelta(days=21),
            },
        )
    # The daily totals the services keep, rebuilt in one pass (UTC days).
    DailyTotal.objects.filter(merchant=merchant).delete()
    rows = (
        Payment.objects.filter(merchant=merchant, status__in=["succeeded", "refunded"])
        .annotate(day=TruncDate("created_at"))
        .values("day", "account")
        .annotate(gross=Sum("amount"), n=Count("id"), fees=Sum("fee"))
    )
    DailyTotal.objects.bulk_create(
        DailyTotal(
            merchant=merchant,
            day=row["day"],
            account=row["account"],
            currency="USD",
            gross=row["gross"],
            payment_count=row["n"],
            fees=row["fees"],
        )
        for row in rows
    )
    return admin


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    admin = load(args.payments)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(admin)
    payments = Payment.objects.filter(merchant=admin.merchant).order_by(
        "-created_at", "-pk"
    )
    middle = payments[args.payments // 2]
    deep = encode_cursor(middle.created_at, middle.pk)
    week_end = middle.created_at.date()
    week_start = week_end - timedelta(days=6)
    cases = [
        ("first page", "/transactions/"),
        ("deep page (after row N/2)", f"/transactions/?after={deep}"),
        (
            "date range: 7 days",
            f"/transactions/?date_from={week_start}&date_to={week_end}",
        ),
        ("last four: 4242", "/transactions/?last4=4242"),
        ("status: refunded", "/transactions/?status=refunded"),
        ("account: trust", "/transactions/?account=trust"),
        ("sort by amount, desc", "/transactions/?sort=-amount"),
        ("search, selective: MAT-0777777", "/transactions/?q=MAT-0777777"),
        ("search, common: smith", "/transactions/?q=smith"),
        ("payment record", f"/transactions/{middle.pk}/"),
        ("dashboard, 30 days", "/"),
        ("refunds page", "/refunds/"),
        ("chargebacks page", "/chargebacks/"),
    ]
    print(
        f"{connection.vendor}, {args.payments} payments in one firm, "
        f"{args.runs} runs each"
    )
    print(f"{'page':34} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for label, url in cases:
        median, p95, queries = measure(client, url, args.runs)
        print(f"{label:34} {median:10.1f} {p95:8.1f} {queries:8d}")


if __name__ == "__main__":
    main()
