"""The firm's audit retention on the Settings page (PCI DSS 10.5.1)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from payportal.audit import actions
from payportal.audit.models import AuditEvent
from payportal.merchants import services
from payportal.merchants.models import Merchant

pytestmark = pytest.mark.django_db


def settings_form(merchant, **changes):
    data = {
        "name": merchant.name,
        "time_zone": merchant.time_zone,
        "refund_approval_threshold": "1,000.00",
        "audit_retention_days": str(merchant.audit_retention_days),
    }
    data.update(changes)
    return data


def test_settings_shows_audit_retention(admin_client, merchant):
    html = admin_client.get("/settings/").content.decode()

    assert "<dt>Keep the audit log for (days)</dt>\n    <dd>365</dd>" in html


def test_settings_edit_saves_audit_retention_and_audits_it(
    admin_client, merchant, admin
):
    response = admin_client.post(
        "/settings/edit/", settings_form(merchant, audit_retention_days="730")
    )

    assert response.status_code == 302
    merchant.refresh_from_db()
    assert merchant.audit_retention_days == 730
    event = AuditEvent.objects.get(action=actions.SETTINGS_CHANGED)
    assert (event.actor, event.changes) == (
        admin,
        {"audit_retention_days": [365, 730]},
    )


def test_settings_edit_accepts_exactly_365_days(admin_client, merchant):
    merchant.audit_retention_days = 400
    merchant.save()

    admin_client.post(
        "/settings/edit/", settings_form(merchant, audit_retention_days="365")
    )

    merchant.refresh_from_db()
    assert merchant.audit_retention_days == 365


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("364", "Keep the audit log for at least 365 days (a year)."),
        ("0", "Keep the audit log for at least 365 days (a year)."),
        ("36501", "Enter 36,500 days (100 years) or fewer."),
        ("a year", "Enter a whole number of days, like 365."),
        ("", "Enter how many days to keep the audit log."),
    ],
)
def test_settings_edit_shows_retention_error_next_to_field(
    admin_client, merchant, value, message
):
    response = admin_client.post(
        "/settings/edit/", settings_form(merchant, audit_retention_days=value)
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        f'<ul class="errors" id="id_audit_retention_days_error"><li>{message}</li></ul>'
    ) in html
    assert f'value="{value}"' in html or value == ""
    merchant.refresh_from_db()
    assert merchant.audit_retention_days == 365
    assert AuditEvent.objects.filter(action=actions.SETTINGS_CHANGED).exists() is False


def test_update_settings_refuses_retention_under_a_year(merchant, admin):
    with pytest.raises(ValidationError) as exc:
        services.update_settings(
            merchant=merchant, actor=admin, audit_retention_days=364
        )

    assert exc.value.message_dict == {
        "audit_retention_days": ["Keep the audit log for at least 365 days (a year)."]
    }


def test_database_refuses_retention_under_a_year(merchant):
    with pytest.raises(IntegrityError), transaction.atomic():
        Merchant.objects.filter(pk=merchant.pk).update(audit_retention_days=364)
