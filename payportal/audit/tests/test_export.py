"""Exporting the audit log (CSV, JSON with hashes) and auditing the reads."""

import csv
import datetime
import io
import json
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from payportal.accounts.permissions import ALL_CODES, AUDIT_VIEW
from payportal.audit import actions
from payportal.audit.models import AuditEvent
from payportal.audit.services import GENESIS, record_event

pytestmark = pytest.mark.django_db

NO_AUDIT_VIEW = [code for code in ALL_CODES if code != AUDIT_VIEW]


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def export(client, **params):
    return client.get("/audit/export/", params)


def event_at(merchant, stamp: str, **fields) -> AuditEvent:
    moment = datetime.datetime.fromisoformat(stamp)
    with time_machine.travel(moment, tick=False):
        return record_event(
            action=fields.pop("action", actions.LOGOUT),
            merchant=merchant,
            **{"actor_username": "a", **fields},
        )


# --- CSV ------------------------------------------------------------------


def test_event_export_csv_works(admin_client, merchant, admin):
    event = record_event(
        action=actions.USER_CHANGED,
        merchant=merchant,
        actor=admin,
        target_type="user",
        target_label="bkeeper",
        changes={"email": ["a@example.com", "b@example.com"]},
    )

    response = export(admin_client, format="csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="hale-stone-llp-audit-log-'
    )
    rows = list(csv.reader(io.StringIO(body(response))))
    assert rows[0] == [
        "Event ID",
        "Time",
        "User",
        "User ID",
        "Action",
        "Action code",
        "Outcome",
        "IP address",
        "User agent",
        "Target type",
        "Target ID",
        "Target",
        "Changes",
        "Previous hash",
        "Hash",
    ]
    assert rows[1] == [
        str(event.pk),
        event.created_at.isoformat(),
        "admin",
        str(admin.pk),
        "User changed",
        "user.changed",
        "Success",
        "",
        "",
        "user",
        "",
        "bkeeper",
        '{"email": ["a@example.com", "b@example.com"]}',
        GENESIS,
        event.hash,
    ]
    # The export itself is the next event in the chain, and is exported.
    assert rows[2][5] == "audit.exported"
    assert len(rows) == 3


def test_event_export_range_is_in_the_firms_time_zone(admin_client, merchant):
    merchant.time_zone = "America/New_York"  # UTC-5 in January
    merchant.save()
    before = event_at(merchant, "2026-01-10 04:59:59+00:00")  # 9 Jan, NY
    first = event_at(merchant, "2026-01-10 05:00:00+00:00")  # 10 Jan 00:00
    last = event_at(merchant, "2026-01-11 04:59:59+00:00")  # 10 Jan 23:59:59
    event_at(merchant, "2026-01-11 05:00:00+00:00")  # 11 Jan

    response = export(
        admin_client, format="csv", date_from="2026-01-10", date_to="2026-01-10"
    )

    rows = list(csv.reader(io.StringIO(body(response))))[1:]
    assert [row[0] for row in rows] == [str(first.pk), str(last.pk)]
    assert rows[0][1] == "2026-01-10T00:00:00-05:00"
    assert rows[0][13] == before.hash


def test_event_export_has_only_own_firms_events(admin_client, merchant, other_merchant):
    own = record_event(action=actions.LOGOUT, merchant=merchant, actor_username="a")
    record_event(action=actions.LOGOUT, merchant=other_merchant, actor_username="b")
    record_event(action=actions.LOGIN_FAILED, merchant=None, actor_username="c")

    response = export(admin_client, format="csv")

    ids = [row[0] for row in csv.reader(io.StringIO(body(response)))][1:]
    exported = AuditEvent.objects.get(action=actions.AUDIT_EXPORTED)
    assert ids == [str(own.pk), str(exported.pk)]


def test_event_export_csv_neutralises_formulas(admin_client, merchant):
    record_event(
        action=actions.LOGIN_FAILED,
        merchant=merchant,
        actor_username="=HYPERLINK(1)",
    )

    response = export(admin_client, format="csv")

    rows = list(csv.reader(io.StringIO(body(response))))
    assert rows[1][2] == "'=HYPERLINK(1)"


# --- JSON -----------------------------------------------------------------


def test_event_export_json_has_chain_hashes_and_fields(admin_client, merchant, admin):
    first = record_event(action=actions.LOGOUT, merchant=merchant, actor=admin)

    response = export(admin_client, format="json", date_from="2020-01-01")

    assert response["Content-Type"] == "application/json"
    data = json.loads(body(response))
    assert data["format"] == "payportal-audit-export/1"
    assert data["firm"] == {"id": merchant.pk, "name": "Hale & Stone LLP"}
    assert (data["from"], data["to"], data["time_zone"]) == ("2020-01-01", None, "UTC")
    assert data["count"] == 2
    assert [e["id"] for e in data["events"]] == [first.pk, first.pk + 1]
    item = data["events"][0]
    assert (item["prev_hash"], item["hash"]) == (GENESIS, first.hash)
    assert item["fields"] == {
        "merchant": merchant.pk,
        "created_at": first.created_at.isoformat(),
        "actor": admin.pk,
        "actor_username": "admin",
        "ip_address": None,
        "user_agent": "",
        "action": "logout",
        "target_type": "",
        "target_id": "",
        "target_label": "",
        "changes": {},
        "outcome": "success",
    }
    assert data["last_hash"] == data["events"][1]["hash"]


def test_exported_json_verifies_offline(admin_client, merchant, admin, tmp_path):
    for _ in range(3):
        record_event(action=actions.LOGOUT, merchant=merchant, actor=admin)
    path = tmp_path / "export.json"
    path.write_text(body(export(admin_client, format="json")))
    out = StringIO()

    call_command("audit", "verify", "--file", str(path), stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("File export.json: OK: 4 events, chain intact")
    assert lines[1] == "It starts at the first event of the firm's chain."


def test_exported_range_verifies_from_its_first_event(admin_client, merchant, tmp_path):
    event_at(merchant, "2026-01-09 12:00:00+00:00")
    event_at(merchant, "2026-01-10 12:00:00+00:00")
    path = tmp_path / "range.json"
    path.write_text(body(export(admin_client, format="json", date_from="2026-01-10")))
    out = StringIO()

    call_command("audit", "verify", "--file", str(path), stdout=out)

    assert out.getvalue().startswith("File range.json: OK: 2 events, chain intact")


@pytest.mark.parametrize(
    "tamper",
    ["edit", "delete_middle", "delete_last", "swap"],
)
def test_tampered_export_fails_verification(admin_client, merchant, tmp_path, tamper):
    events = [event_at(merchant, f"2026-01-1{n} 12:00:00+00:00") for n in range(3)]
    data = json.loads(body(export(admin_client, format="json", date_to="2026-01-12")))
    items = data["events"]
    if tamper == "edit":
        items[1]["fields"]["actor_username"] = "mallory"
    elif tamper == "delete_middle":
        del items[1]
    elif tamper == "delete_last":
        del items[2]
    else:
        items[0], items[1] = items[1], items[0]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data))
    err = StringIO()

    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify", "--file", str(path), stderr=err)

    assert str(exc.value) == "1 audit chain broken."
    expected = {
        "edit": f"BROKEN at event {events[1].pk}: its hash does not match",
        "delete_middle": f"BROKEN at event {events[2].pk}: its previous hash",
        "delete_last": "BROKEN: the chain ends at",
        "swap": f"BROKEN at event {events[0].pk}: its previous hash",
    }[tamper]
    assert err.getvalue().startswith(f"File export.json: {expected}")


def test_verify_file_refuses_what_is_not_an_export(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')

    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify", "--file", str(path))

    assert str(exc.value) == (
        f"--file: {path} is not an audit export: not a PayPortal audit export "
        "(payportal-audit-export/1)."
    )


# --- Auditing the reads -----------------------------------------------------


def test_event_export_is_audited_with_range_and_format(admin_client, merchant, admin):
    export(admin_client, format="json", date_from="2026-01-01", date_to="2026-01-31")

    event = AuditEvent.objects.get(action=actions.AUDIT_EXPORTED)
    assert (event.actor, event.ip_address, event.outcome) == (
        admin,
        "127.0.0.1",
        "success",
    )
    assert (event.target_type, event.target_label) == ("audit_log", "Audit log JSON")
    assert event.changes == {
        "range": [None, "2026-01-01 to 2026-01-31"],
        "time_zone": [None, "UTC"],
        "format": [None, "json"],
        "filters": [None, {}],
    }


def test_event_list_view_is_audited(admin_client, merchant, admin):
    admin_client.get("/audit/", {"action": "logout", "date_from": "2026-01-01"})

    event = AuditEvent.objects.get(action=actions.AUDIT_VIEWED)
    assert (event.actor, event.ip_address, event.target_label) == (
        admin,
        "127.0.0.1",
        "Audit log",
    )
    assert event.changes == {
        "filters": [None, {"action": "logout", "date_from": "2026-01-01"}]
    }


def test_event_list_shows_export_buttons(admin_client):
    html = admin_client.get("/audit/").content.decode()

    assert (
        '<button type="submit" class="btn btn--ghost" formaction="/audit/export/" '
        'name="format" value="csv">'
    ) in html
    assert 'name="format" value="json">' in html


# --- The healthchecks set -----------------------------------------------------


def test_event_export_sends_bad_filters_back_to_the_page(admin_client):
    response = export(admin_client, format="csv", date_from="2026-13-45")

    assert response.status_code == 302
    assert response["Location"] == "/audit/?date_from=2026-13-45"
    assert AuditEvent.objects.filter(action=actions.AUDIT_EXPORTED).exists() is False


def test_event_export_refuses_unknown_format(admin_client):
    response = export(admin_client, format="xml")

    assert response.status_code == 302
    assert response["Location"] == "/audit/?"


def test_event_export_redirects_anonymous_to_login(anon_client):
    response = anon_client.get("/audit/export/?format=csv")

    assert response.status_code == 302
    assert response["Location"] == "/?next=/audit/export/%3Fformat%3Dcsv"


def test_event_export_403s_without_permission(client_as, user_with):
    response = client_as(user_with(*NO_AUDIT_VIEW)).get("/audit/export/?format=csv")

    assert response.status_code == 403
    assert AuditEvent.objects.filter(action=actions.AUDIT_EXPORTED).exists() is False


def test_event_export_rejects_post(admin_client):
    response = admin_client.post("/audit/export/", {"format": "csv"})

    assert response.status_code == 405
