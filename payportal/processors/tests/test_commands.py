"""``payportal webhooks list|retry`` and ``payportal simulate``."""

import json
import socket
from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from payportal.payments.models import Dispute, Payment, Refund
from payportal.payments.tests import sandbox_events as ev
from payportal.processors.activity import generate_activity
from payportal.processors.models import WebhookEvent

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


# --- webhooks ---------------------------------------------------------------


@pytest.mark.django_db
def test_webhooks_retry_reapplies_failed_event_once_cause_is_fixed(merchant):
    account = merchant.processor_account
    body = ev.payment_body(merchant, ref="py_early")
    merchant.processor_account = "acct_other"
    merchant.save()
    event = ev.send(body)
    assert event.status == WebhookEvent.Status.FAILED
    merchant.processor_account = account
    merchant.save()

    output = run("webhooks", "retry")

    assert output == (
        f"{event.event_id}  payment.succeeded  applied  (was failed)\n"
        "Re-applied 1 event: 1 applied.\n"
    )
    event.refresh_from_db()
    assert (event.status, event.error, event.attempts) == ("applied", "", 2)
    assert Payment.objects.get().processor_ref == "py_early"


@pytest.mark.django_db
def test_webhooks_retry_keeps_an_event_that_still_fails(merchant):
    event = ev.send(ev.payment_body(merchant, status="authorized"))

    output = run("webhooks", "retry")

    assert output == (
        f"{event.event_id}  payment.authorized  failed  "
        "CannotApply: unknown payment status 'authorized'  (was failed)\n"
        "Re-applied 1 event: 1 failed.\n"
    )


@pytest.mark.django_db
def test_webhooks_retry_with_deferred_applies_waiting_events(merchant):
    payment = ev.payment_succeeded(merchant, ref="py_1")
    # A refund waiting for a payment that arrived some other way.
    waiting = ev.send(ev.refund_body(payment, ref="re_1"))
    assert waiting.status == WebhookEvent.Status.APPLIED
    WebhookEvent.objects.filter(pk=waiting.pk).update(status="deferred")
    Refund.objects.all().delete()
    Payment.objects.filter(pk=payment.pk).update(refunded_amount=0, status="succeeded")

    assert run("webhooks", "retry") == "Nothing to retry.\n"
    output = run("webhooks", "retry", "--deferred")

    assert output.endswith("Re-applied 1 event: 1 applied.\n")
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED


@pytest.mark.django_db
def test_webhooks_list_prints_events_with_status_and_error(merchant):
    good = ev.send(ev.payment_body(merchant))
    bad = ev.send(ev.payment_body(merchant, status="authorized"))

    everything = run("webhooks", "list")
    failed = run("webhooks", "list", "--status", "failed")
    deferred = run("webhooks", "list", "--status", "deferred")

    assert everything.splitlines() == [
        f"{bad.event_id}  payment.authorized  failed  "
        "CannotApply: unknown payment status 'authorized'",
        f"{good.event_id}  payment.succeeded  applied",
    ]
    assert failed.splitlines() == everything.splitlines()[:1]
    assert deferred == "No events.\n"


@pytest.mark.django_db
def test_webhooks_needs_an_action():
    with pytest.raises(CommandError):
        run("webhooks")


# --- simulate ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_simulate_sends_signed_activity_to_a_running_portal(live_server, merchant):
    # The activity is drawn from the seed and the account: a fixed account
    # (the factory's depends on test order) makes the counts below fixed.
    merchant.processor_account = "acct_simulate"
    merchant.save(update_fields=["processor_account"])
    with time_machine.travel(NOW, tick=False):
        expected = Counter(
            json.loads(body)["type"]
            for body in generate_activity(
                account=merchant.processor_account,
                days=3,
                per_day=4,
                seed=7,
                now=NOW,
                time_zone=merchant.time_zone,
            )
        )
        sent = sum(expected.values())

        output = run(
            "simulate",
            "--merchant",
            merchant.name,
            "--days",
            "3",
            "--per-day",
            "4",
            "--seed",
            "7",
            "--url",
            live_server.url,
        )

        assert output.splitlines()[0] == (
            f"Sending 3 days of activity for {merchant.name} "
            f"({merchant.processor_account}) to {live_server.url}/webhooks/sandbox/"
        )
        assert output.splitlines()[-1].endswith(
            f"{sent} sent, {sent} applied, 0 replays, 0 deferred, 0 failed, "
            "0 ignored, 0 errors."
        )
        payments = expected["payment.succeeded"] + expected["payment.failed"]
        assert payments >= 8
        assert Payment.objects.filter(merchant=merchant).count() == payments
        assert (
            Payment.objects.filter(status="failed").count()
            == (expected["payment.failed"])
        )
        assert WebhookEvent.objects.filter(status="applied").count() == sent

        again = run(
            "simulate",
            "--merchant",
            str(merchant.pk),
            "--days",
            "3",
            "--per-day",
            "4",
            "--seed",
            "7",
            "--url",
            live_server.url + "/",
        )

    assert again.splitlines()[-1].endswith(
        f"{sent} sent, 0 applied, {sent} replays, 0 deferred, 0 failed, "
        "0 ignored, 0 errors."
    )
    assert WebhookEvent.objects.count() == sent
    assert Dispute.objects.count() == expected["dispute.created"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["Nobody LLP", "999999"])
def test_simulate_refuses_unknown_firm(merchant, name):
    with pytest.raises(CommandError) as exc:
        run("simulate", "--merchant", name)

    assert str(exc.value) == (
        f"No firm has the id, processor account or name {name!r}."
    )


@pytest.mark.django_db
def test_simulate_says_when_the_portal_is_not_running(merchant):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port once the socket is closed.

    with time_machine.travel(NOW, tick=False), pytest.raises(CommandError) as exc:
        run(
            "simulate",
            "--merchant",
            merchant.processor_account,
            "--days",
            "1",
            "--url",
            f"http://127.0.0.1:{port}",
        )

    assert str(exc.value).startswith(
        f"Could not reach http://127.0.0.1:{port}/webhooks/sandbox/: "
    )
    assert "Is the portal running?" in str(exc.value)
    assert WebhookEvent.objects.count() == 0


@pytest.mark.django_db
def test_webhooks_retry_applies_an_event_stuck_as_received(merchant, time_machine):
    # Stored, then the process stopped before applying it.
    time_machine.move_to(NOW, tick=False)
    body = ev.payment_body(merchant, ref="py_stuck")
    event = WebhookEvent.objects.create(
        processor="sandbox",
        event_id="evt_stuck",
        type="payment.succeeded",
        merchant=merchant,
        payment_ref="py_stuck",
        created_at=NOW,
        received_at=NOW,
        payload=json.loads(body),
        status=WebhookEvent.Status.RECEIVED,
    )
    time_machine.move_to(NOW + timedelta(minutes=9), tick=False)
    assert run("webhooks", "retry") == "Nothing to retry.\n"

    time_machine.move_to(NOW + timedelta(minutes=11), tick=False)
    output = run("webhooks", "retry")

    assert output == (
        "evt_stuck  payment.succeeded  applied  (was received)\n"
        "Re-applied 1 event: 1 applied.\n"
    )
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.APPLIED
    assert Payment.objects.get().processor_ref == "py_stuck"
