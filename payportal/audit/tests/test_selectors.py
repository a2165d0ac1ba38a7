import datetime

import pytest
import time_machine

from payportal.audit import actions
from payportal.audit.models import AuditEvent
from payportal.audit.selectors import list_events, verify_chain
from payportal.audit.services import compute_hash, record_event
from payportal.audit.tests.helpers import tampering

pytestmark = pytest.mark.django_db


def make_events(merchant, count: int, **fields) -> list[AuditEvent]:
    return [
        record_event(
            action=fields.get("action", actions.LOGIN_SUCCEEDED),
            merchant=merchant,
            actor=fields.get("actor"),
            actor_username=fields.get("actor_username", f"someone{n}"),
        )
        for n in range(count)
    ]


# --- list_events ---------------------------------------------------------


def test_list_events_returns_only_the_merchants_events(merchant, other_merchant):
    own = make_events(merchant, 2)
    make_events(other_merchant, 1)
    make_events(None, 1)

    events = list_events(merchant=merchant)

    assert list(events.order_by("id")) == own


def test_list_events_filters_by_actor_and_action(merchant, admin, user_with):
    other = user_with("dashboard.view")
    wanted = record_event(action=actions.LOGOUT, merchant=merchant, actor=admin)
    record_event(action=actions.LOGIN_SUCCEEDED, merchant=merchant, actor=admin)
    record_event(action=actions.LOGOUT, merchant=merchant, actor=other)

    events = list_events(merchant=merchant, actor_id=admin.pk, action=actions.LOGOUT)

    assert list(events) == [wanted]


def test_list_events_date_range_is_inclusive_in_site_time_zone(merchant, settings):
    settings.TIME_ZONE = "America/New_York"  # UTC-5 in January
    stamps = [
        "2026-01-10 04:59:59+00:00",  # 9 January, 23:59:59 in New York
        "2026-01-10 05:00:00+00:00",  # 10 January, 00:00 in New York
        "2026-01-11 04:59:59+00:00",  # 10 January, 23:59:59 in New York
        "2026-01-11 05:00:00+00:00",  # 11 January, 00:00 in New York
    ]
    events = []
    for stamp in stamps:
        with time_machine.travel(datetime.datetime.fromisoformat(stamp), tick=False):
            events.append(make_events(merchant, 1)[0])

    found = list_events(
        merchant=merchant,
        date_from=datetime.date(2026, 1, 10),
        date_to=datetime.date(2026, 1, 10),
    )

    assert list(found.order_by("id")) == events[1:3]


# --- verify_chain --------------------------------------------------------


def test_verify_chain_passes_clean_chain(merchant):
    make_events(merchant, 3)

    report = verify_chain(merchant=merchant)

    assert report.intact is True
    assert report.count == 3
    assert report.broken_event_id is None


def test_verify_chain_passes_empty_chain(merchant):
    report = verify_chain(merchant=merchant)

    assert (report.intact, report.count) == (True, 0)


def test_verify_chain_checks_the_chain_of_events_without_a_firm(merchant):
    make_events(None, 2)
    make_events(merchant, 1)

    report = verify_chain(merchant=None)

    assert (report.intact, report.count) == (True, 2)


def test_verify_chain_detects_edited_event(merchant):
    events = make_events(merchant, 3)
    with tampering():
        AuditEvent.objects.filter(pk=events[1].pk).update(actor_username="mallory")

    report = verify_chain(merchant=merchant)

    assert report.intact is False
    assert report.broken_event_id == events[1].pk
    assert report.problem == "its hash does not match its contents"


def test_verify_chain_detects_edited_event_with_recomputed_hash(merchant):
    events = make_events(merchant, 3)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.action = actions.LOGOUT
    with tampering():
        AuditEvent.objects.filter(pk=forged.pk).update(
            action=forged.action,
            hash=compute_hash(prev_hash=forged.prev_hash, event=forged),
        )

    report = verify_chain(merchant=merchant)

    assert report.broken_event_id == events[2].pk
    assert report.problem == "its previous hash does not match the event before it"


def test_verify_chain_detects_deleted_middle_event(merchant):
    events = make_events(merchant, 3)
    with tampering():
        AuditEvent.objects.filter(pk=events[1].pk).delete()

    report = verify_chain(merchant=merchant)

    assert report.intact is False
    assert report.broken_event_id == events[2].pk
    assert report.problem == "its previous hash does not match the event before it"


def test_verify_chain_detects_deleted_first_event(merchant):
    events = make_events(merchant, 2)
    with tampering():
        AuditEvent.objects.filter(pk=events[0].pk).delete()

    report = verify_chain(merchant=merchant)

    assert report.broken_event_id == events[1].pk


def test_verify_chain_ignores_other_firms_breaks(merchant, other_merchant):
    make_events(merchant, 2)
    theirs = make_events(other_merchant, 2)
    with tampering():
        AuditEvent.objects.filter(pk=theirs[0].pk).update(action="tampered")

    report = verify_chain(merchant=merchant)

    assert (report.intact, report.count) == (True, 2)
