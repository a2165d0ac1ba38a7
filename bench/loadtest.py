"""Load test: signed-in users against ``payportal serve`` (issue 5).

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE payportal_load"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/payportal_load \\
    REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/loadtest.py [--users 50] [--duration 120]
    .venv/bin/python bench/loadtest.py --quick   # 3 users, 5 s, SQLite

Sets up (idempotent) the demo firm with its card activity (or, with
``--seed-payments N``, firm 1 of ``payportal seed``), a "Load tester" role
and ``--users`` logins with a known password, and a pool of fresh
payments that arrive as signed sandbox webhooks. Then starts
``payportal serve`` with production settings (unless ``--url`` is given),
signs every virtual user in through the login form, staggered over
``--ramp`` seconds, and lets them browse and refund for ``--duration``
seconds: Transactions (first page, the page's own Next link, a filter, a
search), payment records, the dashboard, Users, Refunds, and refunds
through the two-step form on a few shared payments at a time, so users
race on the same payments. Afterwards it checks the refunds in the
database. Prints median and p95 per kind of request and overall; exits 1
on any error or broken invariant. With ``--url`` the setup and the check
still use ``DATABASE_URL``: it must be that server's database.

Every request goes to the loopback address; the run is bounded by
``--duration`` (plus ramp and request timeouts) and makes no retries.
Not part of the test suite, except ``--quick``.
"""

import argparse
import asyncio
import html
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent

USERNAME_PREFIX = "load"
# Known, so the virtual users can sign in; only the load firm's load users
# have it (15+ characters: the firm does not require two-step sign-in).
PASSWORD = "Loadtest-harbour-2026"  # noqa: S105 - load-test login
ROLE_NAME = "Load tester"
POOL_REFERENCE = "LOAD"
SEARCH_WORDS = ["smith", "johnson", "garcia", "miller", "davis", "brown", "retainer"]
REFUND_REASON = "requested_by_customer"
SIGN_IN = ("login form", "login")

# kind -> weight of the browsing mix (the refund flow is several requests).
MIX = {
    "transactions": 18,
    "transactions next": 10,
    "transactions filter": 8,
    "transactions search": 8,
    "payment record": 20,
    "dashboard": 10,
    "users": 4,
    "users search": 2,
    "refunds": 8,
    "refund": 12,
}


# --- The database side (run in a child process with the server's env) -------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "payportal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _seed_firm(*, payments: int, staff: int, days: int) -> Any:
    """Firm 1 of ``payportal seed`` (restartable: a second run adds
    nothing); returns its first login."""
    from payportal.seed import services as seed_services

    plan = seed_services.SeedPlan(
        merchants=1, users=staff, payments=payments, days=days, seed=1
    )
    return seed_services.seed(plan).logins[0]


def setup_data(
    *, users: int, pool: int, days: int, seed_payments: int | None, seed_users: int
) -> dict[str, Any]:
    """The firm, its load users and a fresh pool of refundable payments."""
    _django()
    from axes.models import AccessAttempt
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db.models import Max
    from django.utils import timezone

    from payportal.accounts import permissions as p
    from payportal.accounts.models import Role, User
    from payportal.accounts.services import roles as role_services
    from payportal.accounts.services import users as user_services
    from payportal.core.money import exponent
    from payportal.merchants.demo import ensure_demo_firm
    from payportal.payments.models import Payment, Refund
    from payportal.processors import sandbox

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    if seed_payments is None:
        login = ensure_demo_firm(days=days)
    else:
        login = _seed_firm(payments=seed_payments, staff=seed_users, days=days)
    merchant = login.merchant
    if exponent(merchant.currency) != 2:
        # The virtual users read and type amounts with two decimals.
        raise SystemExit(f"the firm's currency {merchant.currency} is not supported")
    # No second factor and no second person: each refund is one user's.
    merchant.require_mfa = False
    merchant.refund_approval_enabled = False
    merchant.save(update_fields=["require_mfa", "refund_approval_enabled"])
    admin = User.objects.get(username__iexact=login.username)
    codes = [
        p.DASHBOARD_VIEW,
        p.PAYMENTS_VIEW,
        p.REFUNDS_CREATE,
        p.DISPUTES_RESPOND,
        p.USERS_MANAGE,
        p.AUDIT_VIEW,
    ]
    role = Role.objects.filter(merchant=merchant, name=ROLE_NAME).first()
    if role is None:
        role = role_services.create_role(
            merchant=merchant,
            actor=admin,
            name=ROLE_NAME,
            description="Views everything and refunds (load test users).",
            permissions=codes,
        )
    elif sorted(role.permissions) != sorted(codes):
        role.permissions = codes
        role.save(update_fields=["permissions"])
    # Usernames are unique across firms: each firm has its own load users.
    prefix = USERNAME_PREFIX + ("" if seed_payments is None else "seed")
    usernames = [f"{prefix}{n:02d}" for n in range(1, users + 1)]
    have = set(
        User.objects.filter(merchant=merchant, username__in=usernames).values_list(
            "username", flat=True
        )
    )
    for username in usernames:
        if username not in have:
            user_services.create_user(
                merchant=merchant,
                actor=admin,
                role=role,
                username=username,
                full_name=f"Load User {username[len(prefix) :]}",
                email=f"{username}@load.example",
                password=PASSWORD,
            )
    # One hash for all (hashing 50 times would only slow the setup), a
    # password that is not temporary and not expiring, no second factor,
    # no failed attempts left over from an earlier run.
    load_users = User.objects.filter(merchant=merchant, username__in=usernames)
    load_users.update(
        password=make_password(PASSWORD),
        must_change_password=False,
        password_changed_at=timezone.now(),
        is_active=True,
        role=role,
    )
    for user in load_users:
        user.second_factors.all().delete()
        user.recovery_codes.all().delete()
    AccessAttempt.objects.filter(username__in=usernames).delete()

    # Fresh payments for the refunds to race on, delivered as the processor
    # would deliver them (signed webhooks through the real intake).
    run = secrets.token_hex(4)
    now = timezone.now()
    rng = random.Random(run)
    refs = []
    for n in range(pool):
        ref = f"py_load_{run}_{n:04d}"
        amount = rng.randrange(200, 2000) * 100 + rng.choice([0, 0, 50, 99])
        created = now - timedelta(minutes=pool - n)
        obj = sandbox.payment_object(
            processor_ref=ref,
            status="succeeded",
            amount=amount,
            currency=merchant.currency,
            account="operating",
            created_at=created,
            fee=amount * 29 // 1000 + 30,
            card={"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030},
            cardholder_name="Load Test",
            payer_email="payer@load.example",
            client_name="Load Test Client",
            reference=f"{POOL_REFERENCE}-{run}-{n:04d}",
            description="Load test payment",
        )
        body = sandbox.event_body(
            type="payment.succeeded",
            account=merchant.processor_account or "",
            obj=obj,
            created_at=created,
        )
        sandbox.deliver_in_process(body)
        refs.append(ref)
    pool_ids = list(
        Payment.objects.filter(merchant=merchant, processor_ref__in=refs)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return {
        "firm": merchant.name,
        "merchant_id": merchant.pk,
        "currency": merchant.currency,
        "usernames": usernames,
        "pool_ids": pool_ids,
        "refund_id_floor": Refund.objects.aggregate(m=Max("id"))["m"] or 0,
        "payments": Payment.objects.filter(merchant=merchant).count(),
        "setup_seconds": round(time.perf_counter() - started, 1),
    }


def check_data(
    *, merchant_id: int, refund_id_floor: int, usernames: list[str]
) -> dict[str, Any]:
    """The refund invariants, for every payment of the firm.

    ``refunded_amount`` is what the processor confirmed: the sum of the
    payment's succeeded refunds (services/ingest.apply_refund), never more
    than the amount. The refunds that hold money (awaiting approval,
    pending, succeeded; Refund.HELD) never add up to more than the amount
    less the chargebacks that hold it (services/refunds._room).
    """
    _django()
    from django.db.models import F, Q, Sum
    from django.db.models.functions import Coalesce

    from payportal.payments.models import Dispute, Payment, Refund
    from payportal.payments.services.refunds import DISPUTE_HELD

    # One GROUP BY over the firm's payments, however many.
    payments = Payment.objects.filter(merchant_id=merchant_id).annotate(
        succeeded=Coalesce(
            Sum("refunds__amount", filter=Q(refunds__status=Refund.Status.SUCCEEDED)),
            0,
        ),
    )
    over_refunded = list(
        payments.filter(refunded_amount__gt=F("amount")).values_list("id", flat=True)
    )
    mismatched = list(
        payments.exclude(refunded_amount=F("succeeded")).values_list("id", flat=True)
    )
    new = Refund.objects.filter(
        merchant_id=merchant_id,
        pk__gt=refund_id_floor,
        created_by__username__in=usernames,
    )
    touched = set(new.values_list("payment_id", flat=True))
    over_held = []
    for payment in Payment.objects.filter(pk__in=touched):
        held = (
            Refund.objects.filter(payment=payment, status__in=Refund.HELD).aggregate(
                t=Sum("amount")
            )["t"]
            or 0
        )
        disputed = (
            Dispute.objects.filter(payment=payment, status__in=DISPUTE_HELD).aggregate(
                t=Sum("amount")
            )["t"]
            or 0
        )
        if held + disputed > payment.amount:
            over_held.append(payment.pk)
    by_status = defaultdict(int)
    for status in new.values_list("status", flat=True):
        by_status[status] += 1
    return {
        "payments_checked": Payment.objects.filter(merchant_id=merchant_id).count(),
        "over_refunded": over_refunded,
        "refunded_amount_mismatch": mismatched,
        "over_held": over_held,
        "new_refunds": new.count(),
        "new_refunds_by_status": dict(by_status),
        "payments_refunded_in_run": len(touched),
    }


def _child(command: str, env: dict[str, str], args: dict[str, Any]) -> dict[str, Any]:
    """Run ``setup_data`` or ``check_data`` in a child process with the
    server's environment (this process may be a test with its own Django)."""
    result = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, __file__, command, json.dumps(args)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- The server ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``payportal serve`` as a child process in its own process group."""

    def __init__(self, *, env: dict[str, str], port: int, workers: int, log: Path):
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log
        self._log = log.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own CLI
            [
                sys.executable,
                "-m",
                "payportal",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.log_path}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"no answer from {self.url}/healthz; see {self.log_path}")

    def cpu_seconds(self) -> float:
        """CPU time used so far by gunicorn's master and workers (Linux)."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # After the name: state, ppid, ... utime and stime are 12 and 13.
            pid = int(stat.parent.name)
            if pid == self.process.pid or int(fields[1]) == self.process.pid:
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            # Gunicorn's master stops its workers on SIGTERM.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


# --- The virtual users --------------------------------------------------------

_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'\b(name|value)="([^"]*)"')
_NEXT = re.compile(r'<a\b[^>]*\bhref="([^"]*)"[^>]*\brel="next"')
_RECORD = re.compile(r'href="/transactions/(\d+)/"')


def form_inputs(page: str) -> dict[str, str]:
    """name -> value of the page's <input> elements (the last one wins)."""
    values = {}
    for tag in _INPUT.findall(page):
        attrs = dict(_ATTR.findall(tag))
        if "name" in attrs:
            values[html.unescape(attrs["name"])] = html.unescape(attrs.get("value", ""))
    return values


def parse_minor(text: str) -> int:
    """ "1,234.56" -> 123456 (the demo firm's USD)."""
    whole, _, cents = text.replace(",", "").partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])


def format_minor(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(math.ceil(len(sorted_values) * pct / 100) - 1, 0)]


@dataclass
class Stats:
    """Every request's start and latency by kind, errors and refund outcomes.

    The figures are for the steady window, after every user has signed
    in (``steady_from``); sign-in is measured over the whole run.
    """

    samples: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    steady_from: float = 0.0
    first: float | None = None
    last: float = 0.0

    def record(self, kind: str, begun: float, ended: float) -> None:
        self.samples[kind].append((begun, (ended - begun) * 1000))
        self.first = begun if self.first is None else min(self.first, begun)
        self.last = max(self.last, ended)

    def error(self, kind: str, text: str) -> None:
        self.errors[kind] += 1
        if len(self.error_samples) < 20:
            self.error_samples.append(f"{kind}: {text}")

    def times(self, kind: str, *, steady: bool = True) -> list[float]:
        """Ascending latencies (ms) of ``kind``; sign-in's over the whole run."""
        since = self.steady_from if steady and kind not in SIGN_IN else 0.0
        return sorted(ms for begun, ms in self.samples.get(kind, []) if begun >= since)

    def pages(self) -> list[float]:
        """Every steady-window request but sign-in's."""
        return sorted(
            t for kind in self.samples if kind not in SIGN_IN for t in self.times(kind)
        )


class Pool:
    """The shared refundable payments: users pick among the first few
    still refundable, so several users race on each."""

    def __init__(self, ids: list[int], hot: int):
        self.ids = list(ids)
        self.hot = hot

    def pick(self, rng: random.Random) -> int | None:
        return rng.choice(self.ids[: self.hot]) if self.ids else None

    def drop(self, payment_id: int) -> None:
        if payment_id in self.ids:
            self.ids.remove(payment_id)


class Failed(Exception):
    """A request that counts as an error (already recorded)."""


class VirtualUser:
    def __init__(
        self,
        *,
        base_url: str,
        username: str,
        stats: Stats,
        pool: Pool,
        rng: random.Random,
        think: tuple[float, float],
        timeout: float,
    ):
        import httpx

        self.username = username
        self.stats = stats
        self.pool = pool
        self.rng = rng
        self.think_range = think
        self.base_url = base_url
        # A browser's Origin on every request; keep-alive connections are
        # dropped after 1 s idle, before gunicorn's 2 s keep-alive closes them
        # (a request on a closing connection would fail with no retry).
        self.client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Origin": base_url, "User-Agent": "payportal-loadtest"},
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=1, keepalive_expiry=1.0),
        )
        self.records: list[int] = []
        self.next_url: str | None = None

    async def think(self) -> None:
        low, high = self.think_range
        if high > 0:
            await asyncio.sleep(self.rng.uniform(low, high))

    async def request(
        self,
        kind: str,
        method: str,
        url: str,
        *,
        expect: tuple[int, ...] = (200,),
        data: dict[str, str] | None = None,
    ) -> Any:
        import httpx

        fresh = False

        async def trace(event: str, info: dict[str, Any]) -> None:
            nonlocal fresh
            fresh = fresh or event == "connection.connect_tcp.started"

        begun = time.perf_counter()
        try:
            response = await self.client.request(
                method, url, data=data, extensions={"trace": trace}
            )
        except httpx.HTTPError as error:
            self.stats.error(
                kind,
                f"{method} {url}: {type(error).__name__} {error} after "
                f"{time.perf_counter() - begun:.2f} s on a "
                f"{'new' if fresh else 'kept-alive'} connection, "
                f"{begun - self.stats.steady_from:+.1f} s into the steady window",
            )
            raise Failed from error
        self.stats.record(kind, begun, time.perf_counter())
        if response.status_code not in expect:
            self.stats.error(kind, f"{method} {url}: HTTP {response.status_code}")
            raise Failed
        return response

    async def sign_in(self) -> None:
        page = await self.request("login form", "GET", "/")
        token = form_inputs(page.text).get("csrfmiddlewaretoken")
        if not token:
            self.stats.error("login form", "no CSRF token on the login page")
            raise Failed
        response = await self.request(
            "login",
            "POST",
            "/",
            data={
                "csrfmiddlewaretoken": token,
                "username": self.username,
                "password": PASSWORD,
            },
            expect=(302,),
        )
        if response.headers.get("location") != "/":
            where = response.headers.get("location")
            self.stats.error("login", f"{self.username} sent to {where}")
            raise Failed
        await self.request("dashboard", "GET", "/")

    def _remember(self, page: str, url: str) -> None:
        found = _NEXT.search(page)
        self.next_url = urljoin(url, html.unescape(found.group(1))) if found else None
        ids = [int(i) for i in _RECORD.findall(page)]
        if ids:
            self.records = (ids + self.records)[:60]

    async def transactions(self, kind: str, url: str) -> None:
        response = await self.request(kind, "GET", url)
        self._remember(response.text, str(response.url))

    async def act(self, kind: str) -> None:
        rng = self.rng
        if kind == "transactions":
            await self.transactions(kind, "/transactions/")
        elif kind == "transactions next":
            if self.next_url is None:
                self.stats.outcomes["next: no link seen, first page"] += 1
            await self.transactions(kind, self.next_url or "/transactions/")
        elif kind == "transactions filter":
            today = date.today()
            url = rng.choice(
                [
                    "/transactions/?status=refunded",
                    "/transactions/?status=partially_refunded",
                    "/transactions/?account=trust",
                    "/transactions/?last4=4242",
                    f"/transactions/?date_from={today - timedelta(days=7)}"
                    f"&date_to={today}",
                    "/transactions/?sort=-amount",
                ]
            )
            await self.transactions(kind, url)
        elif kind == "transactions search":
            await self.transactions(
                kind, f"/transactions/?q={rng.choice(SEARCH_WORDS)}"
            )
        elif kind == "payment record":
            ids = self.records or self.pool.ids[:10]
            if ids:
                await self.request(kind, "GET", f"/transactions/{rng.choice(ids)}/")
            else:
                await self.transactions("transactions", "/transactions/")
        elif kind == "dashboard":
            await self.request(kind, "GET", rng.choice(["/", "/", "/?period=7d"]))
        elif kind == "users":
            await self.request(kind, "GET", "/users/")
        elif kind == "users search":
            await self.request(
                kind, "GET", "/users/?q=" + rng.choice(["load", "smith"])
            )
        elif kind == "refunds":
            await self.request(kind, "GET", "/refunds/")
        elif kind == "refund":
            await self.refund()
        else:
            raise ValueError(kind)

    async def refund(self) -> None:
        """The refund form, its confirmation, and the payment it leads to."""
        payment_id = self.pool.pick(self.rng)
        if payment_id is None:
            await self.act("payment record")
            return
        url = f"/transactions/{payment_id}/refund/"
        page = (await self.request("refund form", "GET", url)).text
        if self._lost(page, payment_id):
            return
        fields = form_inputs(page)
        try:
            refundable = parse_minor(fields["amount"])
            key = fields["idempotency_key"]
            token = fields["csrfmiddlewaretoken"]
        except (KeyError, ValueError):
            self.stats.error("refund form", f"{url}: no refund form on the page")
            raise Failed from None
        # The whole amount left, or a part of it, as a person would type
        # it after reading the form; never an amount ending .13, which the
        # sandbox processor refuses.
        if self.rng.random() < 0.3 or refundable < 200:
            amount = refundable
        else:
            amount = self.rng.randint(refundable // 10, refundable // 2)
        if amount % 100 == 13:
            amount -= 1
        await self.think()
        data = {
            "csrfmiddlewaretoken": token,
            "amount": format_minor(amount),
            "reason": REFUND_REASON,
            "note": "",
            "idempotency_key": key,
            "step": "review",
        }
        page = (await self.request("refund review", "POST", url, data=data)).text
        if 'value="confirm"' not in page:
            if not self._lost(page, payment_id):
                self.stats.error("refund review", f"{url}: unexpected answer")
                raise Failed
            return
        confirm = form_inputs(page)
        data = {
            name: confirm.get(name, "")
            for name in ("csrfmiddlewaretoken", "amount", "reason", "note")
        }
        data.update(idempotency_key=confirm.get("idempotency_key", ""), step="confirm")
        await self.think()
        response = await self.request(
            "refund confirm", "POST", url, data=data, expect=(200, 302)
        )
        if response.status_code == 200:
            if not self._lost(response.text, payment_id):
                self.stats.error("refund confirm", f"{url}: unexpected answer")
                raise Failed
            return
        record = f"/transactions/{payment_id}/"
        if response.headers.get("location") != record:
            self.stats.error(
                "refund confirm", f"{url}: sent to {response.headers.get('location')}"
            )
            raise Failed
        page = (await self.request("payment record", "GET", record)).text
        if f"{amount // 100:,}.{amount % 100:02d} succeeded." not in page:
            self.stats.error("refund confirm", f"{url}: no 'succeeded' message")
            raise Failed
        self.stats.outcomes["refund succeeded"] += 1
        if amount == refundable:
            self.pool.drop(payment_id)

    def _lost(self, page: str, payment_id: int) -> bool:
        """Another user's refund came first: an expected answer."""
        if "Nothing to refund" in page:
            self.pool.drop(payment_id)
            self.stats.outcomes["refund lost: nothing left"] += 1
            return True
        if "At most " in page and "can be refunded." in page:
            self.stats.outcomes["refund lost: at most"] += 1
            return True
        return False

    async def run(self, *, start_delay: float, deadline: float) -> None:
        kinds = list(MIX)
        weights = [MIX[kind] for kind in kinds]
        try:
            await asyncio.sleep(start_delay)
            try:
                await self.sign_in()
            except Failed:
                return
            while time.monotonic() < deadline:
                await self.think()
                if time.monotonic() >= deadline:
                    break
                try:
                    await self.act(self.rng.choices(kinds, weights)[0])
                except Failed:
                    # Counted; a browser would move on to the next page.
                    continue
        finally:
            await self.client.aclose()


async def drive(
    *,
    base_url: str,
    usernames: list[str],
    pool_ids: list[int],
    duration: float,
    ramp: float,
    think: tuple[float, float],
    timeout: float,
    seed: int,
) -> tuple[Stats, Pool]:
    stats = Stats()
    pool = Pool(pool_ids, hot=max(2, len(usernames) // 5))
    stats.steady_from = time.perf_counter() + ramp
    deadline = time.monotonic() + ramp + duration
    users = [
        VirtualUser(
            base_url=base_url,
            username=username,
            stats=stats,
            pool=pool,
            rng=random.Random(seed * 1000 + n),
            think=think,
            timeout=timeout,
        )
        for n, username in enumerate(usernames)
    ]
    step = ramp / len(users) if users else 0
    tasks = [
        user.run(start_delay=n * step, deadline=deadline)
        for n, user in enumerate(users)
    ]
    # Bounded even if something hangs: requests time out, and so does all.
    try:
        await asyncio.wait_for(
            asyncio.gather(*tasks), timeout=ramp + duration + 4 * timeout + 30
        )
    except TimeoutError:
        stats.error("run", "the users did not finish in time: stopped")
    return stats, pool


# --- Report --------------------------------------------------------------------


def _row(label: str, times: list[float], errors: int) -> str:
    median = statistics.median(times) if times else math.nan
    top = times[-1] if times else math.nan
    return (
        f"{label:<22}{len(times):>9}{median:>11.1f}{percentile(times, 95):>9.1f}"
        f"{top:>9.1f}{errors:>8}"
    )


def failures(stats: Stats, check: dict[str, Any]) -> list[str]:
    found = []
    errors = sum(stats.errors.values())
    if errors:
        found.append(f"{errors} errors")
    if check["over_refunded"] or check["refunded_amount_mismatch"]:
        found.append("refunded_amount invariant broken")
    if check["over_held"]:
        found.append("refunds hold more than the payment")
    succeeded = stats.outcomes.get("refund succeeded", 0)
    if check["new_refunds"] != succeeded:
        found.append(
            f"{check['new_refunds']} new refunds in the database, "
            f"{succeeded} seen to succeed"
        )
    return found


def report(stats: Stats, *, check: dict[str, Any], info: dict[str, Any]) -> str:
    think = info["think"]
    lines = [
        f"{info['users']} users, {info['duration']:.0f} s after a {info['ramp']:.0f} s "
        f"sign-in ramp, think {think[0]}-{think[1]} s, {info['workers']} workers, "
        f"{info['database']}",
        "CPU seconds during the run: server "
        + (f"{info['server_cpu']:.1f}" if info["server_cpu"] is not None else "?")
        + f", this load generator {info['client_cpu']:.1f}"
        + (
            f", PostgreSQL backends of this database at least "
            f"{info['database_cpu']:.1f}"
            if info["database_cpu"] is not None
            else ""
        )
        + f", the whole machine {info['machine_cpu']:.1f} of "
        f"{info['machine_total']:.0f} ({info['machine_busy']:.0%} busy; the rest "
        "is Redis and anything else running)",
        f"load average before: {info['load_before']}",
        f"load average after:  {info['load_after']}",
        "",
        f"{'kind':<22}{'requests':>9}{'median ms':>11}{'p95 ms':>9}"
        f"{'max ms':>9}{'errors':>8}",
    ]
    for kind in sorted(set(stats.samples) | set(stats.errors)):
        lines.append(_row(kind, stats.times(kind), stats.errors.get(kind, 0)))
    pages = stats.pages()
    page_errors = sum(n for kind, n in stats.errors.items() if kind not in SIGN_IN)
    lines.append(_row("all but sign-in", pages, page_errors))
    lines.append("")
    steady = info["duration"]
    lines.append(
        f"steady window: {len(pages)} requests in {steady:.0f} s: "
        f"{len(pages) / steady:.1f} req/s"
    )
    everything = sorted(
        t for kind in stats.samples for t in stats.times(kind, steady=False)
    )
    wall = (stats.last - stats.first) if stats.first is not None else 0.0
    lines.append(
        f"whole run: {len(everything)} requests in {wall:.1f} s "
        f"({len(everything) / wall if wall else 0:.1f} req/s), median "
        f"{statistics.median(everything) if everything else math.nan:.1f} ms, p95 "
        f"{percentile(everything, 95):.1f} ms, {sum(stats.errors.values())} errors"
    )
    lines.append(
        "refunds: "
        + ", ".join(f"{k} {v}" for k, v in sorted(stats.outcomes.items()))
        + f"; pool left {info['pool_left']} of {info['pool_size']}"
    )
    lines.append(
        "database: {payments_checked} payments checked, {new_refunds} new refunds "
        "{new_refunds_by_status} on {payments_refunded_in_run} payments; "
        "over-refunded {over_refunded}, refunded_amount != succeeded refunds "
        "{refunded_amount_mismatch}, held over the amount {over_held}".format(**check)
    )
    if stats.error_samples:
        lines.append("")
        lines.append("first errors:")
        lines.extend(f"  {sample}" for sample in stats.error_samples)
    found = failures(stats, check)
    lines.append("")
    lines.append("FAIL: " + "; ".join(found) if found else "OK")
    return "\n".join(lines)


def summary(stats: Stats, info: dict[str, Any]) -> dict[str, Any]:
    """The measured figures, for --json."""

    def figures(times: list[float]) -> dict[str, Any]:
        return {
            "requests": len(times),
            "median_ms": round(statistics.median(times), 1) if times else None,
            "p95_ms": round(percentile(times, 95), 1) if times else None,
        }

    pages = stats.pages()
    return {
        "kinds": {
            kind: {**figures(stats.times(kind)), "errors": stats.errors.get(kind, 0)}
            for kind in stats.samples
        },
        "pages": figures(pages),
        "throughput": round(len(pages) / info["duration"], 1),
        "errors": sum(stats.errors.values()),
        "error_samples": stats.error_samples,
        "outcomes": dict(stats.outcomes),
    }


def process_cpu(pid: int) -> float | None:
    """CPU seconds used by process ``pid`` so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BackendSampler:
    """CPU seconds of the database's server processes during the run.

    PostgreSQL names each backend's database in its command line; they are
    sampled every ``interval`` seconds, so a backend that lives shorter
    than that (a connection per request) is mostly missed: a lower bound.
    """

    def __init__(self, database: str, interval: float = 0.5):
        self.needle = f" {database} ".encode()
        self.interval = interval
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.samples = 0

    def sample(self) -> None:
        for path in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if self.needle not in path.read_bytes():
                    continue
            except OSError:
                continue
            pid = int(path.parent.name)
            used = process_cpu(pid)
            if used is None:
                continue
            # Backends already there at the start count from then on.
            self.first.setdefault(pid, used if self.samples == 0 else 0.0)
            self.last[pid] = used
        self.samples += 1

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except TimeoutError:
                pass
        self.sample()

    @property
    def seconds(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


async def run_load(sampler: BackendSampler | None, **kwargs: Any) -> tuple[Stats, Pool]:
    """``drive`` with the database's processes sampled alongside."""
    if sampler is None:
        return await drive(**kwargs)
    stop = asyncio.Event()
    task = asyncio.create_task(sampler.run(stop))
    try:
        return await drive(**kwargs)
    finally:
        stop.set()
        await task


def cpu_times() -> tuple[float, float]:
    """Busy and total seconds of all cores since boot (Linux /proc/stat)."""
    try:
        ticks = [int(n) for n in Path("/proc/stat").read_text().split()[1:9]]
    except OSError:
        return 0.0, 0.0
    idle = ticks[3] + ticks[4]  # idle, iowait
    clock = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / clock, sum(ticks) / clock


def load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "unknown"


# --- Command line ----------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=120, help="seconds")
    parser.add_argument(
        "--ramp",
        type=float,
        default=30,
        help="seconds over which the users sign in, one after another "
        "(Argon2 costs about 0.3 s of CPU a sign-in; default 30)",
    )
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(0.5, 1.5),
        metavar=("MIN", "MAX"),
        help="seconds between a user's pages (uniform; default 0.5 1.5)",
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--pool", type=int, default=200, help="refundable payments")
    parser.add_argument(
        "--seed-payments",
        type=int,
        help="use firm 1 of `payportal seed` with this many payments instead of "
        "the demo firm",
    )
    parser.add_argument(
        "--seed-users", type=int, default=1000, help="staff of the seeded firm"
    )
    parser.add_argument(
        "--days",
        type=int,
        help="days of card activity (default: 90 for the demo firm, 730 seeded)",
    )
    parser.add_argument("--timeout", type=float, default=30, help="per request")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument(
        "--url", help="a running portal on this machine (no server is started)"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="default: $DATABASE_URL (SQLite in the data dir when unset)",
    )
    parser.add_argument("--redis-url", default=None, help="default: $REDIS_URL")
    parser.add_argument("--data-dir", help="PAYPORTAL_DATA_DIR for the server")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="PAYPORTAL_DB_CONN_MAX_AGE for the server (default: the settings' 60)",
    )
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 users, 5 s, 2 workers, SQLite and no Redis unless given: "
        "checks that the script runs",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.duration, args.ramp = 3, 5.0, 1.0
        args.think = (0.05, 0.2)
        args.workers, args.pool, args.days = 2, 10, 14
    elif args.database_url is None:
        args.database_url = os.environ.get("DATABASE_URL")
    if not args.quick and args.redis_url is None:
        args.redis_url = os.environ.get("REDIS_URL")
    if args.url and urlsplit(args.url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("--url must be a loopback address")
    return args


def server_env(args: argparse.Namespace, data_dir: Path) -> dict[str, str]:
    """Production settings on plain http over loopback.

    The portal's own variables are not passed through from this shell: the
    server runs with the production defaults (throttles on, and so on)
    and only what is set here.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PAYPORTAL_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="payportal.settings",
        PAYPORTAL_DATA_DIR=str(data_dir),
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PAYPORTAL_DEBUG="false",
        # Plain http on loopback: Secure cookies and the HTTPS redirect
        # would stop every request.
        PAYPORTAL_HTTPS="false",
        PYTHONUNBUFFERED="1",
    )
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    if args.conn_max_age is not None:
        env["PAYPORTAL_DB_CONN_MAX_AGE"] = str(args.conn_max_age)
    return env


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("_setup", "_check"):
        params = json.loads(argv[1])
        result = (setup_data if argv[0] == "_setup" else check_data)(**params)
        print(json.dumps(result))
        return 0
    args = parse_args(argv)
    default_dir = "/tmp/loadtest-quick" if args.quick else "/tmp/loadtest-data"  # noqa: S108
    data_dir = Path(args.data_dir or default_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = server_env(args, data_dir)
    database = (
        urlsplit(args.database_url).scheme + " " + urlsplit(args.database_url).path
        if args.database_url
        else f"sqlite in {data_dir}"
    ) + (", redis" if args.redis_url else ", no redis")

    print(f"setting up ({database}) ...", flush=True)
    setup = _child(
        "_setup",
        env,
        {
            "users": args.users,
            "pool": args.pool,
            "days": args.days or (90 if args.seed_payments is None else 730),
            "seed_payments": args.seed_payments,
            "seed_users": args.seed_users,
        },
    )
    print(
        f"{setup['firm']}: {setup['payments']} payments, {len(setup['usernames'])} "
        f"load users, {len(setup['pool_ids'])} fresh payments to refund "
        f"({setup['setup_seconds']} s)",
        flush=True,
    )
    server = None
    try:
        if args.url:
            base_url = args.url.rstrip("/")
        else:
            port = args.port or free_port()
            log = data_dir / "server.log"
            server = Server(env=env, port=port, workers=args.workers, log=log)
            server.wait_ready()
            base_url = server.url
            print(f"serving at {base_url} ({args.workers} workers), log {log}")
        load_before = load_average()
        server_cpu = server.cpu_seconds() if server else None
        client_cpu = time.process_time()
        machine = cpu_times()
        print(f"{args.users} users for {args.duration:.0f} s ...", flush=True)
        sampler = (
            BackendSampler(urlsplit(args.database_url).path.lstrip("/"))
            if args.database_url and args.database_url.startswith("postgres")
            else None
        )
        stats, pool = asyncio.run(
            run_load(
                sampler,
                base_url=base_url,
                usernames=setup["usernames"],
                pool_ids=setup["pool_ids"],
                duration=args.duration,
                ramp=args.ramp,
                think=tuple(args.think),
                timeout=args.timeout,
                seed=args.seed,
            )
        )
        load_after = load_average()
        client_cpu = time.process_time() - client_cpu
        busy, total = (a - b for a, b in zip(cpu_times(), machine, strict=True))
        if server is not None:
            server_cpu = server.cpu_seconds() - server_cpu
    finally:
        if server is not None:
            server.stop()
    check = _child(
        "_check",
        env,
        {
            "merchant_id": setup["merchant_id"],
            "refund_id_floor": setup["refund_id_floor"],
            "usernames": setup["usernames"],
        },
    )
    info = {
        "users": args.users,
        "duration": args.duration,
        "ramp": args.ramp,
        "think": tuple(args.think),
        "workers": args.workers if server else "?",
        "database": database,
        "server_cpu": server_cpu,
        "database_cpu": sampler.seconds if sampler else None,
        "machine_busy": busy / total if total else math.nan,
        "machine_cpu": busy,
        "machine_total": total,
        "client_cpu": client_cpu,
        "load_before": load_before,
        "load_after": load_after,
        "pool_left": len(pool.ids),
        "pool_size": len(setup["pool_ids"]),
    }
    print(report(stats, check=check, info=info))
    code = 1 if failures(stats, check) else 0
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {**summary(stats, info), "check": check, "info": info, "exit": code},
                indent=2,
                default=str,
            )
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
