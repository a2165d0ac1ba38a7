import datetime

import pytest
import time_machine
from django.urls import get_resolver

from payportal.accounts.permissions import ALL_CODES, AUDIT_VIEW
from payportal.accounts.tests.factories import UserFactory
from payportal.audit import actions
from payportal.audit.models import AuditEvent, Outcome
from payportal.audit.services import record_event

pytestmark = pytest.mark.django_db

NO_AUDIT_VIEW = [code for code in ALL_CODES if code != AUDIT_VIEW]


def ids(response) -> list[int]:
    return [event.pk for event in response.context["page"].rows]


def test_event_list_works(admin_client, merchant, admin):
    first = record_event(action=actions.LOGIN_SUCCEEDED, merchant=merchant, actor=admin)
    second = record_event(action=actions.LOGOUT, merchant=merchant, actor=admin)

    response = admin_client.get("/audit/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Audit log</h1>" in html
    assert ids(response) == [second.pk, first.pk]
    assert 'Signed out<span class="audit-code muted">logout</span>' in html
    assert '<span class="badge badge--active">Success</span>' in html


def test_event_list_shows_only_own_firms_events(admin_client, merchant, other_merchant):
    own = record_event(action=actions.LOGOUT, merchant=merchant, actor_username="a")
    record_event(action=actions.LOGOUT, merchant=other_merchant, actor_username="b")
    record_event(action=actions.LOGIN_FAILED, merchant=None, actor_username="c")

    response = admin_client.get("/audit/")

    assert ids(response) == [own.pk]


def test_event_list_shows_target_and_changes(admin_client, merchant, admin):
    target = UserFactory(merchant=merchant, username="bkeeper")
    record_event(
        action=actions.USER_CHANGED,
        merchant=merchant,
        actor=admin,
        target=target,
        changes={"full_name": ["Bo", "Bo Keeper"], "email": [None, "b@example.com"]},
        outcome=Outcome.FAILURE,
    )

    response = admin_client.get("/audit/")

    html = response.content.decode()
    assert f'<a href="/users/{target.pk}/">bkeeper</a>' in html
    assert (
        '<li><span class="change-field">email:</span> — → b@example.com</li>'
        '<li><span class="change-field">full_name:</span> Bo → Bo Keeper</li>'
    ) in html
    assert '<span class="badge badge--locked">Failure</span>' in html


def test_event_list_shows_list_changes_joined(admin_client, merchant, admin):
    record_event(
        action=actions.ROLE_CHANGED,
        merchant=merchant,
        actor=admin,
        target_type="role",
        target_label="Bookkeeper",
        changes={"permissions": [["audit.view"], ["audit.view", "payments.view"]]},
    )

    response = admin_client.get("/audit/")

    html = response.content.decode()
    assert (
        '<span class="change-field">permissions:</span> '
        "audit.view → audit.view, payments.view"
    ) in html
    assert '<span class="muted">role</span> Bookkeeper</td>' in html


def test_event_list_filters_by_user_and_action(admin_client, merchant, admin):
    other = UserFactory(merchant=merchant, role=admin.role)
    wanted = record_event(action=actions.LOGOUT, merchant=merchant, actor=other)
    record_event(action=actions.LOGIN_SUCCEEDED, merchant=merchant, actor=other)
    record_event(action=actions.LOGOUT, merchant=merchant, actor=admin)

    response = admin_client.get("/audit/", {"user": other.pk, "action": "logout"})

    assert ids(response) == [wanted.pk]
    html = response.content.decode()
    assert f'<option value="{other.pk}" selected>{other.username}</option>' in html


def test_event_list_user_filter_offers_own_firms_users(
    admin_client, merchant, other_merchant, admin
):
    UserFactory(merchant=other_merchant, username="stranger")

    response = admin_client.get("/audit/")

    assert response.context["form"].fields["user"].choices == [
        ("", "All users"),
        (admin.pk, "admin"),
    ]


def test_event_list_filters_by_dates_inclusive(admin_client, merchant, settings):
    settings.TIME_ZONE = "Europe/London"
    events = {}
    for day in (9, 10, 11, 12):
        moment = datetime.datetime(2026, 1, day, 12, tzinfo=datetime.UTC)
        with time_machine.travel(moment, tick=False):
            events[day] = record_event(
                action=actions.LOGOUT, merchant=merchant, actor_username="a"
            )

    response = admin_client.get(
        "/audit/", {"date_from": "2026-01-10", "date_to": "2026-01-11"}
    )

    assert ids(response) == [events[11].pk, events[10].pk]


def test_event_list_shows_error_next_to_field(admin_client, merchant):
    event = record_event(action=actions.LOGOUT, merchant=merchant, actor_username="a")

    response = admin_client.get(
        "/audit/", {"date_from": "2026-13-45", "action": "logout"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<ul class="errors" id="id_date_from_error"><li>Enter a valid date.</li></ul>'
    ) in html
    # Shown unfiltered, with what was typed kept.
    assert ids(response) == [event.pk]
    assert 'value="2026-13-45"' in html


def test_event_list_refuses_to_date_before_from_date(admin_client, merchant):
    event = record_event(action=actions.LOGOUT, merchant=merchant, actor_username="a")

    response = admin_client.get(
        "/audit/", {"date_from": "2026-02-10", "date_to": "2026-02-09"}
    )

    assert response.context["form"].errors == {
        "date_to": ["The To date must not be before the From date."]
    }
    assert ids(response) == [event.pk]


def test_event_list_refuses_another_firms_user(admin_client, other_merchant):
    stranger = UserFactory(merchant=other_merchant)

    response = admin_client.get("/audit/", {"user": stranger.pk})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "user": [
            f"Select a valid choice. {stranger.pk} is not one of the available choices."
        ]
    }


def test_event_list_pages_by_key(admin_client, merchant):
    events = [
        record_event(action=actions.LOGOUT, merchant=merchant, actor_username="a")
        for _ in range(51)
    ]

    first = admin_client.get("/audit/")
    cursor = first.context["page"].next_cursor
    second = admin_client.get("/audit/", {"after": cursor})

    assert ids(first) == [e.pk for e in reversed(events[1:])]
    assert ids(second) == [events[0].pk]
    assert second.context["page"].next_cursor is None
    assert 'rel="prev"' in second.content.decode()


def test_event_list_ignores_bad_cursor(admin_client, merchant):
    event = record_event(action=actions.LOGOUT, merchant=merchant, actor_username="a")

    response = admin_client.get("/audit/", {"after": "not-a-cursor"})

    assert response.status_code == 200
    assert ids(response) == [event.pk]


def test_event_list_shows_empty_state(admin_client):
    response = admin_client.get("/audit/", {"action": "logout"})

    assert "No events match these filters" in response.content.decode()


@pytest.mark.parametrize("rows", (1, 3))
def test_event_list_query_count_is_constant(
    db_sessions, admin_client, merchant, admin, rows, django_assert_num_queries
):
    target = UserFactory(merchant=merchant)
    for _ in range(rows):
        record_event(
            action=actions.USER_CHANGED,
            merchant=merchant,
            actor=admin,
            target=target,
            changes={"email": ["a@example.com", "b@example.com"]},
        )

    # Session, user with merchant and role (one join), the second-factor
    # check (MFA middleware), the filter's usernames, the page of events;
    # the audit.viewed event (savepoint, merchant lock, previous hash,
    # insert, release); then the session save (savepoint, release).
    with django_assert_num_queries(13):
        response = admin_client.get("/audit/")

    assert len(ids(response)) == rows


def test_event_list_redirects_anonymous_to_login(anon_client):
    response = anon_client.get("/audit/")

    assert response.status_code == 302
    assert response["Location"] == "/?next=/audit/"


def test_event_list_403s_without_permission(client_as, user_with):
    response = client_as(user_with(*NO_AUDIT_VIEW)).get("/audit/")

    assert response.status_code == 403


def test_event_list_rejects_post(admin_client, merchant):
    event = record_event(action=actions.LOGOUT, merchant=merchant, actor_username="a")

    response = admin_client.post("/audit/", {"id": event.pk})

    assert response.status_code == 405
    assert AuditEvent.objects.filter(pk=event.pk).exists() is True


def test_audit_urls_offer_no_way_to_change_events():
    audit_urls = [
        entry.name for entry in get_resolver("payportal.audit.urls").url_patterns
    ]

    assert audit_urls == ["event_list", "event_export"]
