"""The access review CSV (PCI DSS 7.2.4) from the Users page."""

import csv
import datetime
import io

import pytest
import time_machine

from payportal.accounts.models import SecondFactor
from payportal.accounts.permissions import ALL_CODES, USERS_MANAGE
from payportal.accounts.selectors.users import mfa_enabled_user_ids
from payportal.accounts.tests.factories import RoleFactory, UserFactory
from payportal.audit import actions
from payportal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/users/access-review.csv"
NO_USERS_MANAGE = [code for code in ALL_CODES if code != USERS_MANAGE]


def rows_of(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_access_review_works(admin_client, merchant, admin):
    merchant.time_zone = "America/New_York"
    merchant.save()
    role = RoleFactory(
        merchant=merchant,
        name="Bookkeeper",
        permissions=["payments.view", "audit.view"],
    )
    with time_machine.travel(
        datetime.datetime(2026, 1, 10, 15, 0, tzinfo=datetime.UTC), tick=False
    ):
        keeper = UserFactory(
            merchant=merchant,
            role=role,
            username="bkeeper",
            full_name="Bo Keeper",
            email="bo@example.com",
            created_by=admin,
            is_active=False,
        )
    SecondFactor.objects.create(
        user=keeper,
        kind=SecondFactor.Kind.TOTP,
        secret="00" * 20,
        confirmed_at=datetime.datetime(2026, 1, 11, tzinfo=datetime.UTC),
    )
    admin.last_login = datetime.datetime(2026, 2, 1, 12, 0, tzinfo=datetime.UTC)
    admin.save()

    response = admin_client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="hale-stone-llp-access-review-'
    )
    rows = rows_of(response)
    assert rows[0] == [
        "Username",
        "Full Name",
        "Email",
        "Role",
        "Permissions",
        "Status",
        "Two-step sign-in",
        "Last login",
        "Created at",
        "Created by",
    ]
    assert rows[1][:8] == [
        "admin",
        "Ada Admin",
        "admin@example.com",
        "Administrator",
        " ".join(ALL_CODES),
        "Active",
        "Off",
        "2026-02-01T07:00:00-05:00",
    ]
    assert rows[2] == [
        "bkeeper",
        "Bo Keeper",
        "bo@example.com",
        "Bookkeeper",
        "payments.view audit.view",
        "Inactive",
        "On",
        "Never",
        "2026-01-10T10:00:00-05:00",
        "admin",
    ]
    assert len(rows) == 3


def test_access_review_lists_only_own_firms_users(
    admin_client, merchant, other_merchant
):
    UserFactory(merchant=other_merchant, username="stranger")

    rows = rows_of(admin_client.get(URL))

    assert [row[0] for row in rows[1:]] == ["admin"]


def test_mfa_enabled_user_ids_counts_confirmed_factors_of_own_firm(
    merchant, other_merchant, admin
):
    pending = UserFactory(merchant=merchant)
    stranger = UserFactory(merchant=other_merchant)
    for user, confirmed in ((admin, True), (pending, False), (stranger, True)):
        SecondFactor.objects.create(
            user=user,
            kind=SecondFactor.Kind.TOTP,
            secret="00" * 20,
            confirmed_at=datetime.datetime.now(datetime.UTC) if confirmed else None,
        )

    assert mfa_enabled_user_ids(merchant) == {admin.pk}


def test_access_review_is_audited(admin_client, merchant, admin):
    admin_client.get(URL)

    event = AuditEvent.objects.get(action=actions.USERS_ACCESS_REVIEW_EXPORTED)
    assert (event.merchant, event.actor, event.ip_address) == (
        merchant,
        admin,
        "127.0.0.1",
    )
    assert (event.target_type, event.target_label, event.outcome) == (
        "users",
        "Access review CSV",
        "success",
    )


def test_access_review_neutralises_formulas(admin_client, merchant, admin):
    UserFactory(merchant=merchant, username="zed", full_name="=cmd|' /C calc'!A0")

    rows = rows_of(admin_client.get(URL))

    assert rows[2][1] == "'=cmd|' /C calc'!A0"


def test_user_list_links_to_access_review(admin_client):
    html = admin_client.get("/users/").content.decode()

    assert (f'<a class="btn" href="{URL}" download>') in html
    assert "Access review (CSV)</a>" in html


def test_access_review_redirects_anonymous_to_login(anon_client):
    response = anon_client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"/?next={URL}"


def test_access_review_403s_without_permission(client_as, user_with):
    response = client_as(user_with(*NO_USERS_MANAGE)).get(URL)

    assert response.status_code == 403
    assert (
        AuditEvent.objects.filter(action=actions.USERS_ACCESS_REVIEW_EXPORTED).exists()
        is False
    )


def test_access_review_rejects_post(admin_client):
    response = admin_client.post(URL)

    assert response.status_code == 405


@pytest.mark.parametrize("users", (1, 3))
def test_access_review_query_count_is_constant(
    db_sessions, admin_client, merchant, admin, users, django_assert_num_queries
):
    for _ in range(users - 1):
        UserFactory(merchant=merchant, created_by=admin)

    # Session, user, the MFA middleware's check, the audit event (savepoint,
    # merchant lock, previous hash, insert, release), the confirmed factors,
    # the users with role and creator (one join), then the session save.
    with django_assert_num_queries(13):
        rows = rows_of(admin_client.get(URL))

    assert len(rows) == users + 1
