"""What one payment costs `payportal seed`, part by part, each part timed
alone on one core.

    export PAYPORTAL_DATA_DIR=/tmp/pp-bench   # or DATABASE_URL=...
    .venv/bin/payportal seed --merchants 2 --users 100000 --payments 1000000
    .venv/bin/python bench/seed_costs.py [--batches 5]

On a database `payportal seed` has filled, with the seed's own functions
and session settings:

- making the rows: the generator (``services._make_batch``), in this
  process, for ``--batches`` new batches of the largest firm;
- storing them: ``services._write_payments`` (this process and, on
  PostgreSQL, the server's COPY) with the list and search indexes dropped,
  as during a large load, in a transaction that is rolled back;
- building each list and search index of payments, refunds and
  chargebacks again, one after another, per payment in the table, on one
  core (the seed lets SQLite sort with two threads and PostgreSQL build a
  B-tree with parallel workers: the same work, spread).

Each part's seconds on an otherwise idle machine are its machine time.
Their sum, divided by the cores, is the fewest seconds a load could take
per payment with every core busy all the time: the best rate the seed
could reach. It holds for the minutes it was measured in: this project's
machines vary in speed by a quarter or more from one run to the next, so
compare it with a seed run in the same minutes. The indexes are built
again before the script ends; if it is stopped in between, the next
`payportal seed` builds them.
Not part of the test suite (which runs it on tiny data).
"""

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


@dataclass(frozen=True)
class Part:
    name: str
    us_per_payment: float


class _Undo(Exception):
    """Rolls the stored batches back."""


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="bench/seed_costs.py",
        description="Time the parts of `payportal seed`, per payment.",
    )
    parser.add_argument("--batches", type=int, default=5)
    args = parser.parse_args(argv)
    import django
    from django.conf import settings

    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "payportal.settings")
        django.setup()
    return run(args.batches)


def run(batches: int) -> dict:
    from django.db import connection

    from bench.compare import pick_firms
    from payportal.core import search
    from payportal.payments.models import Dispute, Payment, Refund
    from payportal.seed import bulk, services

    firm, _ = pick_firms(None)
    models = (Payment, Refund, Dispute)
    have = Payment.objects.filter(merchant=firm).count()
    in_table = Payment.objects.count()
    size = services.BATCH
    plan = services.SeedPlan(
        merchants=1, users=0, payments=have + batches * size, days=730, seed=1
    )
    payment_plan = services.plan_payments(firm, 1, plan.payments, plan)
    spans = [(have + n * size, have + (n + 1) * size) for n in range(batches)]
    copy = connection.vendor == "postgresql"
    parts = []
    with services.fast_writes(), _one_core():
        ids = list(range(1, size + 1)) if copy else None
        # A first batch untimed: the generator's pools are made once.
        services._make_batch(payment_plan, plan.seed, spans[0], ids)
        started = time.perf_counter()
        for span in spans:
            services._make_batch(payment_plan, plan.seed, span, ids)
        made = time.perf_counter() - started
        parts.append(Part("making the rows", made / (batches * size) * 1e6))

        bulk.drop_indexes(*models)
        search.drop_search_indexes(*models)
        try:
            stored = _store(firm, payment_plan, plan.seed, spans, copy)
            parts.append(Part("storing them", stored / (batches * size) * 1e6))
            builds = search.search_index_builds(*models) + bulk.index_builds(*models)
            for name, build in builds:
                started = time.perf_counter()
                build()
                took = time.perf_counter() - started
                parts.append(Part(f"index {name}", took / in_table * 1e6))
        finally:
            services._restore_indexes(*models)
    return _report(parts, in_table, connection.vendor)


@contextmanager
def _one_core() -> Iterator[None]:
    """Index builds on one core, so that their seconds are machine time:
    no SQLite sorter threads, no PostgreSQL parallel B-tree workers. The
    setting in force before (``fast_writes``'s) comes back afterwards."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA threads")
            restore = f"PRAGMA threads={cursor.fetchone()[0]}"
            cursor.execute("PRAGMA threads=0")
        else:
            cursor.execute("SHOW max_parallel_maintenance_workers")
            restore = f"SET max_parallel_maintenance_workers = {cursor.fetchone()[0]}"
            cursor.execute("SET max_parallel_maintenance_workers = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(restore)


def _store(firm, payment_plan, seed: int, spans: list, copy: bool) -> float:
    """Seconds ``_write_payments`` took for ``spans``, rolled back."""
    from django.db import transaction

    from payportal.payments.models import Payment
    from payportal.seed import bulk, services

    took = 0.0
    for span in spans:
        try:
            with transaction.atomic():
                ids = bulk.reserve_ids(Payment, span[1] - span[0]) if copy else None
                batch = services._make_batch(payment_plan, seed, span, ids)
                started = time.perf_counter()
                services._write_payments(firm, batch)
                took += time.perf_counter() - started
                raise _Undo
        except _Undo:
            pass
    return took


def _report(parts: list[Part], in_table: int, vendor: str) -> dict:
    cores = os.cpu_count() or 1
    total = sum(part.us_per_payment for part in parts)
    rows = sum(part.us_per_payment for part in parts[:2])
    print(f"{vendor}, {in_table:,} payments in the table; µs of machine time")
    for part in parts:
        print(f"  {part.name:40} {part.us_per_payment:8.2f}")
    print(f"  {'all':40} {total:8.2f}")
    best = cores / total * 1e6
    best_rows = cores / rows * 1e6
    print(
        f"On {cores} cores, kept busy all the time: at best about "
        f"{best:,.0f} payments/s with the index builds, {best_rows:,.0f}/s "
        "without them."
    )
    return {
        "parts": {part.name: part.us_per_payment for part in parts},
        "total": total,
        "cores": cores,
        "best": best,
        "best_without_indexes": best_rows,
    }


if __name__ == "__main__":
    main()
