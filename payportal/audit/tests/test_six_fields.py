"""Every audited event carries the six fields of PCI DSS 10.2.2.

1 user identification (``actor_username``, and ``actor`` when it is a
portal user), 2 type of event (``action``), 3 date and time
(``created_at``), 4 success or failure (``outcome``), 5 origination
(``ip_address`` for request-driven events; commands and the processor have
no address and record ``system`` or ``processor`` as the user), 6 the
affected data or component (``target_type`` with ``target_label`` or
``target_id``).
"""

import datetime

import pytest
import time_machine
from django.utils import timezone

from payportal.audit import actions
from payportal.audit.models import AuditEvent, Outcome
from payportal.audit.services import purge_events, record_event
from payportal.payments.tests import sandbox_events

pytestmark = pytest.mark.django_db


def assert_six_fields(event: AuditEvent, *, origin: str) -> None:
    assert event.actor_username != ""  # 1
    assert event.action in actions.LABELS  # 2
    assert abs(timezone.now() - event.created_at) < datetime.timedelta(hours=1)  # 3
    assert event.outcome in (Outcome.SUCCESS, Outcome.FAILURE)  # 4
    if origin == "request":  # 5
        assert event.ip_address == "127.0.0.1"
    else:
        assert (event.ip_address, event.actor_username) == (None, origin)
    assert event.target_type != ""  # 6
    assert event.target_label != "" or event.target_id != ""


def only(action: str) -> AuditEvent:
    return AuditEvent.objects.get(action=action)


def test_sign_in_events_carry_six_fields(anon_client, admin, password):
    anon_client.post("/", {"username": "admin", "password": "wrong-one-123"})
    anon_client.post("/", {"username": "admin", "password": password})

    assert_six_fields(only(actions.LOGIN_FAILED), origin="request")
    assert_six_fields(only(actions.LOGIN_SUCCEEDED), origin="request")
    assert only(actions.LOGIN_FAILED).outcome == Outcome.FAILURE


def test_sign_out_carries_six_fields(admin_client):
    admin_client.post("/logout/")

    assert_six_fields(only(actions.LOGOUT), origin="request")


def test_user_and_settings_changes_carry_six_fields(admin_client, merchant):
    admin_client.post(
        "/settings/edit/",
        {
            "name": "Renamed LLP",
            "time_zone": "UTC",
            "refund_approval_threshold": "1,000.00",
            "audit_retention_days": "365",
        },
    )

    assert_six_fields(only(actions.SETTINGS_CHANGED), origin="request")


def test_reading_and_exporting_carry_six_fields(admin_client):
    admin_client.get("/audit/")
    b"".join(admin_client.get("/audit/export/?format=csv").streaming_content)
    b"".join(admin_client.get("/users/access-review.csv").streaming_content)

    assert_six_fields(only(actions.AUDIT_VIEWED), origin="request")
    assert_six_fields(only(actions.AUDIT_EXPORTED), origin="request")
    assert_six_fields(only(actions.USERS_ACCESS_REVIEW_EXPORTED), origin="request")


def test_command_events_record_system_as_origin(merchant):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=800)):
        record_event(
            action=actions.LOGOUT,
            merchant=merchant,
            actor_username="a",
            target_type="user",
            target_label="a",
        )

    purge_events(merchant=merchant)

    assert_six_fields(only(actions.AUDIT_PURGED), origin="system")


def test_processor_events_record_processor_as_origin(merchant):
    payment = sandbox_events.payment_succeeded(merchant)
    sandbox_events.send(sandbox_events.refund_body(payment))

    assert_six_fields(only(actions.REFUND_SUCCEEDED), origin="processor")


def test_every_event_of_a_busy_firm_names_who_what_when_outcome_and_object():
    # The demo firm goes through the real services: staff and roles added,
    # a user deactivated, payments, refunds and chargebacks at every stage
    # through signed webhooks. Every event it leaves carries fields 1-4
    # and 6 (origination is covered per kind above: commands have none).
    from payportal.merchants.demo import ensure_demo_firm

    ensure_demo_firm(days=30)

    events = list(AuditEvent.objects.all())
    kinds = {event.action for event in events}
    assert {
        actions.MERCHANT_CREATED,
        actions.USER_CREATED,
        actions.ROLE_CREATED,
        actions.USER_DEACTIVATED,
        actions.DISPUTE_OPENED,
    } <= kinds
    for event in events:
        assert event.actor_username != "", event.action
        assert event.action in actions.LABELS
        assert event.created_at is not None
        assert event.outcome in (Outcome.SUCCESS, Outcome.FAILURE)
        assert event.target_type != "", event.action
        assert event.target_label != "" or event.target_id != "", event.action
