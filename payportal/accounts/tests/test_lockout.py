"""Lockout after 10 failed sign-ins (django-axes), through the login page."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import caches

from payportal.accounts import lockout
from payportal.accounts.forms.auth import LOGIN_FAILED
from payportal.accounts.tests.html import text
from payportal.audit import actions
from payportal.audit.models import AuditEvent, Outcome

pytestmark = pytest.mark.django_db

WRONG = "Wrong-password-123"
START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clear_throttle(db):
    caches["throttle"].clear()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def sign_in(client, username, password, **extra):
    return client.post("/", {"username": username, "password": password}, **extra)


def fail(client, username, times, **extra):
    for _ in range(times):
        response = sign_in(client, username, WRONG, **extra)
        assert response.status_code == 200
    return response


def alerts(response):
    return re.findall(r'role="alert"[^>]*><p>(.*?)</p>', text(response))


def signed_in(client):
    return "_auth_user_id" in client.session


def test_lockout_nine_failures_still_let_the_right_password_in(
    anon_client, admin, password
):
    fail(anon_client, "admin", 9)

    response = sign_in(anon_client, "admin", password)

    assert response.status_code == 302
    assert signed_in(anon_client) is True


def test_lockout_success_clears_the_count(anon_client, admin, password):
    fail(anon_client, "admin", 9)
    sign_in(anon_client, "admin", password)
    anon_client.post("/logout/")

    fail(anon_client, "admin", 9)

    assert lockout.failure_count("admin") == 9
    assert lockout.is_locked("admin") is False


def test_lockout_engages_at_the_tenth_failure(anon_client, admin):
    fail(anon_client, "admin", 9)
    assert lockout.is_locked("admin") is False

    fail(anon_client, "admin", 1)

    assert lockout.is_locked("admin") is True


def test_lockout_refuses_the_right_password_with_the_generic_message(
    anon_client, admin, password
):
    fail(anon_client, "admin", 10)

    response = sign_in(anon_client, "admin", password)

    assert response.status_code == 200
    assert alerts(response) == [LOGIN_FAILED]
    assert signed_in(anon_client) is False


def test_lockout_tenth_failure_page_is_the_usual_failure_page(anon_client, admin):
    ninth = fail(anon_client, "admin", 9)

    tenth = fail(anon_client, "admin", 1)

    assert alerts(tenth) == alerts(ninth) == [LOGIN_FAILED]
    assert re.sub(r'"[A-Za-z0-9]{64}"', "", tenth.content.decode()) == re.sub(
        r'"[A-Za-z0-9]{64}"', "", ninth.content.decode()
    )


def test_lockout_ignores_the_case_of_the_username(anon_client, admin, password):
    fail(anon_client, "ADMIN", 5)
    fail(anon_client, "admin", 5)

    response = sign_in(anon_client, "Admin", password)

    assert lockout.is_locked("aDmIn") is True
    assert alerts(response) == [LOGIN_FAILED]


def test_lockout_counts_unknown_usernames_the_same(anon_client, admin):
    fail(anon_client, "ghost42", 9)
    assert lockout.is_locked("ghost42") is False

    response = fail(anon_client, "ghost42", 1)

    assert lockout.is_locked("ghost42") is True
    assert alerts(response) == [LOGIN_FAILED]
    assert lockout.is_locked("admin") is False


def test_lockout_adds_up_failures_from_several_addresses(anon_client, admin, password):
    fail(anon_client, "admin", 5, REMOTE_ADDR="10.0.0.1")
    fail(anon_client, "admin", 5, REMOTE_ADDR="10.0.0.2")

    response = sign_in(anon_client, "admin", password, REMOTE_ADDR="10.0.0.3")

    assert lockout.failure_count("admin") == 10
    assert lockout.is_locked("admin") is True
    assert signed_in(anon_client) is False
    assert alerts(response) == [LOGIN_FAILED]


def test_lockout_does_not_count_attempts_while_locked(anon_client, admin, password):
    fail(anon_client, "admin", 10)

    fail(anon_client, "admin", 3)
    sign_in(anon_client, "admin", password)

    assert lockout.failure_count("admin") == 10


def test_lockout_opens_thirty_minutes_after_the_tenth_failure(
    anon_client, admin, password, clock
):
    fail(anon_client, "admin", 10)

    clock.move_to(START + timedelta(minutes=29, seconds=59), tick=False)
    assert lockout.is_locked("admin") is True
    assert signed_in(anon_client) is False
    assert sign_in(anon_client, "admin", password).status_code == 200
    assert signed_in(anon_client) is False

    clock.move_to(START + timedelta(minutes=30), tick=False)
    assert lockout.is_locked("admin") is False
    response = sign_in(anon_client, "admin", password)

    assert response.status_code == 302
    assert signed_in(anon_client) is True


def test_lockout_attempts_while_locked_do_not_extend_it(
    anon_client, admin, password, clock
):
    fail(anon_client, "admin", 10)
    clock.move_to(START + timedelta(minutes=20), tick=False)
    fail(anon_client, "admin", 2)

    clock.move_to(START + timedelta(minutes=30, seconds=1), tick=False)
    response = sign_in(anon_client, "admin", password)

    assert response.status_code == 302


def test_lockout_counts_failures_within_thirty_minutes_of_each_other(
    anon_client, admin, clock
):
    fail(anon_client, "admin", 5)
    clock.move_to(START + timedelta(minutes=30, seconds=1), tick=False)

    fail(anon_client, "admin", 9)

    assert lockout.failure_count("admin") == 9
    assert lockout.is_locked("admin") is False


def test_lockout_unlock_opens_it_at_once(anon_client, admin, password):
    fail(anon_client, "admin", 10)

    removed = lockout.unlock("ADMIN")
    response = sign_in(anon_client, "admin", password)

    assert removed == 1
    assert response.status_code == 302
    assert signed_in(anon_client) is True


def test_lockout_unlock_of_an_open_account_removes_nothing(admin):
    assert lockout.unlock("admin") == 0


def test_lockout_records_the_lock_once(anon_client, admin, merchant, password):
    fail(anon_client, "admin", 10)
    fail(anon_client, "admin", 2)
    sign_in(anon_client, "admin", password)

    [event] = AuditEvent.objects.filter(action=actions.LOGIN_LOCKED_OUT)
    assert event.merchant == merchant
    assert event.actor is None
    assert event.actor_username == "admin"
    assert (event.target_type, event.target_id) == ("user", str(admin.pk))
    assert event.outcome == Outcome.FAILURE
    assert AuditEvent.objects.filter(action=actions.LOGIN_FAILED).count() == 13


def test_lockout_records_the_lock_after_the_tenth_failed_event(anon_client, admin):
    fail(anon_client, "admin", 10)

    last_two = list(AuditEvent.objects.order_by("-id").values_list("action", flat=True))
    assert last_two[:2] == [actions.LOGIN_LOCKED_OUT, actions.LOGIN_FAILED]


def test_lockout_of_unknown_username_is_recorded_without_a_firm(anon_client):
    fail(anon_client, "ghost42", 10)

    [event] = AuditEvent.objects.filter(action=actions.LOGIN_LOCKED_OUT)
    assert (event.merchant, event.actor_username, event.target_id) == (
        None,
        "ghost42",
        "",
    )


def test_lockout_is_recorded_again_after_it_lapsed(anon_client, admin, clock):
    fail(anon_client, "admin", 10)
    clock.move_to(START + timedelta(minutes=31), tick=False)

    fail(anon_client, "admin", 10)

    assert AuditEvent.objects.filter(action=actions.LOGIN_LOCKED_OUT).count() == 2


def test_lockout_normalise_username_folds_case_space_and_width():
    assert lockout.normalise_username("  ＡdMin ") == "admin"
    assert lockout.normalise_username(None) == ""
