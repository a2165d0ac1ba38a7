"""Session lifecycle (issue 4, item 7): only what other tests leave out.

Already proven elsewhere, and not repeated here:
- a new session key at login: accounts/tests/test_views_auth.py
  ``test_login_rotates_the_session_key``; after the code,
  test_mfa_views.py ``test_login_code_rotates_the_session_key``;
- 15 minutes idle at 14:59 and 15:01 (N+1), 12 hours at 11:59:59 and
  12:00:01 (N+1): accounts/tests/test_sessions.py;
- deactivation ends the user's sessions: test_sessions.py (on the next
  request) and test_views_users.py
  ``test_user_edit_deactivation_ends_the_users_sessions``; the 90-day
  sweep: test_sweep.py ``test_sweep_ends_the_users_open_session``;
- a password change ends other sessions: test_views_profile.py
  ``test_profile_password_works``, test_views_auth.py
  ``test_password_required_ends_other_sessions`` and
  ``test_reset_confirm_ends_every_session_of_the_user``, test_views_users.py
  ``test_user_reset_password_works``;
- an MFA change ends other sessions: test_mfa_views.py
  ``test_mfa_setup_ends_other_sessions``,
  ``test_mfa_remove_turns_it_off_and_ends_other_sessions`` and
  ``test_user_reset_mfa_works_and_is_audited``.

Added here: both limits at exactly N, a replayed cookie after logout and
after each limit, and that reactivation does not revive an old session.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from conftest import PortalClient
from payportal.accounts.models import User
from payportal.accounts.tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clear_throttle(db):
    from django.core.cache import caches

    caches["throttle"].clear()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def at(clock, **delta) -> None:
    clock.move_to(START + timedelta(**delta), tick=False)


def is_signed_in(client) -> bool:
    # /profile/ opens for any signed-in user and sends visitors to login.
    response = client.get("/profile/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response["Location"] == "/?next=/profile/"
    return False


def sign_in(username: str, password: str) -> PortalClient:
    """A real sign-in through the login form, as a browser does it."""
    client = PortalClient()
    response = client.post("/", {"username": username, "password": password})
    assert response.status_code == 302
    assert response["Location"] == "/"
    return client


def cookie_of(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def replay(cookie: str) -> PortalClient:
    """A fresh client carrying a kept session cookie (a stolen one)."""
    client = PortalClient()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    return client


# -- Limits at exactly N -------------------------------------------------


def test_session_survives_exactly_fifteen_minutes_idle(admin, password, clock):
    client = sign_in("admin", password)

    at(clock, minutes=15)

    assert is_signed_in(client) is True


def test_session_ends_one_second_after_fifteen_minutes_idle(admin, password, clock):
    client = sign_in("admin", password)

    at(clock, minutes=15, seconds=1)

    assert is_signed_in(client) is False


def test_session_survives_exactly_twelve_hours(admin, password, clock):
    client = sign_in("admin", password)
    for minutes in range(10, 12 * 60, 10):
        at(clock, minutes=minutes)
        assert is_signed_in(client) is True, minutes

    at(clock, hours=12)

    assert is_signed_in(client) is True


def test_session_ends_one_second_after_twelve_hours(admin, password, clock):
    client = sign_in("admin", password)
    for minutes in range(10, 12 * 60, 10):
        at(clock, minutes=minutes)
        assert is_signed_in(client) is True, minutes

    at(clock, hours=12, seconds=1)

    assert is_signed_in(client) is False


# -- A replayed cookie ----------------------------------------------------


def test_session_cookie_replayed_after_logout_fails(admin, password):
    client = sign_in("admin", password)
    cookie = cookie_of(client)
    assert is_signed_in(replay(cookie)) is True

    client.post("/logout/")

    assert is_signed_in(replay(cookie)) is False


def test_session_cookie_replayed_after_logout_cannot_post(admin, password):
    client = sign_in("admin", password)
    cookie = cookie_of(client)
    client.post("/logout/")

    response = replay(cookie).post(
        "/profile/edit/", {"full_name": "Mallory", "email": "m@example.com"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/?next=/profile/edit/"
    admin.refresh_from_db()
    assert admin.full_name == "Ada Admin"


def test_session_cookie_replayed_after_the_idle_end_fails(admin, password, clock):
    client = sign_in("admin", password)
    cookie = cookie_of(client)
    at(clock, minutes=15, seconds=1)
    assert is_signed_in(client) is False

    assert is_signed_in(replay(cookie)) is False


def test_session_cookie_replayed_after_the_twelve_hour_end_fails(
    admin, password, clock
):
    client = sign_in("admin", password)
    cookie = cookie_of(client)
    for minutes in range(10, 12 * 60, 10):
        at(clock, minutes=minutes)
        assert is_signed_in(client) is True, minutes
    at(clock, hours=12, seconds=1)
    assert is_signed_in(client) is False

    assert is_signed_in(replay(cookie)) is False


def test_session_cookie_of_a_new_sign_in_is_not_the_old_one(admin, password):
    first = sign_in("admin", password)
    old = cookie_of(first)
    first.post("/logout/")

    second = sign_in("admin", password)

    assert cookie_of(second) != old
    assert is_signed_in(second) is True
    assert is_signed_in(replay(old)) is False


# -- Deactivation, then reactivation ---------------------------------------


def test_reactivation_does_not_revive_an_old_session(admin_client, merchant, password):
    role = RoleFactory(merchant=merchant, permissions=["payments.view"])
    jo = UserFactory(merchant=merchant, role=role, username="jo", email="jo@x.com")
    jo_client = sign_in("jo", password)
    cookie = cookie_of(jo_client)
    edit = {"role": role.pk, "full_name": jo.full_name, "email": jo.email}
    response = admin_client.post(
        f"/users/{jo.pk}/edit/", {**edit, "is_active": "inactive"}
    )
    assert response.status_code == 302

    response = admin_client.post(
        f"/users/{jo.pk}/edit/",
        {
            **edit,
            "is_active": "active",
            "password_mode": "password",
            "password": "Fresh-lantern-82-harbour",
            "confirm_password": "Fresh-lantern-82-harbour",
        },
    )

    assert response.status_code == 302
    assert User.objects.get(pk=jo.pk).is_active is True
    assert is_signed_in(jo_client) is False
    assert is_signed_in(replay(cookie)) is False
