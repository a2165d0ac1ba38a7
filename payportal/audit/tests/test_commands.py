from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from payportal.audit import actions
from payportal.audit.models import AuditEvent
from payportal.audit.services import record_event
from payportal.audit.tests.helpers import tampering

pytestmark = pytest.mark.django_db


def verify(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("audit", "verify", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def make_events(merchant, count: int) -> list[AuditEvent]:
    return [
        record_event(action=actions.LOGOUT, merchant=merchant, actor_username="a")
        for _ in range(count)
    ]


def test_audit_verify_reports_every_intact_chain(merchant, other_merchant):
    mine = make_events(merchant, 3)
    theirs = make_events(other_merchant, 1)
    firmless = make_events(None, 2)

    out, err = verify()

    assert out.splitlines() == [
        f"Firm {merchant.pk} (Hale & Stone LLP): OK: 3 events, chain intact, "
        f"last hash {mine[-1].hash}",
        f"Firm {other_merchant.pk} (Other Firm LLP): OK: 1 event, chain intact, "
        f"last hash {theirs[-1].hash}",
        f"No firm: OK: 2 events, chain intact, last hash {firmless[-1].hash}",
    ]
    assert err == ""


def test_audit_verify_names_first_broken_event_and_fails(merchant, other_merchant):
    make_events(other_merchant, 1)
    events = make_events(merchant, 3)
    with tampering():
        AuditEvent.objects.filter(pk=events[1].pk).update(target_label="changed")

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify", stdout=out, stderr=err)

    assert str(exc.value) == "1 audit chain broken."
    assert err.getvalue().splitlines() == [
        f"Firm {merchant.pk} (Hale & Stone LLP): BROKEN at event {events[1].pk}: "
        "its hash does not match its contents."
    ]
    assert (
        f"Firm {other_merchant.pk} (Other Firm LLP): OK: 1 event, chain intact, "
        in out.getvalue()
    )


def test_audit_verify_checks_one_merchant(merchant, other_merchant):
    mine = make_events(merchant, 2)
    theirs = make_events(other_merchant, 2)
    with tampering():
        AuditEvent.objects.filter(pk=theirs[0].pk).delete()

    out, err = verify("--merchant", str(merchant.pk))

    assert out.splitlines() == [
        f"Firm {merchant.pk} (Hale & Stone LLP): OK: 2 events, chain intact, "
        f"last hash {mine[-1].hash}"
    ]


def test_audit_verify_refuses_unknown_merchant(merchant):
    with pytest.raises(CommandError) as exc:
        verify("--merchant", "999")

    assert str(exc.value) == "--merchant: no firm has the id 999."


def test_audit_command_requires_a_subcommand():
    with pytest.raises(CommandError) as exc:
        call_command("audit")

    assert "the following arguments are required" in str(exc.value)
