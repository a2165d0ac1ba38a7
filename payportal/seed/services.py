"""Fill a database with realistic firms, staff and card activity, fast.

Large loads drop the list indexes and the search indexes' upkeep
(core/search.py) and build them once at the end; a run that was killed in
between has them built again by the next run.

Firms, their roles and first logins are made through the merchant and
role services (audited, as in real life). Staff, payments, refunds and
chargebacks are bulk-inserted in batches of ``BATCH`` rows, each batch in
its own transaction together with the daily totals the services would have
kept for it, so the dashboard is right and an interrupted load resumes
where it stopped: a firm's existing rows are counted and the next batch is
generated from there (``data.batch_random`` makes every batch the same
whichever run makes it).
"""

import multiprocessing
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from payportal.accounts.models import Role, User
from payportal.accounts.permissions import PRESETS
from payportal.accounts.services import roles as role_services
from payportal.core import search
from payportal.merchants import services as merchant_services
from payportal.merchants.models import Merchant
from payportal.payments.models import DailyTotal, Dispute, Payment, Refund
from payportal.seed import bulk, data

BATCH = 20_000
# Each firm's first login: seedadmin1, seedadmin2, ...
ADMIN_USERNAME = "seedadmin{firm}"
FIRM_NAME = "Seed Firm {firm} LLP"
DEFAULT_PASSWORD = "Seeded-portal-2026"  # noqa: S105 - printed, for test data
# Small firms get this share of the large firm's payments (at least one).
SMALL_FIRM_SHARE = 1_000
# Loads at least this large, and at least this share of the rows already
# there, drop the indexes and build them again at the end: rebuilding is
# much cheaper than keeping the search index up to date row by row (SQLite:
# 7,000 rows/s with its triggers, 72,000 without).
DEFER_INDEXES_FROM = 50_000
DEFER_INDEXES_SHARE = 0.1

Progress = Callable[[int], None]


@dataclass(frozen=True)
class SeedLogin:
    merchant: Merchant
    username: str
    password: str


@dataclass(frozen=True)
class SeedPlan:
    merchants: int
    users: int
    payments: int
    days: int
    seed: int
    password: str = DEFAULT_PASSWORD

    def payments_for(self, firm: int) -> int:
        if firm == 1:
            return self.payments
        return max(1, self.payments // SMALL_FIRM_SHARE) if self.payments else 0


@dataclass
class SeedResult:
    logins: list[SeedLogin]
    users_added: int = 0
    payments_added: int = 0
    refunds_added: int = 0
    disputes_added: int = 0
    payment_seconds: float = 0.0
    user_seconds: float = 0.0
    # The part of each spent building indexes (large loads).
    payment_index_seconds: float = 0.0
    user_index_seconds: float = 0.0
    # PostgreSQL: VACUUM and ANALYZE of the loaded tables, at the end.
    vacuumed: bool = False
    tidy_seconds: float = 0.0


@dataclass
class _Builds:
    seconds: float = 0.0


def ensure_firm(firm: int, password: str) -> SeedLogin:
    """Firm number ``firm`` with its Administrator, the preset roles and its
    first login, made once."""
    username = ADMIN_USERNAME.format(firm=firm)
    admin = User.objects.filter(username__iexact=username).first()
    if admin is None:
        with transaction.atomic():
            merchant, admin, _ = merchant_services.create_merchant(
                name=FIRM_NAME.format(firm=firm),
                admin_username=username,
                admin_email=f"{username}@seed.example",
                admin_full_name=f"Seed Admin {firm}",
                admin_password=password,
            )
            # A demo login: usable at once, like `payportal demo`'s.
            admin.must_change_password = False
            admin.save(update_fields=["must_change_password"])
            for name, description, codes in PRESETS.values():
                role_services.create_role(
                    merchant=merchant,
                    actor=admin,
                    name=name,
                    description=description,
                    permissions=list(codes),
                    request=None,
                )
    return SeedLogin(admin.merchant, username, password)


@contextmanager
def fast_writes() -> Iterator[None]:
    """Session settings for a bulk load.

    - SQLite: no fsync per batch (a crash loses at most the batches since
      the last checkpoint, which the next run makes again), a large cache,
      two threads for sorting index builds, and foreign keys not checked
      row by row.
    - PostgreSQL: commits without waiting for the disk (the same trade),
      memory enough to build the indexes in one pass, and, where the role
      may (a superuser, as `pg_restore --disable-triggers` needs), triggers
      off for this session (``session_replication_role``): no foreign-key
      check per row. The other triggers guard the audit log against
      changes, which the seed never makes.

    The generator makes every reference from rows it has just made or read
    (the firm, its users, the payment in the same batch), so the checks
    could only pass; the seed tests check the references after a load."""
    if connection.in_atomic_block:
        # (SQLite refuses these inside a transaction, as in tests.)
        yield
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
            cursor.execute(f"SET maintenance_work_mem = '{bulk.BUILD_MEMORY}'")
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            superuser = cursor.fetchone()[0]
            if superuser:
                cursor.execute("SET session_replication_role = replica")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
                cursor.execute("RESET maintenance_work_mem")
                # Only a superuser may set it, RESET included.
                if superuser:
                    cursor.execute("RESET session_replication_role")
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-262144")  # 256 MB
        cursor.execute("PRAGMA threads=2")
        cursor.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA threads=0")
            cursor.execute("PRAGMA foreign_keys=ON")


def _batches(have: int, want: int) -> Iterator[tuple[int, int]]:
    start = have
    while start < want:
        stop = min(want, start - start % BATCH + BATCH)
        yield start, stop
        start = stop


def seed_users(login: SeedLogin, firm: int, plan: SeedPlan, progress: Progress) -> int:
    """Bring the firm to ``plan.users`` users (its first login included)."""
    merchant = login.merchant
    have = User.objects.filter(merchant=merchant).count()
    if have >= plan.users:
        return 0
    admin = User.objects.get(username__iexact=login.username)
    roles = Role.objects.filter(merchant=merchant).order_by("id")
    role_ids = tuple(roles.values_list("id", flat=True))
    user_plan = data.UserPlan(
        merchant_id=merchant.pk,
        firm=firm,
        role_ids=role_ids,
        # One hash for all: Argon2 is slow on purpose. Every seeded user
        # signs in with the seed password.
        password_hash=make_password(plan.password),
        created_by_id=admin.pk,
        now=timezone.now(),
        days=plan.days,
        domain=f"firm{firm}.example",
        as_text=bulk.datetime_text(),
    )
    added = 0
    for start, stop in _batches(have, plan.users):
        rows = data.user_rows(
            user_plan, data.batch_random(plan.seed, firm, start), start, stop
        )
        with transaction.atomic():
            bulk.insert_rows(User, data.USER_FIELDS, rows)
        added += len(rows)
        progress(len(rows))
    return added


def _add_totals(merchant: Merchant, daily: dict) -> None:
    """Add the batch's daily-total figures (``data.Batch.daily``, already
    summed per firm day and account by the generator): what the services
    would have added row by row, in one upsert."""
    rows = [
        (merchant.pk, day, account, merchant.currency, *figures)
        for (day, account), figures in daily.items()
    ]
    bulk.add_to_totals(
        DailyTotal,
        ("merchant_id", "day", "account", "currency"),
        data.TOTAL_FIELDS,
        rows,
    )


def seed_payments(
    login: SeedLogin, firm: int, plan: SeedPlan, progress: Progress
) -> tuple[int, int, int]:
    """Bring the firm to its share of payments, with refunds, chargebacks
    and daily totals. Returns (payments, refunds, chargebacks) added."""
    merchant = login.merchant
    want = plan.payments_for(firm)
    have = Payment.objects.filter(merchant=merchant).count()
    if have >= want:
        return 0, 0, 0
    payment_plan = plan_payments(merchant, firm, want, plan)
    payments = refunds = disputes = 0

    # Batches are generated in two other processes while this one writes,
    # each generator one batch ahead. PostgreSQL's server stores the rows
    # while this process only passes text on; on SQLite this process does
    # the storing, on one core. Either way one generator alone could not
    # keep up (on SQLite it left this process waiting a third of the time).
    spans = list(_batches(have, want))
    copy = connection.vendor == "postgresql"
    generators = 2
    with ProcessPoolExecutor(max_workers=generators, mp_context=_fork()) as pool:

        def submit(span: tuple[int, int]) -> Future[data.Batch | CopyBatch]:
            # PostgreSQL: the ids are handed out first (a sequence gives
            # them out once, in order), so the generator writes the COPY
            # text whole and this process only passes it on.
            ids = bulk.reserve_ids(Payment, span[1] - span[0]) if copy else None
            return pool.submit(_make_batch, payment_plan, plan.seed, span, ids)

        # Batches in the making, in order: one per generator.
        upcoming = deque(submit(span) for span in spans[:generators])
        for n in range(len(spans)):
            batch = upcoming.popleft().result()
            if n + generators < len(spans):
                upcoming.append(submit(spans[n + generators]))
            _write_payments(merchant, batch)
            payments += batch.counts[0]
            refunds += batch.counts[1]
            disputes += batch.counts[2]
            progress(batch.counts[0])
    return payments, refunds, disputes


def plan_payments(
    merchant: Merchant, firm: int, want: int, plan: SeedPlan
) -> data.PaymentPlan:
    """What the generator needs to make the firm's payments up to ``want``
    (also used by bench/seed_costs.py)."""
    refunders = tuple(
        User.objects.filter(merchant=merchant, is_active=True)
        .order_by("id")
        .values_list("id", flat=True)[:20]
    )
    # The span ends when the firm was set up, so a resumed load makes the
    # same times as the first run (and ids follow time).
    # Naive UTC from here: the loop formats millions of them.
    end = merchant.created_at.astimezone(UTC).replace(tzinfo=None)
    return data.PaymentPlan(
        merchant_id=merchant.pk,
        firm=firm,
        count=want,
        currency=merchant.currency,
        refund_user_ids=refunders,
        start=end - timedelta(days=plan.days),
        end=end,
        as_text=bulk.datetime_text(),
        tz=merchant.tz,
    )


def _fork() -> multiprocessing.context.BaseContext:
    # Fork: the child needs no set-up and touches no database connection
    # (it only computes rows, and exits without running finalisers).
    return multiprocessing.get_context("fork")


@dataclass(frozen=True)
class CopyBatch:
    """A batch as PostgreSQL's COPY takes it (``bulk.copy_text``), its ids
    already in: (payments, refunds, chargebacks) and the daily totals."""

    payments: bytes
    refunds: bytes
    disputes: bytes
    counts: tuple[int, int, int]
    daily: dict


def _make_batch(
    payment_plan: data.PaymentPlan,
    seed: int,
    span: tuple[int, int],
    ids: list[int] | None = None,
) -> data.Batch | CopyBatch:
    """Runs in the generator process: the batch's rows, as tuples, or with
    ``ids`` (PostgreSQL) as COPY text."""
    start, stop = span
    rng = data.batch_random(seed, payment_plan.firm, start)
    batch = data.payment_batch(payment_plan, rng, start, stop)
    batch.daily = data.daily_totals(batch.totals, payment_plan.tz)
    if ids is None:
        return batch
    payments, refunds, disputes = _with_ids(batch, ids, payment_plan.merchant_id)
    return CopyBatch(
        payments=bulk.copy_text(payments),
        refunds=bulk.copy_text(refunds),
        disputes=bulk.copy_text(disputes),
        counts=batch.counts,
        daily=batch.daily,
    )


def _with_ids(
    batch: data.Batch, ids: list[int], merchant_id: int
) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """The batch's rows as stored: payments with their ``ids``; refunds and
    chargebacks with the firm and their payment's id (they name it by its
    place in the batch)."""
    return (
        [(pk, *row) for pk, row in zip(ids, batch.payments, strict=True)],
        [(merchant_id, ids[row[0]], *row[1:]) for row in batch.refunds],
        [(merchant_id, ids[row[0]], *row[1:]) for row in batch.disputes],
    )


def _write_payments(merchant: Merchant, batch: data.Batch | CopyBatch) -> None:
    """One batch in one transaction: ids handed out (or, for COPY text,
    already in), rows stored, the daily totals added."""
    with transaction.atomic():
        if isinstance(batch, CopyBatch):
            bulk.copy_rows(Payment, data.PAYMENT_FIELDS, batch.payments)
            bulk.copy_rows(Refund, data.REFUND_FIELDS, batch.refunds)
            bulk.copy_rows(Dispute, data.DISPUTE_FIELDS, batch.disputes)
        else:
            ids = bulk.reserve_ids(Payment, len(batch.payments))
            payments, refunds, disputes = _with_ids(batch, ids, merchant.pk)
            bulk.insert_rows(Payment, data.PAYMENT_FIELDS, payments)
            if refunds:
                bulk.insert_rows(Refund, data.REFUND_FIELDS, refunds)
            if disputes:
                bulk.insert_rows(Dispute, data.DISPUTE_FIELDS, disputes)
        _add_totals(merchant, batch.daily)


def rows_to_add(plan: SeedPlan) -> tuple[int, int]:
    """Users and payments still to load (for the progress bar)."""
    users = payments = 0
    for firm in range(1, plan.merchants + 1):
        merchant = Merchant.objects.filter(name=FIRM_NAME.format(firm=firm)).first()
        have_users = have_payments = 0
        if merchant is not None:
            have_users = User.objects.filter(merchant=merchant).count()
            have_payments = Payment.objects.filter(merchant=merchant).count()
        users += max(0, plan.users - max(have_users, 1))
        payments += max(0, plan.payments_for(firm) - have_payments)
    return users, payments


def _large(model: type[Model], adding: int) -> bool:
    """Whether a load of ``adding`` rows is worth rebuilding the indexes."""
    if adding < DEFER_INDEXES_FROM:
        return False
    return adding >= DEFER_INDEXES_SHARE * model.objects.count()


@contextmanager
def _indexes_deferred(*models: type[Model], defer: bool) -> Iterator[_Builds]:
    """Drop the models' list indexes and the upkeep of their search indexes
    for a large load, and build them all once at the end (the time it took
    is in the yielded ``_Builds`` afterwards)."""
    builds = _Builds()
    if not defer:
        yield builds
        return
    bulk.drop_indexes(*models)
    search.drop_search_indexes(*models)
    try:
        yield builds
    finally:
        started = time.perf_counter()
        _restore_indexes(*models)
        builds.seconds = time.perf_counter() - started


def _restore_indexes(*models: type[Model]) -> list[str]:
    """Build what is missing of the models' list and search indexes, two at
    a time where the database allows:

    - PostgreSQL: two sessions, the GIN indexes (the longest, one core
      each) first, then the B-trees, each session taking the next build.
    - SQLite, a database file: the FTS index is built in a file apart by a
      second connection in a thread, while this one builds the B-trees
      (``search.fts_build_apart``), then copied in.
    - Otherwise (in a transaction, as in tests; in memory): one by one."""
    builds = bulk.index_builds(*models)
    source = _sqlite_file()
    if source is None:
        builds = search.search_index_builds(*models) + builds
        return bulk.run_builds(builds, sessions=2)
    missing = search.missing_search_indexes(*models)
    names = [each.index for each in missing]
    with (
        tempfile.TemporaryDirectory(dir=Path(source).parent) as scratch,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        targets = [str(Path(scratch) / f"{each.index}.sqlite3") for each in missing]
        apart = [
            pool.submit(search.fts_build_apart, each, source, target)
            for each, target in zip(missing, targets, strict=True)
        ]
        names += bulk.run_builds(builds)
        for each, target, future in zip(missing, targets, apart, strict=True):
            future.result()
            connection.ensure_connection()
            search.fts_install(each, connection.connection, target)
    return names


def _sqlite_file() -> str | None:
    """The SQLite database's file, when its indexes can be built apart:
    outside a transaction, not in memory."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return None
    if connection.is_in_memory_db():
        return None
    return str(connection.settings_dict["NAME"])


def seed(plan: SeedPlan, progress: Progress = lambda n: None) -> SeedResult:
    """Load ``plan``: firms 1..merchants, each with ``users`` users; firm 1
    holds ``payments`` payments and the others a small share."""
    result = SeedResult(logins=[])
    users, payments = rows_to_add(plan)
    with fast_writes():
        # Indexes a stopped run left dropped come back first.
        _restore_indexes(User, Payment, Refund, Dispute)
        result.logins = [
            ensure_firm(firm, plan.password) for firm in range(1, plan.merchants + 1)
        ]
        started = time.perf_counter()
        with _indexes_deferred(User, defer=_large(User, users)) as builds:
            for firm, login in enumerate(result.logins, start=1):
                result.users_added += seed_users(login, firm, plan, progress)
        result.user_seconds = time.perf_counter() - started
        result.user_index_seconds = builds.seconds
        started = time.perf_counter()
        deferred = (Payment, Refund, Dispute)
        large = _large(Payment, payments)
        with _indexes_deferred(*deferred, defer=large) as builds:
            for firm, login in enumerate(result.logins, start=1):
                added = seed_payments(login, firm, plan, progress)
                result.payments_added += added[0]
                result.refunds_added += added[1]
                result.disputes_added += added[2]
        result.payment_seconds = time.perf_counter() - started
        result.payment_index_seconds = builds.seconds
    started = time.perf_counter()
    result.vacuumed = _tidy_up(User, Payment, Refund, Dispute, DailyTotal)
    result.tidy_seconds = time.perf_counter() - started
    return result


def _tidy_up(*models: type[Model]) -> bool:
    """PostgreSQL, after a load: fresh statistics, so the planner knows the
    new sizes at once, and, outside a transaction, a VACUUM, which marks
    the loaded pages all-visible. Until then an index-only scan (the Users
    page's walk, the admin's COUNT) visits the table for every entry, and
    autovacuum may be off, or not come by for a while. Returns whether
    it vacuumed."""
    if connection.vendor != "postgresql":
        return False
    vacuum = not connection.in_atomic_block
    verb = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f'{verb} "{model._meta.db_table}"')
    return vacuum
