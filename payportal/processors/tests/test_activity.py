"""The activity generator: deterministic, realistic, true to the sandbox rules."""

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from payportal.processors import sandbox
from payportal.processors.activity import generate_activity

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def events(**kwargs) -> list[dict]:
    options = {"account": "acct_gen", "days": 90, "seed": 1, "now": NOW}
    options.update(kwargs)
    return [json.loads(body) for body in generate_activity(**options)]


@pytest.fixture(scope="module")
def ninety_days() -> list[dict]:
    return events(time_zone="America/New_York")


def objects(evts: list[dict], type: str) -> list[dict]:
    return [e["data"]["object"] for e in evts if e["type"] == type]


def test_same_seed_gives_the_same_bytes():
    first = list(generate_activity(account="acct_gen", days=10, seed=3, now=NOW))
    second = list(generate_activity(account="acct_gen", days=10, seed=3, now=NOW))
    other = list(generate_activity(account="acct_gen", days=10, seed=4, now=NOW))

    assert first == second
    assert first != other
    assert all(isinstance(body, bytes) for body in first)


def test_other_accounts_get_other_references():
    mine = {e["data"]["object"]["id"] for e in events(days=5)}
    theirs = {e["data"]["object"]["id"] for e in events(days=5, account="acct_2")}

    assert mine.isdisjoint(theirs)


def test_events_are_in_time_order_and_in_the_window(ninety_days):
    times = [e["created"] for e in ninety_days]

    assert times == sorted(times)
    assert max(times) <= NOW.timestamp()
    assert min(times) >= (NOW - timedelta(days=90)).timestamp()
    assert len({e["id"] for e in ninety_days}) == len(ninety_days)


def test_ninety_days_look_like_a_busy_firm(ninety_days):
    payments = objects(ninety_days, "payment.succeeded")
    counts = Counter(p["deposit_account"] for p in payments)
    brands = {p["card"]["brand"] for p in payments}

    assert 700 <= len(payments) <= 1_200
    assert 0.25 <= counts["trust"] / len(payments) <= 0.45
    assert brands == {"visa", "mastercard", "amex", "discover"}
    assert all(25_000 <= p["amount"] <= 1_500_000 for p in payments)
    trust = [p for p in payments if p["deposit_account"] == "trust"]
    operating = [p for p in payments if p["deposit_account"] == "operating"]
    assert all(re.fullmatch(r"MAT-\d{4}-\d{4}", p["reference"]) for p in trust)
    assert all(re.fullmatch(r"INV-\d{5}", p["reference"]) for p in operating)
    assert all(p["billing_details"]["name"] and p["client"] for p in payments)
    assert all(p["billing_details"]["email"].count("@") == 1 for p in payments)
    assert all(p["fee"] > 0 for p in payments)


def test_outcomes_follow_the_sandbox_rules(ninety_days):
    declined = objects(ninety_days, "payment.failed")
    succeeded = objects(ninety_days, "payment.succeeded")
    last4 = {p["id"]: p["card"]["last4"] for p in succeeded}
    disputes = objects(ninety_days, "dispute.created")

    assert declined
    assert {p["card"]["last4"] for p in declined} == {sandbox.DECLINED_LAST4}
    assert sandbox.DECLINED_LAST4 not in set(last4.values())
    assert all(
        sandbox.DISPUTE_LAST4[last4[d["payment"]]] == d["reason"] for d in disputes
    )
    disputed = {d["payment"] for d in disputes}
    # A chargeback comes within 45 days of its payment: older payments
    # with a chargeback card all have theirs.
    cutoff = (NOW - timedelta(days=46)).timestamp()
    assert all(
        (p["card"]["last4"] in sandbox.DISPUTE_LAST4) == (p["id"] in disputed)
        for p in succeeded
        if p["created"] < cutoff
    )
    failed = objects(ninety_days, "refund.failed")
    refunded = objects(ninety_days, "refund.succeeded")
    assert failed and refunded
    assert all(sandbox.refund_fails(r["amount"]) for r in failed)
    assert not any(sandbox.refund_fails(r["amount"]) for r in refunded)
    amounts = {p["id"]: p["amount"] for p in succeeded}
    assert any(r["amount"] == amounts[r["payment"]] for r in refunded)
    assert any(r["amount"] < amounts[r["payment"]] for r in refunded)


def test_chargebacks_at_every_stage(ninety_days):
    last = {}
    for event in ninety_days:
        obj = event["data"]["object"]
        if obj["object"] == "dispute":
            last[obj["id"]] = obj
    states = Counter(d["status"] for d in last.values())
    days_left = sorted(
        (d["evidence_details"]["due_by"] - NOW.timestamp()) / 86_400
        for d in last.values()
        if d["status"] == "needs_response"
    )

    assert states["needs_response"] >= 5
    assert states["under_review"] >= 2
    assert min(states["won"], states["lost"], states["accepted"]) >= 1
    assert len([left for left in days_left if 0 < left <= 3]) >= 3
    assert len([left for left in days_left if left > 3]) >= 2


def test_per_day_sets_the_pace():
    payments = [
        e for e in events(days=14, per_day=30) if e["type"].startswith("payment.")
    ]

    assert 250 <= len(payments) <= 400


def test_nothing_after_now_and_today_only_so_far():
    early = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)  # before opening hours

    today = [e for e in events(days=1, now=early)]

    assert today == []


def test_a_later_run_the_same_day_resends_the_same_events():
    # So `payportal simulate` run twice makes replays, not new chargebacks.
    morning = set(generate_activity(account="acct_gen", days=60, seed=1, now=NOW))
    evening = set(
        generate_activity(
            account="acct_gen", days=60, seed=1, now=NOW + timedelta(hours=8)
        )
    )

    assert morning < evening
