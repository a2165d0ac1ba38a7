"""``payportal audit purge``: old events go, the chain still verifies."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from payportal.audit import actions
from payportal.audit.models import AuditEvent
from payportal.audit.selectors import verify_chain
from payportal.audit.services import purge_events, record_event
from payportal.audit.tests.helpers import tampering

pytestmark = pytest.mark.django_db


def event_at(merchant, moment: datetime.datetime) -> AuditEvent:
    with time_machine.travel(moment, tick=False):
        return record_event(
            action=actions.LOGOUT, merchant=merchant, actor_username="a"
        )


def days_ago(days: float) -> datetime.datetime:
    # Real time: the database's trigger compares with its own clock.
    return timezone.now() - datetime.timedelta(days=days)


def test_purge_deletes_only_events_older_than_retention(merchant):
    merchant.audit_retention_days = 400
    merchant.save()
    old = [event_at(merchant, days_ago(500)), event_at(merchant, days_ago(401))]
    kept = [event_at(merchant, days_ago(399)), event_at(merchant, days_ago(1))]

    deleted = purge_events(merchant=merchant)

    assert deleted == 2
    remaining = list(AuditEvent.objects.filter(merchant=merchant).order_by("id"))
    assert [e.pk for e in remaining[:2]] == [e.pk for e in kept]
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    purge = remaining[2]
    assert purge.action == actions.AUDIT_PURGED
    assert purge.actor_username == "system"
    assert purge.changes["purged_events"] == [None, 2]
    assert purge.changes["retention_days"] == [None, 400]
    assert purge.changes["chain_starts_at"] == [None, kept[0].prev_hash]


def test_purge_keeps_the_chain_verifiable(merchant):
    for days in (800, 700, 10):
        event_at(merchant, days_ago(days))

    purge_events(merchant=merchant)
    event_at(merchant, timezone.now())

    report = verify_chain(merchant=merchant)
    assert (report.intact, report.count) == (True, 3)


def test_purge_of_every_event_starts_the_chain_at_the_purge(merchant):
    event_at(merchant, days_ago(800))
    event_at(merchant, days_ago(700))

    assert purge_events(merchant=merchant) == 2

    report = verify_chain(merchant=merchant)
    assert (report.intact, report.count) == (True, 1)


def test_purge_with_nothing_old_records_nothing(merchant):
    event_at(merchant, days_ago(364))

    assert purge_events(merchant=merchant) == 0
    assert AuditEvent.objects.filter(action=actions.AUDIT_PURGED).count() == 0


def test_purge_leaves_other_firms_alone(merchant, other_merchant):
    event_at(merchant, days_ago(800))
    theirs = event_at(other_merchant, days_ago(800))

    purge_events(merchant=merchant)

    assert AuditEvent.objects.filter(pk=theirs.pk).exists() is True


def test_deleting_the_first_kept_event_after_a_purge_is_detected(merchant):
    event_at(merchant, days_ago(800))
    first_kept = event_at(merchant, days_ago(10))
    second = event_at(merchant, days_ago(5))
    purge_events(merchant=merchant)

    with tampering():
        AuditEvent.objects.filter(pk=first_kept.pk).delete()

    report = verify_chain(merchant=merchant)
    assert report.broken_event_id == second.pk
    assert report.problem == "its previous hash does not match the event before it"


def test_chain_without_purge_record_must_start_at_genesis(merchant):
    first = event_at(merchant, days_ago(10))
    second = event_at(merchant, days_ago(5))

    with tampering():
        AuditEvent.objects.filter(pk=first.pk).delete()

    report = verify_chain(merchant=merchant)
    assert report.broken_event_id == second.pk


def test_audit_purge_command_reports_each_chain(merchant, other_merchant):
    event_at(merchant, days_ago(800))
    event_at(None, days_ago(366))
    out = StringIO()

    call_command("audit", "purge", stdout=out)

    assert out.getvalue().splitlines() == [
        f"Firm {merchant.pk} (Hale & Stone LLP): deleted 1 event.",
        f"Firm {other_merchant.pk} (Other Firm LLP): deleted 0 events.",
        "No firm: deleted 1 event.",
    ]
    verify_out = StringIO()
    call_command("audit", "verify", stdout=verify_out)
    assert verify_out.getvalue().count("chain intact") == 3
