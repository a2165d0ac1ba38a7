"""Time the Users page of one firm holding many users (issue 2's target).

    export PAYPORTAL_DATA_DIR=/tmp/pp-bench
    .venv/bin/python bench/users_list.py [--users 100000] [--runs 30]
    # the same on PostgreSQL (an empty database named payportal_bench):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/payportal_bench \
        .venv/bin/python bench/users_list.py

Loads the users once (bulk inserts, one shared password hash), then asks
the page through Django's test client as a signed-in administrator: the
first page, a deep page, searches and filters. Prints the median and p95
of each and the number of SQL queries per page. Not part of the test suite.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "payportal.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from timing import measure  # noqa: E402 - bench/ is the script's folder

from payportal.accounts.models import Role, User  # noqa: E402
from payportal.core.pagination import encode_cursor  # noqa: E402
from payportal.merchants import services  # noqa: E402

FIRM = "Benchmark Firm LLP"
SURNAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
]


def load(count: int) -> User:
    admin = User.objects.filter(username="benchadmin").first()
    if admin is None:
        _, admin, _ = services.create_merchant(
            name=FIRM,
            admin_username="benchadmin",
            admin_email="b@example.com",
            admin_password="Bench-marking-2026",
        )
        admin.must_change_password = False
        admin.save(update_fields=["must_change_password"])
    merchant = admin.merchant
    have = User.objects.filter(merchant=merchant).count()
    role = Role.objects.get(merchant=merchant, is_administrator=True)
    hashed = make_password("Bench-marking-2026")
    batch = []
    started = time.perf_counter()
    for i in range(have, count):
        surname = SURNAMES[i % len(SURNAMES)]
        batch.append(
            User(
                merchant=merchant,
                role=role,
                username=f"u{i:07d}",
                full_name=f"Person {i} {surname}",
                email=f"u{i}@example.com",
                password=hashed,
                is_active=i % 10 != 0,
            )
        )
        if len(batch) == 5000:
            User.objects.bulk_create(batch)
            batch = []
    if batch:
        User.objects.bulk_create(batch)
    if count > have:
        print(f"loaded {count - have} users in {time.perf_counter() - started:.1f} s")
    return admin


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    admin = load(args.users)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(admin)
    users = User.objects.filter(merchant=admin.merchant).order_by("username", "pk")
    middle = users[args.users // 2]
    deep = encode_cursor(middle.username, middle.pk)
    cases = [
        ("first page", "/users/"),
        ("deep page (after row N/2)", f"/users/?after={deep}"),
        ("sort by last login, desc", "/users/?sort=-last_login"),
        ("status filter: inactive", "/users/?status=inactive"),
        ("search, selective: u0077777", "/users/?q=u0077777"),
        ("search, common: smith", "/users/?q=smith"),
    ]
    print(f"{connection.vendor}, {args.users} users in one firm, {args.runs} runs each")
    print(f"{'page':32} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for label, url in cases:
        median, p95, queries = measure(client, url, args.runs)
        print(f"{label:32} {median:10.1f} {p95:8.1f} {queries:8d}")


if __name__ == "__main__":
    main()
