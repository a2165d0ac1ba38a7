from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from conftest import links_in
from payportal.payments.models import Dispute
from payportal.payments.tests import sandbox_events

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
THREE_DAYS = timedelta(days=3)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def responder(user_with):
    return user_with(
        "payments.view",
        "disputes.respond",
        username="rae",
        full_name="Rae Responder",
        email="rae@halestone.example",
    )


@pytest.fixture
def bystanders(user_with, other_merchant):
    """People who must not get chargeback emails."""
    user_with("payments.view", email="viewer@halestone.example")
    user_with("disputes.respond", email="gone@halestone.example", is_active=False)
    user_with("disputes.respond", merchant=other_merchant, email="other@firm.example")


@pytest.fixture
def payment(merchant):
    return sandbox_events.payment_succeeded(
        merchant,
        amount=25_000,
        created_at=NOW - timedelta(days=9),
        reference="MAT-2041",
    )


def open_dispute(payment, due_by):
    return sandbox_events.dispute_opened(
        payment, opened_at=NOW - timedelta(days=7), due_by=due_by
    )


def remind(capture):
    out = StringIO()
    with capture(execute=True):
        call_command("remind", stdout=out)
    return out.getvalue()


def test_remind_emails_each_responder_once_three_days_before(
    responder,
    admin,
    bystanders,
    payment,
    smtp_sink,
    django_capture_on_commit_callbacks,
):
    dispute = open_dispute(payment, NOW + THREE_DAYS)

    output = remind(django_capture_on_commit_callbacks)

    assert output == "Reminded about 1 chargeback due within 3 days.\n"
    assert sorted(m["To"] for m in smtp_sink.messages) == [
        admin.email,
        "rae@halestone.example",
    ]
    [body] = smtp_sink.bodies_to("rae@halestone.example")
    assert "Hello Rae Responder," in body
    assert "needs a response within 3 days" in body
    assert "Amount: $250.00" in body
    assert "Evidence due by: 25 November 2026, 10:00 UTC" in body
    assert links_in(body) == [f"http://localhost:8000/chargebacks/{dispute.pk}/"]
    assert smtp_sink.messages[0]["Subject"] == "Chargeback evidence due 25 Nov 2026"
    dispute.refresh_from_db()
    assert dispute.reminder_sent_at == NOW


def test_remind_a_second_run_sends_nothing(
    responder, payment, smtp_sink, django_capture_on_commit_callbacks, clock
):
    open_dispute(payment, NOW + THREE_DAYS)
    remind(django_capture_on_commit_callbacks)
    smtp_sink.messages.clear()
    clock.move_to(NOW + timedelta(hours=1), tick=False)

    output = remind(django_capture_on_commit_callbacks)

    assert output == "Reminded about 0 chargebacks due within 3 days.\n"
    assert smtp_sink.messages == []


def test_remind_waits_until_exactly_three_days_before(
    responder, payment, smtp_sink, django_capture_on_commit_callbacks, clock
):
    later = open_dispute(payment, NOW + THREE_DAYS + timedelta(seconds=1))

    # Three days and one second before the due date: not yet.
    assert remind(django_capture_on_commit_callbacks).startswith("Reminded about 0")
    assert smtp_sink.messages == []

    # Exactly three days before: now.
    clock.move_to(NOW + timedelta(seconds=1), tick=False)
    assert remind(django_capture_on_commit_callbacks).startswith("Reminded about 1")
    assert [m["To"] for m in smtp_sink.messages] == ["rae@halestone.example"]
    later.refresh_from_db()
    assert later.reminder_sent_at == NOW + timedelta(seconds=1)


def test_remind_skips_answered_and_past_due_chargebacks(
    responder, payment, smtp_sink, django_capture_on_commit_callbacks, clock
):
    past = open_dispute(payment, NOW - timedelta(seconds=1))
    under_review = open_dispute(payment, NOW + timedelta(days=1))
    Dispute.objects.filter(pk=under_review.pk).update(
        status=Dispute.Status.UNDER_REVIEW, submitted_at=NOW
    )

    assert remind(django_capture_on_commit_callbacks).startswith("Reminded about 0")
    assert smtp_sink.messages == []
    past.refresh_from_db()
    assert past.reminder_sent_at is None


def test_dispute_opened_webhook_emails_each_responder(
    responder,
    admin,
    bystanders,
    payment,
    smtp_sink,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        dispute = open_dispute(payment, datetime(2026, 12, 12, 23, 59, tzinfo=UTC))

    assert sorted(m["To"] for m in smtp_sink.messages) == [
        admin.email,
        "rae@halestone.example",
    ]
    assert smtp_sink.messages[0]["Subject"] == (
        f"New chargeback on {payment.processor_ref}"
    )
    [body] = smtp_sink.bodies_to("rae@halestone.example")
    assert "A chargeback has been opened at Hale & Stone LLP." in body
    assert f"Payment: {payment.processor_ref} (MAT-2041)" in body
    assert "Reason: Fraudulent" in body
    assert "Evidence due by: 12 December 2026, 23:59 UTC" in body
    assert links_in(body) == [f"http://localhost:8000/chargebacks/{dispute.pk}/"]


def test_dispute_opened_email_shows_the_firms_time_zone(
    merchant, user_with, payment, smtp_sink, django_capture_on_commit_callbacks
):
    merchant.time_zone = "America/New_York"
    merchant.save()
    user_with("disputes.respond", email="ny@halestone.example")

    with django_capture_on_commit_callbacks(execute=True):
        open_dispute(payment, datetime(2026, 12, 12, 23, 59, tzinfo=UTC))

    [body] = smtp_sink.bodies_to("ny@halestone.example")
    assert "Evidence due by: 12 December 2026, 18:59 EST" in body
