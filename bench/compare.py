"""Time the portal's pages against the Django admin on the same database.

    export PAYPORTAL_DATA_DIR=/tmp/pp-bench
    .venv/bin/python bench/compare.py [--runs 20] [--json results.json]
    # the same on PostgreSQL:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/payportal_bench \\
        .venv/bin/python bench/compare.py

Reads an existing database (fill it with ``payportal seed`` first); it
loads and migrates nothing, and writes only what any visit writes (the
session, an audit event per export). The firm is ``--merchant NAME``,
else the one with the most payments for the Transactions pages and the one
with the most users (ties: most payments) for the Users pages; it signs in
as the firm's first active administrator.

Each operation asks the portal's page and the Django admin's changelist
(mounted by this script only: bench/settings.py, bench/admin_site.py)
through Django's test client, every middleware included, in turns and the
same number of times, so a machine busy for a moment slows both alike;
where a side's requests add up to ``--budget`` seconds both stop early,
and the runs column says so. Then it streams the CSV export at two sizes
(``--export-rows``, chosen by a date range): rows per second and how far
the process's resident memory rose.

Prints one table: median and p95 per side, admin/ours ratio of the
medians, our SQL queries per page; ``--json FILE`` writes the same.
``main(argv)`` runs it in-process too (``--quick``: few runs, a small
export), also where Django is already set up, e.g. by the test suite.
Not part of the test suite's timings.
"""

import argparse
import contextlib
import json
import os
import re
import shlex
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

SETTINGS_MODULE = "bench.settings"
ADMIN = "/admin"
DEFAULT_EXPORT_ROWS = "100000,1000000"
QUICK_EXPORT_ROWS = "100,1000"
# How many rows to read when picking a common word of the data.
WORD_SAMPLE = 2_000
# Sample the resident memory every so many export chunks (500 rows each).
RSS_EVERY_CHUNKS = 2


@dataclass(frozen=True)
class Operation:
    name: str
    ours: str
    # None where the admin has no counterpart (the dashboard).
    admin: str | None
    firm: str


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/compare.py",
        description="Time the portal's pages against the Django admin.",
    )
    parser.add_argument("--merchant", help="firm name (default: the largest)")
    parser.add_argument("--runs", type=int, help="timed requests per operation")
    parser.add_argument(
        "--budget",
        type=float,
        help="stop an operation once one side's requests took this long "
        "(at least 3 runs each)",
    )
    parser.add_argument(
        "--export-rows",
        help="CSV export sizes, comma separated; 0 skips the export "
        f"(default {DEFAULT_EXPORT_ROWS}, capped at the firm's payments)",
    )
    parser.add_argument(
        "--analyze", action="store_true", help="run ANALYZE first (PostgreSQL)"
    )
    parser.add_argument("--json", metavar="FILE", help="also write results here")
    parser.add_argument(
        "--quick", action="store_true", help="3 runs and a small export (smoke test)"
    )
    args = parser.parse_args(argv)
    if args.runs is None:
        args.runs = 3 if args.quick else 20
    if args.budget is None:
        args.budget = 5.0 if args.quick else 30.0
    if args.export_rows is None:
        args.export_rows = QUICK_EXPORT_ROWS if args.quick else DEFAULT_EXPORT_ROWS
    try:
        args.export_sizes = sorted(
            {int(n) for n in args.export_rows.split(",") if int(n) > 0}
        )
    except ValueError:
        parser.error("--export-rows takes whole numbers, like 100000,1000000")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


@contextlib.contextmanager
def bench_django() -> Iterator[None]:
    """Django set up with bench.settings: by this script when it is the
    first to set Django up, else (the test suite) as overrides of the
    settings in use, for the duration of the run."""
    import django
    from django.conf import settings

    if not settings.configured:
        os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
        django.setup()
        yield
        return
    if getattr(settings, "SETTINGS_MODULE", None) == SETTINGS_MODULE:
        yield
        return
    from django.test.utils import override_settings

    from bench.settings import bench_overrides

    overrides = bench_overrides(
        list(settings.INSTALLED_APPS),
        list(settings.ALLOWED_HOSTS),
        dict(settings.STORAGES),
    )
    with override_settings(**overrides):
        yield


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    with bench_django():
        return run(args, command=command_line(argv))


def command_line(argv: list[str] | None) -> str:
    """The command as typed, with the environment that picks the database
    (a password in DATABASE_URL masked)."""
    env = []
    for name in ("PAYPORTAL_DATA_DIR", "DATABASE_URL"):
        if value := os.environ.get(name):
            value = re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", value)
            env.append(f"{name}={shlex.quote(value)}")
    python = sys.executable
    if python.startswith(os.getcwd() + os.sep):
        python = os.path.relpath(python)
    if argv is None:
        words = [python, *sys.argv]
    else:
        words = [python, os.path.relpath(__file__), *argv]
    return " ".join([*env, shlex.join(words)])


def run(args: argparse.Namespace, *, command: str) -> dict[str, Any]:
    from django.db import connection

    from bench.timing import time_pages

    check_migrated()
    if args.analyze and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE accounts_user")
            cursor.execute("ANALYZE payments_payment")
    pay_firm, user_firm = pick_firms(args.merchant)
    logins = {firm.pk: signed_in_client(firm) for firm in {pay_firm, user_firm}}
    clients = {pk: client for pk, (client, _username) in logins.items()}
    operations = [*user_operations(user_firm), *payment_operations(pay_firm)]
    results = {
        "command": command,
        "database": database_description(),
        "firms": {
            "users": firm_description(user_firm, login=logins[user_firm.pk][1]),
            "payments": firm_description(pay_firm, login=logins[pay_firm.pk][1]),
        },
        "row_counts": row_counts(),
        "runs": args.runs,
        "budget_seconds": args.budget,
        "operations": [],
        "export": [],
    }
    print_header(results)
    print_table_head()
    for op in operations:
        client = clients[user_firm.pk if op.firm == "users" else pay_firm.pk]
        # Both sides in turns, the same number of times.
        urls = [op.ours] if op.admin is None else [op.ours, op.admin]
        ours, *others = time_pages(client, urls, args.runs, budget_seconds=args.budget)
        admin = others[0] if others else None
        row = {
            "operation": op.name,
            "ours_url": op.ours,
            "admin_url": op.admin,
            "ours": asdict(ours),
            "admin": asdict(admin) if admin else None,
            "ratio": admin.median_ms / ours.median_ms if admin else None,
        }
        results["operations"].append(row)
        print_row(row)
    if args.export_sizes:
        client = clients[pay_firm.pk]
        for rows, url in export_urls(pay_firm, args.export_sizes):
            result = time_export(client, url)
            result["rows_asked"] = rows
            results["export"].append(result)
        print_export(results["export"])
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
            out.write("\n")
        print(f"\nwrote {args.json}")
    return results


# --- The firm, its login and the data's facts --------------------------------


def check_migrated() -> None:
    """Refuse a database behind the code (the benchmark never migrates it);
    the admin's own tables are not needed for its changelists."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = [
        f"{migration.app_label}.{migration.name}"
        for migration, _backwards in plan
        if migration.app_label != "admin"
    ]
    if pending:
        raise SystemExit(
            "The database is behind the code: run `payportal migrate` first "
            f"(not applied: {', '.join(pending)})."
        )


def pick_firms(name: str | None) -> tuple[Any, Any]:
    """(firm for the Transactions pages, firm for the Users pages)."""
    from django.db.models import Count

    from payportal.accounts.models import User
    from payportal.merchants.models import Merchant
    from payportal.payments.models import Payment

    if name:
        firm = Merchant.objects.filter(name=name).first()
        if firm is None:
            raise SystemExit(f"No firm named {name!r} in this database.")
        return firm, firm
    by_payments = list(
        Payment.objects.values_list("merchant")
        .annotate(n=Count("id"))
        .order_by("-n", "merchant")[:1]
    )
    if not by_payments:
        raise SystemExit(
            "No payments in this database: fill it first (payportal seed)."
        )
    pay_firm = Merchant.objects.get(pk=by_payments[0][0])
    by_users = list(
        User.objects.values_list("merchant")
        .annotate(n=Count("id"))
        .order_by("-n", "merchant")
    )
    most = by_users[0][1]
    tied = [pk for pk, n in by_users if n == most]
    user_firm = pay_firm if pay_firm.pk in tied else Merchant.objects.get(pk=tied[0])
    return pay_firm, user_firm


def signed_in_client(firm: Any) -> tuple[Any, str]:
    """A test client signed in as the firm's first active administrator,
    and the administrator's username."""
    from django.test import Client

    from payportal.accounts.models import User

    user = (
        User.objects.filter(merchant=firm, is_active=True, role__is_administrator=True)
        .order_by("pk")
        .first()
    )
    if user is None:
        raise SystemExit(f"{firm.name} has no active administrator to sign in as.")
    client = Client()
    client.force_login(user)
    response = client.get("/")
    if response.status_code != 200:
        raise SystemExit(
            f"{user.username} of {firm.name} can't open the dashboard "
            f"(HTTP {response.status_code} {response.get('Location', '')}): "
            "a temporary or expired password, or two-step sign-in required?"
        )
    return client, user.username


def firm_description(firm: Any, *, login: str) -> dict[str, Any]:
    from payportal.accounts.models import User
    from payportal.payments.models import Payment

    return {
        "name": firm.name,
        "id": firm.pk,
        "login": login,
        "users": User.objects.filter(merchant=firm).count(),
        "payments": Payment.objects.filter(merchant=firm).count(),
    }


def row_counts() -> dict[str, int]:
    from payportal.accounts.models import User
    from payportal.merchants.models import Merchant
    from payportal.payments.models import Dispute, Payment, Refund

    return {
        "firms": Merchant.objects.count(),
        "users": User.objects.count(),
        "payments": Payment.objects.count(),
        "refunds": Refund.objects.count(),
        "disputes": Dispute.objects.count(),
    }


def database_description() -> dict[str, str]:
    from django.db import connection

    if connection.vendor == "postgresql":
        version = str(connection.pg_version)
        version = f"{int(version[:-4])}.{int(version[-4:])}"
    elif connection.vendor == "sqlite":
        import sqlite3

        version = sqlite3.sqlite_version
    else:
        version = ""
    return {
        "vendor": connection.vendor,
        "version": version,
        "name": str(connection.settings_dict["NAME"]),
    }


def common_word(names: list[str]) -> str:
    """The most frequent last word of letters in ``names`` (a surname),
    lowercased; "smith" when there is none."""
    words = Counter()
    for name in names:
        letters = re.findall(r"[A-Za-z]{3,}", name)
        if letters:
            words[letters[-1].lower()] += 1
    return words.most_common(1)[0][0] if words else "smith"


# --- The operations ------------------------------------------------------------


def user_operations(firm: Any) -> list[Operation]:
    from payportal.accounts.models import User
    from payportal.core.pagination import PAGE_SIZE, encode_cursor

    users = User.objects.filter(merchant=firm)
    count = users.count()
    middle = users.order_by("username", "pk")[count // 2]
    word = common_word(
        list(users.order_by("pk").values_list("full_name", flat=True)[:WORD_SAMPLE])
    )
    admin = f"{ADMIN}/accounts/user/"
    deep = urlencode({"after": encode_cursor(middle.username, middle.pk)})
    deep_page = count // 2 // PAGE_SIZE + 1

    def op(name: str, ours: str, admin: str | None) -> Operation:
        return Operation(name=f"users: {name}", ours=ours, admin=admin, firm="users")

    return [
        op("first page", "/users/", admin),
        op(
            f"deep page (row {count // 2})", f"/users/?{deep}", f"{admin}?p={deep_page}"
        ),
        op(
            f"search, selective ({middle.username})",
            f"/users/?q={middle.username}",
            f"{admin}?q={middle.username}",
        ),
        op(f"search, common ({word})", f"/users/?q={word}", f"{admin}?q={word}"),
        op(
            "status filter: inactive",
            "/users/?status=inactive",
            f"{admin}?is_active__exact=0",
        ),
    ]


def payment_operations(firm: Any) -> list[Operation]:
    from django.utils import timezone

    from payportal.core.dates import start_of_day
    from payportal.core.pagination import PAGE_SIZE, encode_cursor
    from payportal.payments.models import Payment

    payments = Payment.objects.filter(merchant=firm)
    count = payments.count()
    if not count:
        raise SystemExit(f"{firm.name} has no payments: fill it first.")
    middle = payments.order_by("-created_at", "-pk")[count // 2]
    word = common_word(
        list(
            payments.order_by("pk").values_list("cardholder_name", flat=True)[
                :WORD_SAMPLE
            ]
        )
    )
    admin = f"{ADMIN}/payments/payment/"
    deep = urlencode({"after": encode_cursor(middle.created_at, middle.pk)})
    deep_page = count // 2 // PAGE_SIZE + 1
    week_end = timezone.localdate(middle.created_at, timezone=firm.tz)
    week_start = week_end - timedelta(days=6)
    ours_week = urlencode({"date_from": week_start, "date_to": week_end})
    admin_week = urlencode(
        {
            "created_at__gte": start_of_day(week_start, firm.tz).isoformat(),
            "created_at__lt": start_of_day(
                week_end + timedelta(days=1), firm.tz
            ).isoformat(),
        }
    )
    last4 = middle.card_last4 or "4242"
    selective = middle.reference or middle.payer_email
    q_selective = urlencode({"q": selective})
    q_common = urlencode({"q": word})

    def op(name: str, ours: str, admin: str | None) -> Operation:
        return Operation(
            name=f"transactions: {name}", ours=ours, admin=admin, firm="payments"
        )

    return [
        op("first page", "/transactions/", admin),
        op(
            f"deep page (row {count // 2})",
            f"/transactions/?{deep}",
            f"{admin}?p={deep_page}",
        ),
        op(
            "date range: 7 days", f"/transactions/?{ours_week}", f"{admin}?{admin_week}"
        ),
        op(
            f"last four: {last4}",
            f"/transactions/?last4={last4}",
            f"{admin}?card_last4={last4}",
        ),
        op(
            f"search, selective ({selective})",
            f"/transactions/?{q_selective}",
            f"{admin}?{q_selective}",
        ),
        op(
            f"search, common ({word})",
            f"/transactions/?{q_common}",
            f"{admin}?{q_common}",
        ),
        op(
            "payment record",
            f"/transactions/{middle.pk}/",
            f"{admin}{middle.pk}/change/",
        ),
        Operation(name="dashboard: 30 days", ours="/", admin=None, firm="payments"),
    ]


# --- The CSV export ------------------------------------------------------------


def export_urls(firm: Any, sizes: list[int]) -> list[tuple[int, str]]:
    """(rows asked, export URL) per size: the newest ``rows`` payments, to
    the whole day (so a few more), or all of them when there are fewer.
    A single size below the firm's payments gets a tenth of it beside, to
    see memory at two sizes."""
    from django.utils import timezone

    from payportal.payments.models import Payment

    payments = Payment.objects.filter(merchant=firm).order_by("-created_at", "-pk")
    total = payments.count()
    sizes = sorted({min(size, total) for size in sizes})
    if len(sizes) == 1 and total >= 10:
        sizes = sorted({total // 10, sizes[0]})
    urls = []
    for rows in sizes:
        if rows >= total:
            urls.append((rows, "/transactions/export.csv"))
            continue
        nth = payments.values_list("created_at", flat=True)[rows - 1]
        day = timezone.localdate(nth, timezone=firm.tz)
        urls.append((rows, f"/transactions/export.csv?date_from={day}"))
    return urls


def resident_bytes() -> int:
    """The process's resident memory now (Linux), else its peak so far."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def time_export(client: Any, url: str) -> dict[str, Any]:
    """Stream one export to the end: rows, seconds, rows per second, and
    the resident memory before and at its highest (sampled)."""
    before = peak = resident_bytes()
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    lines = 0
    # The view streams a few hundred rows per chunk: count the lines (no
    # seeded text holds a line break), sampling memory every chunk.
    for chunks, chunk in enumerate(response.streaming_content):
        lines += chunk.count(b"\n")
        if chunks % RSS_EVERY_CHUNKS == 0:
            peak = max(peak, resident_bytes())
    # No response.close() here: the test client closes a streamed response
    # when its content runs out, with the connection-closing signal held
    # off. A second close() would fire it, and inside the test suite's
    # transaction that closes the PostgreSQL connection.
    seconds = time.perf_counter() - started
    peak = max(peak, resident_bytes())
    rows = max(lines - 1, 0)
    return {
        "url": url,
        "rows": rows,
        "seconds": seconds,
        "rows_per_second": rows / seconds if seconds else 0.0,
        "rss_before_mb": before / 2**20,
        "rss_peak_mb": peak / 2**20,
        "rss_growth_mb": (peak - before) / 2**20,
    }


# --- Printing ------------------------------------------------------------------

NAME_WIDTH = 46


def print_header(results: dict[str, Any]) -> None:
    db = results["database"]
    counts = results["row_counts"]
    print(f"command:  {results['command']}")
    print(f"database: {db['vendor']} {db['version']} ({db['name']})")
    print(
        "rows:     " + ", ".join(f"{count:,} {name}" for name, count in counts.items())
    )
    for part, firm in results["firms"].items():
        print(
            f"{part + ':':9} {firm['name']} (id {firm['id']}): "
            f"{firm['users']:,} users, {firm['payments']:,} payments; "
            f"signed in as {firm['login']}"
        )
    print(
        f"runs:     {results['runs']} per operation and side, in turns, after "
        f"one warm-up (fewer where a side took {results['budget_seconds']:g} s)"
    )
    print()


def print_table_head() -> None:
    print(
        f"{'operation':{NAME_WIDTH}} {'ours ms median / p95':>21} "
        f"{'admin ms median / p95':>22} {'admin/ours':>10} {'queries':>7} "
        f"{'runs':>7}"
    )


def print_row(row: dict[str, Any]) -> None:
    ours, admin = row["ours"], row["admin"]
    ours_text = f"{ours['median_ms']:9.1f} / {ours['p95_ms']:8.1f}"
    if admin:
        admin_text = f"{admin['median_ms']:9.1f} / {admin['p95_ms']:8.1f}"
        ratio = f"{row['ratio']:9.1f}x"
        runs = str(min(ours["runs"], admin["runs"]))
    else:
        admin_text, ratio, runs = "—", "—", str(ours["runs"])
    print(
        f"{row['operation'][:NAME_WIDTH]:{NAME_WIDTH}} {ours_text:>21} "
        f"{admin_text:>22} {ratio:>10} {ours['queries']:7d} {runs:>7}",
        flush=True,
    )


def print_export(exports: list[dict[str, Any]]) -> None:
    print()
    print(
        f"{'CSV export (ours)':{NAME_WIDTH}} {'rows':>10} {'seconds':>8} "
        f"{'rows/s':>9} {'RSS before MB':>13} {'peak MB':>8} {'growth MB':>9}"
    )
    for export in exports:
        print(
            f"{export['url'][:NAME_WIDTH]:{NAME_WIDTH}} {export['rows']:10,d} "
            f"{export['seconds']:8.2f} {export['rows_per_second']:9,.0f} "
            f"{export['rss_before_mb']:13.1f} {export['rss_peak_mb']:8.1f} "
            f"{export['rss_growth_mb']:9.1f}"
        )


if __name__ == "__main__":
    main()
