"""What seeded rows look like: law-firm staff and card payments.

Every row is a pure function of the run's seed, the firm's number and the
row's number, so a load stopped half-way and started again produces the
same data as one that ran straight through. Values come out in storage
form for ``bulk.insert_rows``.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache, lru_cache

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth "
    "William Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen "
    "Christopher Lisa Daniel Nancy Matthew Betty Anthony Margaret Mark Sandra "
    "Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle "
    "Kenneth Carol Kevin Amanda Brian Dorothy George Melissa Timothy Deborah "
    "Priya Wei Mohammed Ana Olga Kwame Hiroshi Fatima Diego Ingrid"
).split()
# Surnames with rough weights: a few are common (a search for "smith"
# matches many rows), most are rare.
SURNAMES = (
    ("Smith", 40),
    ("Johnson", 30),
    ("Williams", 25),
    ("Brown", 22),
    ("Jones", 22),
    ("Garcia", 18),
    ("Miller", 16),
    ("Davis", 16),
    ("Rodriguez", 14),
    ("Martinez", 14),
    ("Hernandez", 12),
    ("Lopez", 12),
    ("Gonzalez", 10),
    ("Wilson", 10),
    ("Anderson", 10),
    ("Thomas", 10),
    ("Taylor", 10),
    ("Moore", 8),
    ("Jackson", 8),
    ("Martin", 8),
    ("Lee", 8),
    ("Perez", 6),
    ("Thompson", 6),
    ("White", 6),
    ("Harris", 6),
    ("Sanchez", 6),
    ("Clark", 6),
    ("Ramirez", 5),
    ("Lewis", 5),
    ("Robinson", 5),
    ("Walker", 5),
    ("Young", 5),
    ("Allen", 4),
    ("King", 4),
    ("Wright", 4),
    ("Scott", 4),
    ("Torres", 4),
    ("Nguyen", 4),
    ("Hill", 4),
    ("Flores", 4),
    ("Patel", 4),
    ("Okafor", 2),
    ("Kowalski", 2),
    ("Lindqvist", 2),
    ("Haddad", 2),
    ("Tanaka", 2),
    ("Oyelaran", 1),
    ("Brannigan", 1),
    ("Quintero", 1),
    ("Vasquez", 1),
)
_SURNAME_POOL = tuple(name for name, weight in SURNAMES for _ in range(weight))
COMPANY_SUFFIXES = ("Holdings LLC", "Inc.", "Properties LLC", "Family Trust", "& Co.")
DOMAINS = ("example.com", "example.org", "example.net", "mail.example")
MATTERS = (
    "Retainer",
    "Invoice",
    "Estate planning",
    "Real estate closing",
    "Litigation",
    "Consultation",
    "Trust deposit",
    "Contract review",
)
# Card brands with their share of payments.
BRANDS = ("visa",) * 55 + ("mastercard",) * 30 + ("amex",) * 12 + ("discover",) * 3

# Status of each payment: most succeed.
FAILED_SHARE = 0.025
REFUNDED_SHARE = 0.012
PARTIAL_SHARE = 0.015
DISPUTE_SHARE = 0.004


@dataclass(frozen=True)
class DatetimeText:
    """Writes a UTC datetime as the loaders store it: SQLite's text form
    (what Django stores: UTC, no offset) or PostgreSQL's timestamptz input
    (``suffix`` "+00"). A plain object, so a generator process can take it."""

    suffix: str

    def __call__(self, value: datetime) -> str:
        # Naive datetimes are UTC already (the generators make them so).
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(" ") + self.suffix


def batch_random(seed: int, firm: int, start: int) -> random.Random:
    """The generator for the batch of ``firm``'s rows starting at ``start``:
    the same numbers every time the batch is made."""
    return random.Random(f"{seed}:{firm}:{start}")  # noqa: S311 - test data


def person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(_SURNAME_POOL)


# --- Users -------------------------------------------------------------------

USER_FIELDS = (
    "merchant_id",
    "role_id",
    "username",
    "full_name",
    "email",
    "password",
    "is_active",
    "must_change_password",
    "password_changed_at",
    "last_login",
    "created_at",
    "created_by_id",
)


@dataclass(frozen=True)
class UserPlan:
    merchant_id: int
    firm: int
    role_ids: tuple[int, ...]
    password_hash: str
    created_by_id: int
    now: datetime
    days: int
    domain: str
    as_text: DatetimeText


def user_rows(plan: UserPlan, rng: random.Random, start: int, stop: int) -> list[tuple]:
    """Users number ``start`` to ``stop - 1`` of the firm (number 0 is the
    firm's first login, made by the merchant service)."""
    rows = []
    span = timedelta(days=plan.days)
    for n in range(start, stop):
        first, last = person(rng)
        # Letters and digits only, unique across firms.
        username = f"{first[0]}{last}{n}f{plan.firm}".lower()
        created = plan.now - span * rng.random()
        active = rng.random() >= 0.08
        seen = None
        if rng.random() < 0.85:
            seen = plan.as_text(created + (plan.now - created) * rng.random())
        rows.append(
            (
                plan.merchant_id,
                plan.role_ids[n % len(plan.role_ids)],
                username,
                f"{first} {last}",
                f"{first}.{last}{n}@{plan.domain}".lower(),
                plan.password_hash,
                1 if active else 0,
                0,
                plan.as_text(created),
                seen,
                plan.as_text(created),
                plan.created_by_id,
            )
        )
    return rows


# --- Payments, refunds and chargebacks ---------------------------------------

# Generated rows leave out the payment id, and refunds and chargebacks name
# their payment by its place in the batch: the loader hands out the ids.
PAYMENT_FIELDS = (
    "id",
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
    "card_exp_month",
    "card_exp_year",
    "cardholder_name",
    "payer_email",
    "client_name",
    "reference",
    "description",
    "failure_reason",
    "created_at",
    "captured_at",
    "metadata",
    "raw",
    "processor_updated_at",
    "updated_at",
)
REFUND_FIELDS = (
    "merchant_id",
    "payment_id",
    "amount",
    "currency",
    "reason",
    "note",
    "status",
    "failure_reason",
    "processor_ref",
    "idempotency_key",
    "created_by_id",
    "created_at",
    "settled_at",
    "raw",
    "processor_updated_at",
    "updated_at",
)
DISPUTE_FIELDS = (
    "merchant_id",
    "payment_id",
    "processor_ref",
    "amount",
    "currency",
    "reason",
    "status",
    "opened_at",
    "evidence_due_by",
    "closed_at",
    "services_description",
    "customer_communication",
    "fee_agreement",
    "refund_policy",
    "other_evidence",
    "raw",
    "processor_updated_at",
    "updated_at",
)
REFUND_REASONS = ("requested_by_customer",) * 6 + ("duplicate",) * 2 + ("other",)
# "Other" needs a note (a check constraint).
REFUND_NOTES = {
    "requested_by_customer": "",
    "duplicate": "",
    "other": "Overpaid the invoice",
}
DISPUTE_REASONS = (
    ("fraudulent",) * 4
    + ("unrecognized",) * 2
    + ("credit_not_processed", "product_not_received", "general")
)


@dataclass(frozen=True)
class PaymentPlan:
    merchant_id: int
    firm: int
    count: int
    currency: str
    refund_user_ids: tuple[int, ...]
    start: datetime
    end: datetime
    as_text: DatetimeText
    # The firm's time zone: its daily totals' days.
    tz: tzinfo = UTC


# The daily-total figures, in this order, per (quarter hour, account).
TOTAL_FIELDS = (
    "gross",
    "payment_count",
    "fees",
    "refunded",
    "refund_count",
    "disputed",
    "dispute_count",
    "dispute_reversed",
)
GROSS, COUNT, FEES, REFUNDED, REFUNDS, DISPUTED, DISPUTES, REVERSED = range(8)
EPOCH = datetime(2000, 1, 1)
QUARTER = timedelta(minutes=15)


def quarter_of(when: datetime) -> int:
    """The quarter hour (UTC) ``when`` falls in, counted from EPOCH: every
    time zone's days begin on a quarter hour."""
    return (when - EPOCH) // QUARTER


@dataclass
class Batch:
    payments: list[tuple] = field(default_factory=list)
    refunds: list[tuple] = field(default_factory=list)
    disputes: list[tuple] = field(default_factory=list)
    # (quarter hour, account) -> TOTAL_FIELDS: what the services would have
    # added to the daily totals for these rows.
    totals: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    # The same per (firm day, account): ``daily_totals``, filled in by the
    # generator process for the loading one.
    daily: dict[tuple[date, str], list[int]] = field(default_factory=dict)

    @property
    def counts(self) -> tuple[int, int, int]:
        return len(self.payments), len(self.refunds), len(self.disputes)

    def add(self, quarter: int, account: str, what: int, amount: int) -> None:
        figures = self.totals.get((quarter, account))
        if figures is None:
            figures = self.totals[(quarter, account)] = [0] * len(TOTAL_FIELDS)
        figures[what] += amount


def daily_totals(
    totals: dict[tuple[int, str], list[int]], tz: tzinfo
) -> dict[tuple[date, str], list[int]]:
    """``Batch.totals`` summed per calendar day in ``tz`` and account: the
    rows of the daily-total table, as the services would have added them.
    Runs in the generator process, beside the loading one."""
    summed: dict[tuple[date, str], list[int]] = {}
    for (quarter, account), figures in totals.items():
        key = (_local_day(quarter, tz), account)
        total = summed.get(key)
        if total is None:
            summed[key] = figures.copy()
        else:
            summed[key] = [a + b for a, b in zip(total, figures, strict=True)]
    return summed


# A year holds 35,040 quarter hours; refunds and chargebacks fall in
# quarters that later batches meet again.
@lru_cache(maxsize=1 << 17)
def _local_day(quarter: int, tz: tzinfo) -> date:
    """The calendar day in ``tz`` of the quarter hour ``quarter``."""
    return (EPOCH + QUARTER * quarter).replace(tzinfo=UTC).astimezone(tz).date()


def _amount(r: float, rng: random.Random) -> int:
    if r < 0.15:  # retainers
        return _RETAINERS[int(r * 100) % len(_RETAINERS)]
    if r < 0.9:  # invoices, to the cent
        return 5_000 + int(rng.random() * 245_000)
    return 250_000 + int(rng.random() * 22_500) * 100


_RETAINERS = (150_000, 250_000, 300_000, 500_000, 1_000_000)


@cache
def _payers() -> tuple[tuple[str, str, str], ...]:
    """20,000 payers (cardholder, email, client), the same every run: firms
    see the same clients pay again and again."""
    rng = random.Random(0)  # noqa: S311 - test data
    payers = []
    for n in range(20_000):
        first, last = person(rng)
        email = f"{first}.{last}{n % 997}@{rng.choice(DOMAINS)}".lower()
        if rng.random() < 0.3:
            client = f"{last} {rng.choice(COMPANY_SUFFIXES)}"
        else:
            client = f"{first} {last}"
        payers.append((f"{first} {last}", email, client))
    return tuple(payers)


@cache
def _descriptions() -> tuple[str, ...]:
    rng = random.Random(1)  # noqa: S311 - test data
    return tuple(
        f"{rng.choice(MATTERS)} MAT-{rng.randrange(1, 40_000):05d}"
        for _ in range(5_000)
    )


_LAST4 = tuple(f"{n:04d}" for n in range(10_000))


def payment_batch(
    plan: PaymentPlan, rng: random.Random, start: int, stop: int
) -> Batch:
    """Payments number ``start`` to ``stop - 1`` of the firm, with their
    refunds and chargebacks; rows as PAYMENT_FIELDS without the id, and
    refund and chargeback rows as (place of the payment in the batch, the
    rest of REFUND_FIELDS/DISPUTE_FIELDS after merchant and payment).
    Payment ``n`` is made at ``n / count`` of the way through the span, so
    ids follow time.

    The loop runs millions of times: it picks from prepared pools by index
    with ``random()`` rather than through ``choice``/``randrange``.
    """
    batch = Batch()
    text = plan.as_text
    # Generated datetimes are naive UTC: formatted inline (DatetimeText's
    # own form), a few microseconds a row less.
    suffix = text.suffix
    step = (plan.end - plan.start) / plan.count
    # Quarter hours as a float, so the loop needs no datetime arithmetic.
    first_quarter = (plan.start - EPOCH) / QUARTER
    quarters_per_step = step / QUARTER
    now_text = text(plan.end)
    rand = rng.random
    payers, n_payers = _payers(), len(_payers())
    descriptions, n_descriptions = _descriptions(), len(_descriptions())
    brands, n_brands = BRANDS, len(BRANDS)
    last4s = _LAST4
    merchant_id, currency, firm = plan.merchant_id, plan.currency, plan.firm
    start_at = plan.start
    two_seconds = timedelta(seconds=2)
    payments = batch.payments
    totals = batch.totals
    blank = [0] * len(TOTAL_FIELDS)
    failed_below = FAILED_SHARE
    refunded_below = failed_below + REFUNDED_SHARE
    partial_below = refunded_below + PARTIAL_SHARE
    for n in range(start, stop):
        at = n + rand()
        created = start_at + step * at
        cardholder, email, client = payers[int(rand() * n_payers)]
        amount = _amount(rand(), rng)
        account = "trust" if rand() < 0.35 else "operating"
        roll = rand()
        refunded = 0
        failure = ""
        if roll < failed_below:
            status = "failed"
            failure = "Your card was declined."
        elif roll < refunded_below:
            status, refunded = "refunded", amount
        elif roll < partial_below:
            status, refunded = "partially_refunded", amount // 2
        else:
            status = "succeeded"
        fee = 0 if status == "failed" else amount * 29 // 1000 + 30
        created_text = created.isoformat(" ") + suffix
        captured_text = None
        if status != "failed":
            captured_text = (created + two_seconds).isoformat(" ") + suffix
        payments.append(
            (
                merchant_id,
                "sandbox",
                f"py_seed{merchant_id}x{n:09d}",
                status,
                amount,
                currency,
                account,
                refunded,
                fee,
                brands[int(rand() * n_brands)],
                last4s[int(rand() * 10_000)],
                1 + int(rand() * 12),
                2027 + int(rand() * 6),
                cardholder,
                email,
                client,
                f"INV-{firm:02d}{n + 1:08d}",
                descriptions[int(rand() * n_descriptions)],
                failure,
                created_text,
                captured_text,
                "{}",
                "{}",
                captured_text or created_text,
                now_text,
            )
        )
        if status == "failed":
            continue
        # Batch.add, inline: three figures a row.
        quarter = int(first_quarter + at * quarters_per_step)
        figures = totals.get((quarter, account))
        if figures is None:
            figures = totals[(quarter, account)] = blank.copy()
        figures[GROSS] += amount
        figures[COUNT] += 1
        # Processing fees come from operating, whatever the deposit account.
        if account != "operating":
            figures = totals.get((quarter, "operating"))
            if figures is None:
                figures = totals[(quarter, "operating")] = blank.copy()
        figures[FEES] += fee
        if refunded:
            _refund(plan, rng, batch, n - start, n, created, refunded, account)
        elif rand() < DISPUTE_SHARE:
            _dispute(plan, rng, batch, n - start, n, created, amount, account)
    return batch


def _refund(
    plan: PaymentPlan,
    rng: random.Random,
    batch: Batch,
    offset: int,
    n: int,
    created: datetime,
    amount: int,
    account: str,
) -> None:
    text = plan.as_text
    when = min(created + timedelta(days=rng.randrange(1, 30)), plan.end)
    reason = rng.choice(REFUND_REASONS)
    settled = text(when + timedelta(seconds=5))
    batch.refunds.append(
        (
            offset,
            amount,
            plan.currency,
            reason,
            REFUND_NOTES[reason],
            "succeeded",
            "",
            f"re_seed{plan.merchant_id}x{n:09d}",
            f"seed-{n}",
            rng.choice(plan.refund_user_ids),
            text(when),
            settled,
            "{}",
            settled,
            text(plan.end),
        )
    )
    batch.add(quarter_of(when), account, REFUNDED, amount)
    batch.add(quarter_of(when), account, REFUNDS, 1)


def _dispute(
    plan: PaymentPlan,
    rng: random.Random,
    batch: Batch,
    offset: int,
    n: int,
    created: datetime,
    amount: int,
    account: str,
) -> None:
    opened = created + timedelta(days=rng.randrange(5, 60), hours=rng.randrange(24))
    if opened >= plan.end:
        return
    due = opened + timedelta(days=21)
    closed = None
    if due > plan.end:
        status = "needs_response" if rng.random() < 0.7 else "under_review"
    else:
        status = rng.choice(("won", "won", "lost", "accepted", "under_review"))
        if status != "under_review":
            closed = min(due + timedelta(days=rng.randrange(10, 60)), plan.end)
    text = plan.as_text
    batch.disputes.append(
        (
            offset,
            f"dp_seed{plan.merchant_id}x{n:09d}",
            amount,
            plan.currency,
            rng.choice(DISPUTE_REASONS),
            status,
            text(opened),
            text(due),
            None if closed is None else text(closed),
            "",
            "",
            "",
            "",
            "",
            "{}",
            text(closed or opened),
            text(plan.end),
        )
    )
    batch.add(quarter_of(opened), account, DISPUTED, amount)
    batch.add(quarter_of(opened), account, DISPUTES, 1)
    if status == "won" and closed is not None:
        batch.add(quarter_of(closed), account, REVERSED, amount)
