import json
import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from payportal.accounts.models import Role, User
from payportal.audit.models import AuditEvent
from payportal.merchants.demo import (
    DEMO_ACCOUNT,
    DEMO_SEED,
    add_demo_activity,
    ensure_demo_firm,
)
from payportal.merchants.models import Merchant
from payportal.payments.models import DailyTotal, Dispute, Payment, Refund
from payportal.processors.activity import generate_activity
from payportal.processors.models import WebhookEvent

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createmerchant_prints_generated_temporary_password():
    output = run(
        "createmerchant",
        "--name",
        "Hale & Stone LLP",
        "--admin-username",
        "mstone",
        "--admin-email",
        "mstone@halestone.example",
        "--admin-full-name",
        "Margaret Stone",
    )

    password = re.search(r"Temporary password: (\S+)", output).group(1)
    user = User.objects.get(username="mstone")
    assert user.check_password(password) is True
    assert user.must_change_password is True
    assert user.full_name == "Margaret Stone"
    assert user.merchant.name == "Hale & Stone LLP"
    assert "Username:           mstone" in output


def test_createmerchant_creates_only_administrator_role():
    run(
        "createmerchant",
        "--name",
        "Firm",
        "--admin-username",
        "first",
        "--admin-email",
        "first@example.com",
    )

    merchant = Merchant.objects.get(name="Firm")
    roles = list(
        Role.objects.filter(merchant=merchant).values_list("name", "is_administrator")
    )
    assert roles == [("Administrator", True)]
    user = User.objects.get(username="first")
    assert user.full_name == "first"
    assert user.can("users.manage") is True


def test_createmerchant_with_given_password_does_not_print_it():
    output = run(
        "createmerchant",
        "--name",
        "Firm",
        "--admin-username",
        "first",
        "--admin-email",
        "first@example.com",
        "--admin-password",
        "Granite-castle-42",
    )

    assert "Granite-castle-42" not in output
    user = User.objects.get(username="first")
    assert user.check_password("Granite-castle-42") is True
    assert user.must_change_password is True


def test_createmerchant_records_audit_events():
    run(
        "createmerchant",
        "--name",
        "Firm",
        "--admin-username",
        "first",
        "--admin-email",
        "first@example.com",
    )

    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["merchant.created", "user.created"]


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--admin-username", "jo@firm.com", "--admin-username: Usernames are 3 to 30"),
        (
            "--admin-email",
            "not-an-email",
            "--admin-email: Enter a valid email address.",
        ),
        ("--admin-password", "short1", "--admin-password: This password is too short."),
    ],
)
def test_createmerchant_rejects_bad_input_and_saves_nothing(flag, value, message):
    args = {
        "--name": "Firm",
        "--admin-username": "first",
        "--admin-email": "first@example.com",
    }
    args[flag] = value

    with pytest.raises(CommandError) as exc:
        run("createmerchant", *[item for pair in args.items() for item in pair])

    assert message in str(exc.value)
    assert Merchant.objects.count() == 0
    assert User.objects.count() == 0


def test_createmerchant_rejects_taken_username_ignoring_case(admin):
    with pytest.raises(CommandError) as exc:
        run(
            "createmerchant",
            "--name",
            "Firm 2",
            "--admin-username",
            "ADMIN",
            "--admin-email",
            "x@example.com",
        )

    assert "already taken" in str(exc.value)
    assert Merchant.objects.filter(name="Firm 2").exists() is False


# --- payportal demo: the demo firm's activity -----------------------------------

DEMO_NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def test_demo_firm_has_ninety_days_of_activity_and_a_second_run_adds_nothing():
    # One test, not several: building the firm is the slow part.
    with time_machine.travel(DEMO_NOW, tick=False):
        login = ensure_demo_firm()
        merchant = login.merchant
        events = WebhookEvent.objects.count()
        payments = Payment.objects.filter(merchant=merchant)

        again = ensure_demo_firm()
        replayed = add_demo_activity(merchant, now=DEMO_NOW)

    assert (login.created, again.created) == (True, False)
    assert replayed == events
    assert WebhookEvent.objects.count() == events
    assert merchant.time_zone == "America/New_York"
    assert merchant.processor_account == DEMO_ACCOUNT
    # Every event applied: nothing failed, nothing waits.
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"applied"}
    # About 90 days of 8 to 15 payments a business day, in both accounts.
    assert 700 <= payments.count() <= 1_200
    first = timezone.localtime(payments.order_by("created_at")[0].created_at)
    assert (DEMO_NOW - first).days == 89
    assert set(payments.values_list("account", flat=True)) == {"operating", "trust"}
    assert set(payments.values_list("status", flat=True)) == {
        "succeeded",
        "failed",
        "partially_refunded",
        "refunded",
    }
    refunds = set(Refund.objects.values_list("status", flat=True))
    assert {"succeeded", "failed"} <= refunds
    disputes = Dispute.objects.filter(merchant=merchant)
    assert set(disputes.values_list("status", flat=True)) == {
        "needs_response",
        "under_review",
        "won",
        "lost",
        "accepted",
    }
    due_soon = disputes.filter(
        status="needs_response",
        evidence_due_by__gt=DEMO_NOW,
        evidence_due_by__lte=DEMO_NOW + timedelta(days=3),
    )
    assert due_soon.count() >= 3
    # The same activity on every install: references come from the seed.
    generated = [
        json.loads(body)["data"]["object"]
        for body in generate_activity(
            account=DEMO_ACCOUNT,
            days=90,
            seed=DEMO_SEED,
            now=DEMO_NOW,
            time_zone="America/New_York",
        )
    ]
    expected = {obj["id"] for obj in generated if obj["object"] == "payment"}
    assert set(payments.values_list("processor_ref", flat=True)) == expected
    # The dashboard's daily totals add up to the payments themselves.
    totals = DailyTotal.objects.filter(merchant=merchant).aggregate(
        gross=Sum("gross"),
        count=Sum("payment_count"),
        fees=Sum("fees"),
        refunded=Sum("refunded"),
        disputed=Sum("disputed"),
    )
    paid = Payment.objects.filter(merchant=merchant).exclude(status="failed")
    assert totals == {
        "gross": paid.aggregate(total=Sum("amount"))["total"],
        "count": paid.count(),
        "fees": paid.aggregate(total=Sum("fee"))["total"],
        "refunded": Refund.objects.filter(status="succeeded").aggregate(
            total=Sum("amount")
        )["total"],
        "disputed": Dispute.objects.aggregate(total=Sum("amount"))["total"],
    }
    # Fees come from operating only, trust payments' fees included.
    trust = DailyTotal.objects.filter(merchant=merchant, account="trust")
    assert trust.aggregate(fees=Sum("fees"))["fees"] == 0
