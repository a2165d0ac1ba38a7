"""The lockout as a state machine, after Keycloak's brute-force tests.

Open --9 failures--> Open --10th failure--> Locked (right password refused
with the usual message) --29:59--> Locked --30:00--> Open. An unknown
username goes through exactly the same states and pages.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import caches

from payportal.accounts import lockout
from payportal.accounts.forms.auth import LOGIN_FAILED
from payportal.accounts.tests.html import text
from payportal.audit import actions
from payportal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
WRONG = "Wrong-password-123"
UNKNOWN = "ghost"  # as long as "admin", so the pages compare byte for byte


@pytest.fixture(autouse=True)
def _clear_throttle(db):
    caches["throttle"].clear()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def sign_in(client, username, password):
    return client.post("/", {"username": username, "password": password})


def alerts(response):
    return re.findall(r'role="alert"[^>]*><p>(.*?)</p>', text(response))


def page_shape(response, username):
    # Blank what differs by design: the CSRF token and the username typed.
    content = response.content.decode()
    content = re.sub(r'value="[A-Za-z0-9]{64}"', 'value=""', content)
    content = re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', content)
    return content.replace(f'value="{username}"', 'value="USERNAME"')


def run_machine(client, clock, username, password):
    """Walk the states; return what each step showed."""
    trace = []

    def step(name, response):
        trace.append(
            (
                name,
                response.status_code,
                alerts(response),
                lockout.is_locked(username),
                "_auth_user_id" in client.session,
            )
        )
        return response

    for n in range(1, 10):
        step(f"failure {n}", sign_in(client, username, WRONG))
    step("failure 10", sign_in(client, username, WRONG))
    step("right password while locked", sign_in(client, username, password))
    clock.move_to(START + timedelta(minutes=29, seconds=59), tick=False)
    step("29:59", sign_in(client, username, password))
    clock.move_to(START + timedelta(minutes=30), tick=False)
    step("30:00", sign_in(client, username, password))
    return trace


def test_lockout_state_machine_for_a_real_user(anon_client, admin, password, clock):
    trace = run_machine(anon_client, clock, "admin", password)

    refused = (200, [LOGIN_FAILED])
    assert trace == [
        *[(f"failure {n}", *refused, False, False) for n in range(1, 10)],
        ("failure 10", *refused, True, False),
        ("right password while locked", *refused, True, False),
        ("29:59", *refused, True, False),
        ("30:00", 302, [], False, True),
    ]


def test_lockout_state_machine_for_an_unknown_username(anon_client, admin, clock):
    trace = run_machine(anon_client, clock, UNKNOWN, "Any-password-4-it")

    refused = (200, [LOGIN_FAILED])
    assert trace == [
        *[(f"failure {n}", *refused, False, False) for n in range(1, 10)],
        ("failure 10", *refused, True, False),
        ("right password while locked", *refused, True, False),
        ("29:59", *refused, True, False),
        # Open again: the attempt is an ordinary failure, counted afresh.
        ("30:00", *refused, False, False),
    ]
    assert lockout.failure_count(UNKNOWN) == 1


def test_lockout_pages_of_real_and_unknown_usernames_are_the_same(
    anon_client, admin, clock
):
    real, unknown = [], []
    for _ in range(11):
        real.append(page_shape(sign_in(anon_client, "admin", WRONG), "admin"))
        unknown.append(page_shape(sign_in(anon_client, UNKNOWN, WRONG), UNKNOWN))

    assert real == unknown
    assert lockout.is_locked("admin") is lockout.is_locked(UNKNOWN) is True


def test_lockout_nine_failures_do_not_lock(anon_client, admin, password):
    for _ in range(9):
        sign_in(anon_client, "admin", WRONG)

    assert lockout.is_locked("admin") is False
    assert sign_in(anon_client, "admin", password).status_code == 302


def test_lockout_tenth_failure_locks_and_is_recorded_once(anon_client, admin):
    for _ in range(10):
        sign_in(anon_client, "admin", WRONG)

    assert lockout.is_locked("admin") is True
    assert AuditEvent.objects.filter(action=actions.LOGIN_LOCKED_OUT).count() == 1


def test_lockout_boundary_of_the_rule_itself(anon_client, admin, clock):
    for _ in range(10):
        sign_in(anon_client, "admin", WRONG)

    clock.move_to(START + timedelta(minutes=30) - timedelta(microseconds=1), tick=False)
    assert lockout.is_locked("admin") is True
    clock.move_to(START + timedelta(minutes=30), tick=False)
    assert lockout.is_locked("admin") is False


def test_lockout_axes_cool_off_stops_one_tick_short_of_30_minutes():
    assert lockout.axes_cool_off(None) == timedelta(minutes=30) - timedelta(
        microseconds=1
    )
