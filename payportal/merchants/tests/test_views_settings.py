import re

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError

from payportal.accounts.permissions import ALL_CODES, SETTINGS_MANAGE
from payportal.accounts.tests.html import field_errors, input_value, text
from payportal.audit import actions
from payportal.audit.models import AuditEvent
from payportal.merchants import services

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
NO_SETTINGS = [code for code in ALL_CODES if code != SETTINGS_MANAGE]


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def settings_form(merchant, **changes):
    data = {
        "name": merchant.name,
        "time_zone": merchant.time_zone,
        "refund_approval_threshold": "1,000.00",
        "audit_retention_days": str(merchant.audit_retention_days),
    }
    if merchant.refund_approval_enabled:
        data["refund_approval_enabled"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def record_of(response) -> dict[str, str]:
    return dict(
        re.findall(r"<dt>([^<]+)</dt>\s*<dd[^>]*>(.*?)</dd>", text(response), re.S)
    )


# --- The record ----------------------------------------------------------------


def test_settings_detail_works(admin_client, merchant):
    merchant.time_zone = "Europe/London"
    merchant.refund_approval_enabled = True
    merchant.refund_approval_threshold = 250_000
    merchant.save()

    response = admin_client.get("/settings/")

    assert response.status_code == 200
    page = text(response)
    assert "<h1>Settings</h1>" in page
    record = record_of(response)
    assert list(record) == [
        "Firm name",
        "Time zone",
        "Currency",
        "Two-person approval for refunds",
        "Approval needed above",
        "Require two-step sign-in for everyone",
        "Keep the audit log for (days)",
        "Processor",
        "Processor account",
    ]
    assert record["Firm name"] == "Hale & Stone LLP"
    assert record["Time zone"] == "Europe/London"
    assert record["Currency"] == "USD"
    assert record["Two-person approval for refunds"] == (
        '<span class="badge badge--active">On</span>'
    )
    assert record["Approval needed above"] == "$2,500.00"
    assert record["Processor"] == "sandbox"
    assert record["Processor account"] == f"<code>{merchant.processor_account}</code>"
    edit = re.search(r'<a class="icon-btn" href="/settings/edit/"[^>]*>', page)[0]
    assert 'aria-label="Edit"' in edit
    assert 'hx-get="/settings/edit/"' in edit
    assert 'hx-target="#settings-details"' in edit
    assert "every refund from the <strong>trust</strong> account" in page
    assert "<strong>Approve refunds</strong>" in page
    assert 'name="name"' not in page


def test_settings_detail_shows_approval_off(admin_client, merchant):
    response = admin_client.get("/settings/")

    record = record_of(response)
    assert record["Two-person approval for refunds"] == '<span class="badge">Off</span>'
    assert record["Approval needed above"] == (
        '$1,000.00 <span class="muted">(applies when two-person approval is on)</span>'
    )


def test_settings_detail_redirects_anonymous_to_login(anon_client):
    response = anon_client.get("/settings/")

    assert response.status_code == 302
    assert response["Location"] == "/?next=/settings/"


def test_settings_detail_403s_without_permission(client_as, user_with):
    response = client_as(user_with(*NO_SETTINGS)).get("/settings/")

    assert response.status_code == 403


def test_settings_detail_shows_own_firm_only(client_as, user_with, other_merchant):
    # The page has no ids: it is always the signed-in user's own firm.
    user = user_with(SETTINGS_MANAGE, merchant=other_merchant)

    response = client_as(user).get("/settings/")

    assert record_of(response)["Firm name"] == "Other Firm LLP"
    assert "Hale &amp; Stone" not in response.content.decode()


def test_settings_detail_rejects_post(admin_client):
    response = admin_client.post("/settings/", {"name": "Changed"})

    assert response.status_code == 405


def test_settings_detail_returns_fragment_for_htmx(admin_client):
    response = admin_client.get("/settings/", headers=HTMX)

    page = text(response)
    assert page.strip().startswith('<section class="card" id="settings-details"')
    assert "<h1>" not in page
    assert response["Vary"] == "HX-Request, Cookie"


# --- Edit ----------------------------------------------------------------------


def test_settings_edit_shows_the_form_in_the_card(admin_client, merchant):
    merchant.refund_approval_threshold = 123_456
    merchant.save()

    response = admin_client.get("/settings/edit/")

    assert response.status_code == 200
    page = text(response)
    assert "<h1>Settings</h1>" in page
    assert input_value(response, "name") == "Hale & Stone LLP"
    assert input_value(response, "refund_approval_threshold") == "1,234.56"
    assert '<label for="id_name">Firm name</label>' in page
    assert '<label for="id_time_zone">Time zone</label>' in page
    assert '<option value="UTC" selected>UTC</option>' in page
    assert '<option value="America/New_York">America/New_York</option>' in page
    assert re.search(
        r'<label for="id_refund_approval_enabled"><input type="checkbox" '
        r'name="refund_approval_enabled"[^>]*> <span>Two-person approval for '
        r"refunds</span></label>",
        page,
    )
    assert '<label for="id_refund_approval_threshold">Approval needed above' in page
    assert "In USD, like 1,000.00." in page
    assert f'<p class="readonly">{merchant.processor_account}</p>' in page
    assert (
        '<button type="submit" class="icon-btn icon-btn--save" aria-label="Save" '
        'title="Save">'
    ) in page
    cancel = re.search(r'<a class="icon-btn" href="[^"]*" aria-label="Cancel"', page)
    assert 'href="/settings/"' in cancel[0]


def test_settings_edit_saves_and_records_event(admin_client, merchant, admin):
    response = admin_client.post(
        "/settings/edit/",
        settings_form(
            merchant,
            name="  Hale, Stone & Co  ",
            time_zone="America/Chicago",
            refund_approval_enabled="on",
            refund_approval_threshold="2,500.50",
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    assert messages_of(response) == ["Settings saved."]
    merchant.refresh_from_db()
    assert merchant.name == "Hale, Stone & Co"
    assert merchant.time_zone == "America/Chicago"
    assert merchant.refund_approval_enabled is True
    assert merchant.refund_approval_threshold == 250_050
    event = AuditEvent.objects.get(action=actions.SETTINGS_CHANGED)
    assert event.actor == admin
    assert event.merchant == merchant
    assert event.ip_address == "127.0.0.1"
    assert event.target_label == "Hale, Stone & Co"
    assert event.changes == {
        "name": ["Hale & Stone LLP", "Hale, Stone & Co"],
        "time_zone": ["UTC", "America/Chicago"],
        "refund_approval_enabled": [False, True],
        "refund_approval_threshold": [100_000, 250_050],
    }


def test_settings_edit_records_only_changed_fields(admin_client, merchant):
    admin_client.post(
        "/settings/edit/", settings_form(merchant, refund_approval_threshold="0")
    )

    event = AuditEvent.objects.get(action=actions.SETTINGS_CHANGED)
    assert event.changes == {"refund_approval_threshold": [100_000, 0]}


def test_settings_edit_turns_approval_off(admin_client, merchant):
    merchant.refund_approval_enabled = True
    merchant.save()

    admin_client.post(
        "/settings/edit/", settings_form(merchant, refund_approval_enabled=None)
    )

    merchant.refresh_from_db()
    assert merchant.refund_approval_enabled is False
    assert AuditEvent.objects.get(action=actions.SETTINGS_CHANGED).changes == {
        "refund_approval_enabled": [True, False]
    }


def test_settings_edit_records_nothing_when_nothing_changed(admin_client, merchant):
    response = admin_client.post("/settings/edit/", settings_form(merchant))

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=actions.SETTINGS_CHANGED).count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "   ", "This field is required."),
        (
            "name",
            "x" * 201,
            "Ensure this value has at most 200 characters (it has 201).",
        ),
        (
            "time_zone",
            "Mars/Olympus",
            "Select a valid choice. Mars/Olympus is not one of the available choices.",
        ),
        ("refund_approval_threshold", "", "This field is required."),
        ("refund_approval_threshold", "lots", "Enter an amount like 1,000.00."),
        ("refund_approval_threshold", "10.001", "Enter an amount like 1,000.00."),
        ("refund_approval_threshold", "NaN", "Enter an amount like 1,000.00."),
        ("refund_approval_threshold", "-5.00", "Enter an amount of 0 or more."),
        ("refund_approval_threshold", "1e30", "Enter a smaller amount."),
    ],
)
def test_settings_edit_shows_error_next_to_field(
    admin_client, merchant, field, value, message
):
    response = admin_client.post(
        "/settings/edit/",
        settings_form(merchant, **{"name": "Typed Name", field: value}),
    )

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    if field != "name":
        # What was typed is kept.
        assert input_value(response, "name") == "Typed Name"
    merchant.refresh_from_db()
    assert merchant.name == "Hale & Stone LLP"
    assert AuditEvent.objects.filter(action=actions.SETTINGS_CHANGED).count() == 0


def test_settings_edit_keeps_the_typed_amount(admin_client, merchant):
    response = admin_client.post(
        "/settings/edit/",
        settings_form(merchant, refund_approval_threshold="-5.00", name="New"),
    )

    assert input_value(response, "refund_approval_threshold") == "-5.00"
    assert input_value(response, "name") == "New"


def test_settings_edit_accepts_zero(admin_client, merchant):
    admin_client.post(
        "/settings/edit/", settings_form(merchant, refund_approval_threshold="0.00")
    )

    merchant.refresh_from_db()
    assert merchant.refund_approval_threshold == 0


def test_settings_edit_redirects_anonymous_to_login(anon_client, merchant):
    response = anon_client.post("/settings/edit/", {"name": "Hacked"})

    assert response.status_code == 302
    assert response["Location"] == "/?next=/settings/edit/"
    merchant.refresh_from_db()
    assert merchant.name == "Hale & Stone LLP"


def test_settings_edit_403s_without_permission(client_as, user_with, merchant):
    response = client_as(user_with(*NO_SETTINGS)).post(
        "/settings/edit/", settings_form(merchant, name="Hacked")
    )

    assert response.status_code == 403
    merchant.refresh_from_db()
    assert merchant.name == "Hale & Stone LLP"


def test_settings_edit_changes_only_own_firm(
    client_as, user_with, merchant, other_merchant
):
    user = user_with(SETTINGS_MANAGE, merchant=other_merchant)

    client_as(user).post(
        "/settings/edit/", settings_form(other_merchant, name="Renamed")
    )

    merchant.refresh_from_db()
    other_merchant.refresh_from_db()
    assert (merchant.name, other_merchant.name) == ("Hale & Stone LLP", "Renamed")


def test_settings_edit_rejects_put(admin_client):
    # A valid CSRF token, so that the method is what gets refused.
    admin_client.cookies["csrftoken"] = "a" * 32
    response = admin_client.put("/settings/edit/", headers={"X-CSRFToken": "a" * 32})

    assert response.status_code == 405


def test_settings_edit_returns_fragment_for_htmx(admin_client):
    response = admin_client.get("/settings/edit/", headers=HTMX)

    page = text(response)
    assert page.strip().startswith('<form class="card" id="settings-details"')
    assert "<h1>" not in page
    assert 'hx-target="this" hx-swap="outerHTML"' in page


def test_settings_edit_redirects_htmx_after_saving(admin_client, merchant):
    response = admin_client.post(
        "/settings/edit/", settings_form(merchant, name="New Name"), headers=HTMX
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/settings/"


def test_settings_edit_shows_error_in_the_htmx_fragment(admin_client, merchant):
    response = admin_client.post(
        "/settings/edit/",
        settings_form(merchant, refund_approval_threshold="abc"),
        headers=HTMX,
    )

    page = text(response)
    assert page.strip().startswith('<form class="card" id="settings-details"')
    assert field_errors(response, "refund_approval_threshold") == [
        "Enter an amount like 1,000.00."
    ]


def test_settings_are_in_the_menu_only_with_permission(client_as, user_with, admin):
    with_permission = text(client_as(admin).get("/settings/"))
    without = text(client_as(user_with(*NO_SETTINGS)).get("/"))

    assert '<a href="/settings/" aria-current="page">' in with_permission
    assert 'href="/settings/"' not in without


# --- The service ---------------------------------------------------------------


def test_update_settings_refuses_bad_values(merchant, admin):
    with pytest.raises(ValidationError) as exc:
        services.update_settings(
            merchant=merchant,
            actor=admin,
            name=" ",
            time_zone="Nowhere/Town",
            refund_approval_threshold=-1,
        )

    assert exc.value.message_dict == {
        "name": ["Enter the firm's name."],
        "time_zone": ["Choose a time zone from the list."],
        "refund_approval_threshold": ["Enter an amount of 0 or more."],
    }
    merchant.refresh_from_db()
    assert merchant.name == "Hale & Stone LLP"
    assert AuditEvent.objects.filter(action=actions.SETTINGS_CHANGED).count() == 0


def test_update_settings_refuses_fields_that_are_not_settings(merchant, admin):
    with pytest.raises(TypeError):
        services.update_settings(merchant=merchant, actor=admin, currency="EUR")

    merchant.refresh_from_db()
    assert merchant.currency == "USD"


def test_update_settings_saves_one_field(merchant, admin):
    services.update_settings(merchant=merchant, actor=admin, time_zone="Asia/Tokyo")

    merchant.refresh_from_db()
    assert merchant.time_zone == "Asia/Tokyo"
    event = AuditEvent.objects.get(action=actions.SETTINGS_CHANGED)
    assert event.changes == {"time_zone": ["UTC", "Asia/Tokyo"]}
