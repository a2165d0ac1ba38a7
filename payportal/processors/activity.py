"""Realistic card activity of a law firm, as sandbox webhook bodies.

``generate_activity`` makes N days of a firm's payments (retainers into
trust, invoices into operating), declines, refunds and chargebacks at every
stage, ending now, and yields each as a sandbox event body in time order.
It is deterministic: the same account, seed, days and ``now`` give the same
bytes, so a second run is all replays. Two transports consume the bodies:
``sandbox.deliver_in_process`` (the demo) and ``sandbox.deliver_over_http``
(``payportal simulate``).

Every outcome follows the sandbox's documented rules (docs/sandbox.md):
declined payments use a card ending 0002, disputed ones a card whose last
four brings that chargeback reason, and failed refunds end in 13 minor
units; nothing else does.
"""

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from payportal.processors import sandbox

# (practice area, hourly rates, typical retainers in whole units)
PRACTICE_AREAS = [
    ("Family law", (275, 325, 375), (2_500, 3_500, 5_000, 7_500)),
    ("Estate planning", (300, 350, 425), (1_500, 2_500, 3_000)),
    ("Litigation", (350, 425, 495, 550), (5_000, 7_500, 10_000, 15_000)),
    ("Real estate", (300, 350, 400), (1_500, 2_000, 3_500)),
    ("Business formation", (325, 375, 450), (2_000, 3_000, 5_000)),
    ("Employment", (325, 400, 450), (3_000, 5_000, 7_500)),
    ("Immigration", (250, 300, 350), (2_500, 4_000, 6_000)),
    ("Criminal defense", (300, 400, 500), (5_000, 7_500, 10_000, 15_000)),
    ("Personal injury", (300, 375), (1_500, 2_500)),
    ("Bankruptcy", (275, 325), (1_500, 2_500, 3_500)),
]
FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth "
    "William Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen "
    "Daniel Nancy Matthew Lisa Anthony Betty Mark Sandra Steven Ashley Paul "
    "Emily Andrew Donna Joshua Michelle Kevin Carol Brian Amanda George Melissa "
    "Aisha Wei Priya Mateo Sofia Omar Hannah Diego Chloe Kenji Fatima Lucas "
    "Noor Elena Tariq Grace Ivan Mei Rafael Zoe Samuel Leila Ethan Nadia"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez "
    "Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson "
    "Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores "
    "Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Okafor Kowalski Haddad Nakamura Petrov Rossi Schneider Cohen Patel Kim "
    "O'Connor Fischer Dubois Silva Chen Murphy Novak Ali Jensen Morales"
).split()
COMPANIES = (
    "Harbor Logistics LLC",
    "Bluestone Dental PC",
    "Maple & Vine Bakery Inc.",
    "Northgate Properties LLC",
    "Cedar Ridge Construction Co.",
    "Brightline Software Inc.",
    "Riverside Veterinary Clinic",
    "Summit Roofing LLC",
    "Lakeshore Imports Inc.",
    "Copperleaf Design Studio",
    "Granite State Movers LLC",
    "Pinecrest Family Farms",
    "Atlas Fitness Group LLC",
    "Beacon Street Cafe",
    "Ironwood Manufacturing Inc.",
    "Meridian Health Partners PC",
)
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example")
# (brand, weight, fee per mille)
BRANDS = (
    ("visa", 55, 29),
    ("mastercard", 25, 29),
    ("amex", 15, 35),
    ("discover", 5, 29),
)
FIXED_FEE = 30  # minor units per successful payment
MIN_AMOUNT = 250_00
MAX_AMOUNT = 15_000_00
# Card last fours with a sandbox meaning, never given to an ordinary card.
SPECIAL_LAST4 = {sandbox.DECLINED_LAST4, *sandbox.DISPUTE_LAST4}
_REASON_LAST4 = {reason: last4 for last4, reason in sandbox.DISPUTE_LAST4.items()}
_DISPUTE_REASONS = (
    ("fraudulent", 45),
    ("product_not_received", 25),
    ("unrecognized", 20),
    ("duplicate", 10),
)
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class _Client:
    cardholder: str
    email: str
    client_name: str
    matter: str
    area: str
    rates: tuple[int, ...]
    retainers: tuple[int, ...]
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class _ScriptedDispute:
    """A chargeback placed so the firm always has some at each stage."""

    # Days before noon today (the firm's time): a stable anchor, so runs
    # on the same day make the same chargebacks.
    opened_days_ago: float
    plan: str  # open | review | won | lost | accepted | unanswered
    reason: str
    lag_days: int  # from the payment to the chargeback


# Open ones due within 3 days, later this month, under review, and closed in
# every way. Due dates are 21 days after opening (sandbox.EVIDENCE_DAYS).
SCRIPTED_DISPUTES = (
    _ScriptedDispute(20.4, "open", "fraudulent", 9),
    _ScriptedDispute(19.4, "open", "product_not_received", 16),
    _ScriptedDispute(18.6, "open", "unrecognized", 6),
    _ScriptedDispute(15.0, "open", "fraudulent", 12),
    _ScriptedDispute(9.1, "open", "product_not_received", 22),
    _ScriptedDispute(3.2, "open", "duplicate", 5),
    _ScriptedDispute(26.0, "review", "product_not_received", 11),
    _ScriptedDispute(13.5, "review", "fraudulent", 8),
    _ScriptedDispute(70.0, "won", "product_not_received", 14),
    _ScriptedDispute(62.0, "lost", "fraudulent", 7),
    _ScriptedDispute(41.0, "accepted", "duplicate", 4),
    _ScriptedDispute(52.0, "unanswered", "unrecognized", 10),
)


class _Generator:
    def __init__(
        self,
        *,
        account: str,
        currency: str,
        days: int,
        per_day: int | None,
        seed: int,
        now: datetime,
        tz: ZoneInfo,
    ) -> None:
        self.account = account
        self.currency = currency
        self.days = days
        self.per_day = per_day
        self.seed = seed
        self.now = now
        self.tz = tz
        # Seeded for repeatable sample data; nothing here is a secret.
        self.rng = random.Random(f"{seed}:{account}")  # noqa: S311
        self.queue: list[tuple[datetime, int, bytes]] = []
        self.seq = 0
        self.today = timezone.localtime(now, tz).date()
        self.first_day = self.today - timedelta(days=days - 1)
        self.anchor = datetime.combine(self.today, time(12), tz).astimezone(UTC)
        self.invoice_no = 10_000 + self.rng.randint(100, 900)
        self.clients = self._clients(max(40, days * (per_day or 11) // 6))
        self.scripted: dict[date, list[_ScriptedDispute]] = {}
        for spec in SCRIPTED_DISPUTES:
            opened = self.anchor - timedelta(days=spec.opened_days_ago)
            paid = timezone.localtime(opened, tz).date() - timedelta(days=spec.lag_days)
            if paid >= self.first_day:
                self.scripted.setdefault(paid, []).append(spec)

    # --- the cast ----------------------------------------------------------

    def _clients(self, count: int) -> list[_Client]:
        rng = self.rng
        clients = []
        for number in range(count):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            person = f"{first} {last}"
            company = rng.choice(COMPANIES) if rng.random() < 0.25 else ""
            area, rates, retainers = rng.choice(PRACTICE_AREAS)
            if company:
                area, rates, retainers = rng.choice(
                    [
                        a
                        for a in PRACTICE_AREAS
                        if a[0]
                        in (
                            "Business formation",
                            "Employment",
                            "Litigation",
                            "Real estate",
                        )
                    ]
                )
            opened_year = self.first_day.year - (1 if rng.random() < 0.3 else 0)
            handle = f"{first}.{last}".lower().replace("'", "")
            # Increasing, so no two clients share a matter.
            matter_no = 101 + number * 3 + rng.randint(0, 2)
            clients.append(
                _Client(
                    cardholder=person,
                    email=f"{handle}@{rng.choice(EMAIL_DOMAINS)}",
                    client_name=company or person,
                    matter=f"MAT-{opened_year}-{matter_no:04d}",
                    area=area,
                    rates=rates,
                    retainers=retainers,
                    brand=self._brand(),
                    last4=self._last4(),
                    exp_month=rng.randint(1, 12),
                    exp_year=self.today.year + rng.randint(0, 5),
                )
            )
        return clients

    def _brand(self) -> str:
        return self.rng.choices([b[0] for b in BRANDS], weights=[b[1] for b in BRANDS])[
            0
        ]

    def _last4(self) -> str:
        while True:
            last4 = f"{self.rng.randint(0, 9999):04d}"
            if last4 not in SPECIAL_LAST4:
                return last4

    # --- amounts and times -------------------------------------------------

    def _invoice_amount(self, client: _Client) -> int:
        rng = self.rng
        if rng.random() < 0.12:
            # A flat fee: consultation, simple will, filing.
            return rng.choice((250, 350, 450, 750, 950, 1_250, 1_500)) * 100
        hours = math.exp(rng.gauss(math.log(6), 0.75))
        quarter_hours = max(2, round(hours * 4))
        amount = rng.choice(client.rates) * quarter_hours * 25
        if rng.random() < 0.25:
            # Costs passed through: filing fees, couriers, copies.
            amount += rng.randint(3_500, 45_000)
        return min(max(amount, MIN_AMOUNT), MAX_AMOUNT)

    def _retainer_amount(self, client: _Client) -> int:
        return min(self.rng.choice(client.retainers) * 100, MAX_AMOUNT)

    def _fee(self, brand: str, amount: int) -> int:
        per_mille = next(b[2] for b in BRANDS if b[0] == brand)
        return amount * per_mille // 1000 + FIXED_FEE

    def _count(self, day: date) -> int:
        rng = self.rng
        weekend = day.weekday() >= 5
        if self.per_day is None:
            return rng.randint(3, 6) if weekend else rng.randint(8, 15)
        scale = 0.3 if weekend else rng.uniform(0.7, 1.3)
        return max(0 if weekend else 1, round(self.per_day * scale))

    def _times(self, day: date, count: int) -> list[datetime]:
        rng = self.rng
        times = []
        for _ in range(count):
            if rng.random() < 0.12:
                hour = rng.randint(19, 22)  # paid online in the evening
            else:
                hour = min(18, max(8, round(rng.gauss(12.5, 2.6))))
            local = datetime.combine(
                day, time(hour, rng.randint(0, 59), rng.randint(0, 59)), self.tz
            )
            times.append(local.astimezone(UTC))
        return sorted(times)

    def _business_time(self, after: datetime, days: float) -> datetime:
        """A time in office hours about ``days`` after ``after``."""
        moment = timezone.localtime(after + timedelta(days=days), self.tz)
        hour = self.rng.randint(9, 17)
        local = moment.replace(hour=hour, minute=self.rng.randint(0, 59))
        result = local.astimezone(UTC)
        return result if result > after else after + timedelta(hours=2)

    # --- events ------------------------------------------------------------

    def _ref(self, prefix: str) -> str:
        self.seq += 1
        return sandbox.make_ref(prefix, self.account, self.seed, self.seq)

    def _emit(self, when: datetime, type: str, obj: dict) -> None:
        if when > self.now:
            return  # Not happened yet: the object stays as it is.
        body = sandbox.event_body(
            type=type, account=self.account, obj=obj, created_at=when
        )
        self.seq += 1
        heapq.heappush(self.queue, (when, self.seq, body))

    def _payment(
        self,
        *,
        when: datetime,
        client: _Client,
        status: str,
        last4: str | None = None,
        brand: str | None = None,
        amount: int,
        account: str,
        reference: str,
        description: str,
        invoice: str = "",
    ) -> str:
        ref = self._ref("py")
        brand = brand or client.brand
        obj = sandbox.payment_object(
            processor_ref=ref,
            status=status,
            amount=amount,
            currency=self.currency,
            account=account,
            created_at=when,
            fee=self._fee(brand, amount) if status == "succeeded" else 0,
            card={
                "brand": brand,
                "last4": last4 or client.last4,
                "exp_month": client.exp_month,
                "exp_year": client.exp_year,
                "funding": "credit",
            },
            cardholder_name=client.cardholder,
            payer_email=client.email,
            client_name=client.client_name,
            reference=reference,
            description=description,
            failure_reason=sandbox.DECLINE_MESSAGE if status == "failed" else "",
            metadata={
                "matter": client.matter,
                "practice_area": client.area,
                **({"invoice": invoice} if invoice else {}),
            },
        )
        self._emit(when, f"payment.{status}", obj)
        return ref

    def _refund(self, *, payment_ref: str, paid_at: datetime, amount: int) -> None:
        rng = self.rng
        kind = rng.choices(("full", "partial", "failing"), weights=(35, 55, 10))[0]
        if kind == "full":
            refund = amount
        elif kind == "partial":
            share = rng.uniform(0.1, 0.6)
            refund = max(50_00, round(amount * share / 100) * 100)
            refund = min(refund, amount)
        else:
            whole = rng.randint(50, max(50, min(amount // 100 - 1, 2_000)))
            refund = min(whole * 100 + sandbox.FAILING_REFUND_MINOR, amount)
        failed = sandbox.refund_fails(refund)
        created = self._business_time(paid_at, rng.uniform(1, 21))
        reason = rng.choices(
            ("requested_by_customer", "duplicate", "fraudulent"), weights=(75, 18, 7)
        )[0]
        ref = self._ref("re")

        def obj(status: str) -> dict:
            return sandbox.refund_object(
                processor_ref=ref,
                payment_ref=payment_ref,
                status=status,
                amount=refund,
                currency=self.currency,
                created_at=created,
                reason=reason,
                failure_reason=sandbox.REFUND_FAILURE_MESSAGE if failed else "",
            )

        self._emit(created, "refund.pending", obj("pending"))
        settled = created + timedelta(minutes=rng.randint(20, 8 * 60))
        final = "failed" if failed else "succeeded"
        self._emit(settled, f"refund.{final}", obj(final))

    def _dispute(
        self,
        *,
        payment_ref: str,
        paid_at: datetime,
        amount: int,
        reason: str,
        plan: str,
        opened_at: datetime,
    ) -> None:
        rng = self.rng
        ref = self._ref("dp")
        due = opened_at + timedelta(days=sandbox.EVIDENCE_DAYS)

        def obj(status: str) -> dict:
            return sandbox.dispute_object(
                processor_ref=ref,
                payment_ref=payment_ref,
                status=status,
                amount=amount,
                currency=self.currency,
                reason=reason,
                opened_at=opened_at,
                evidence_due_by=due,
            )

        self._emit(opened_at, "dispute.created", obj("needs_response"))
        if plan == "open":
            return
        if plan == "accepted":
            self._emit(
                self._business_time(opened_at, rng.uniform(1, 5)),
                "dispute.closed",
                obj("accepted"),
            )
            return
        if plan == "unanswered":
            # No evidence by the due date: the bank decides for the payer.
            self._emit(
                due + timedelta(hours=rng.randint(6, 30)), "dispute.closed", obj("lost")
            )
            return
        answered = self._business_time(opened_at, rng.uniform(2, 12))
        self._emit(answered, "dispute.updated", obj("under_review"))
        if plan in ("won", "lost"):
            decided = self._business_time(answered, rng.uniform(20, 40))
            self._emit(decided, "dispute.closed", obj(plan))

    def _random_dispute(
        self, *, payment_ref: str, paid_at: datetime, amount: int, reason: str
    ) -> None:
        rng = self.rng
        opened = self._business_time(paid_at, rng.uniform(6, 45))
        plan = rng.choices(("review", "accepted", "unanswered"), weights=(60, 20, 20))[
            0
        ]
        if plan == "review":
            plan = "won" if rng.random() < 0.55 else "lost"
        self._dispute(
            payment_ref=payment_ref,
            paid_at=paid_at,
            amount=amount,
            reason=reason,
            plan=plan,
            opened_at=opened,
        )

    # --- a day -------------------------------------------------------------

    def _day(self, day: date) -> None:
        rng = self.rng
        count = self._count(day)
        scripted = self.scripted.get(day, [])
        count = max(count, len(scripted))
        times = self._times(day, count)
        disputed_at = set(rng.sample(range(count), len(scripted)))
        scripted_iter = iter(scripted)
        for index, when in enumerate(times):
            client = rng.choice(self.clients)
            trust = rng.random() < 0.35
            if trust:
                amount = self._retainer_amount(client)
                reference = client.matter
                description = f"Retainer deposit: {client.area}"
                invoice = ""
            else:
                amount = self._invoice_amount(client)
                self.invoice_no += rng.randint(1, 3)
                invoice = f"INV-{self.invoice_no}"
                reference = invoice
                description = f"Invoice {invoice}: {client.area} ({client.matter})"
            account = "trust" if trust else "operating"
            common = {
                "client": client,
                "amount": amount,
                "account": account,
                "reference": reference,
                "description": description,
                "invoice": invoice,
            }
            spec = next(scripted_iter) if index in disputed_at else None
            if spec is None and rng.random() < 0.03:
                # Declined; most payers try another card a few minutes on.
                self._payment(
                    when=when, status="failed", last4=sandbox.DECLINED_LAST4, **common
                )
                if rng.random() > 0.6:
                    continue
                when = when + timedelta(minutes=rng.randint(2, 25))
                if when > self.now:
                    continue
            if spec is not None:
                last4 = _REASON_LAST4[spec.reason]
                ref = self._payment(
                    when=when, status="succeeded", last4=last4, **common
                )
                opened = self.anchor - timedelta(days=spec.opened_days_ago)
                self._dispute(
                    payment_ref=ref,
                    paid_at=when,
                    amount=amount,
                    reason=spec.reason,
                    plan=spec.plan,
                    opened_at=max(opened, when + timedelta(hours=1)),
                )
                continue
            if rng.random() < 0.007:
                reason = rng.choices(
                    [r for r, _ in _DISPUTE_REASONS],
                    weights=[w for _, w in _DISPUTE_REASONS],
                )[0]
                ref = self._payment(
                    when=when, status="succeeded", last4=_REASON_LAST4[reason], **common
                )
                self._random_dispute(
                    payment_ref=ref, paid_at=when, amount=amount, reason=reason
                )
                continue
            ref = self._payment(when=when, status="succeeded", **common)
            if rng.random() < 0.045:
                self._refund(payment_ref=ref, paid_at=when, amount=amount)

    def __iter__(self) -> Iterator[bytes]:
        day = self.first_day
        while day <= self.today:
            self._day(day)
            next_start = datetime.combine(day + _DAY, time(), self.tz).astimezone(UTC)
            # Everything before the next day's first payment is final now:
            # later days only add events after their own payments.
            while self.queue and self.queue[0][0] < next_start:
                yield heapq.heappop(self.queue)[2]
            day += _DAY
        while self.queue:
            yield heapq.heappop(self.queue)[2]


def generate_activity(
    *,
    account: str,
    currency: str = "USD",
    days: int = 90,
    per_day: int | None = None,
    seed: int = 0,
    now: datetime | None = None,
    time_zone: str = "UTC",
) -> Iterator[bytes]:
    """Sandbox event bodies for ``days`` days of a firm's activity, oldest
    first, ending at ``now``.

    ``per_day`` is about how many payments a business day brings (fewer at
    weekends); by default 8 to 15. Events that would happen after ``now``
    are left out, so recent refunds can still be pending and recent
    chargebacks open: some due within 3 days, some later, some under
    review, and older ones won, lost or accepted.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    return iter(
        _Generator(
            account=account,
            currency=currency,
            days=days,
            per_day=per_day,
            seed=seed,
            now=now or timezone.now(),
            tz=ZoneInfo(time_zone),
        )
    )
