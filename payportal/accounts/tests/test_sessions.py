"""Session limits: 15 minutes idle, 12 hours in all, and when they end."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.cache import caches

from payportal.accounts.middleware import LOGIN_AT
from payportal.accounts.models import User
from payportal.audit import actions
from payportal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

START = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clear_throttle(db):
    caches["throttle"].clear()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def at(clock, **delta):
    clock.move_to(START + timedelta(**delta), tick=False)


def stay_active(client, clock, *, until: timedelta) -> None:
    """A request every 10 minutes from sign-in up to ``until``."""
    step = timedelta(minutes=10)
    elapsed = step
    while elapsed <= until:
        clock.move_to(START + elapsed, tick=False)
        assert client.get("/profile/").status_code == 200, elapsed
        elapsed += step


def signed_in_hours_ago(client, hours: float) -> None:
    """Move the session's sign-in time back, as if it were ``hours`` old."""
    session = client.session
    session[LOGIN_AT] -= hours * 3600
    session.save()


def is_signed_in(client) -> bool:
    # /profile/ opens for any signed-in user and sends visitors to login.
    return client.get("/profile/").status_code == 200


def test_session_survives_fourteen_minutes_fifty_nine_idle(client_as, admin, clock):
    client = client_as(admin)

    at(clock, minutes=14, seconds=59)

    assert is_signed_in(client) is True


def test_session_ends_after_fifteen_minutes_idle(client_as, admin, clock):
    client = client_as(admin)

    at(clock, minutes=15, seconds=1)
    response = client.get("/profile/")

    assert response.status_code == 302
    assert response["Location"] == "/?next=/profile/"


def test_session_idle_limit_restarts_with_every_request(client_as, admin, clock):
    client = client_as(admin)
    at(clock, minutes=14)
    assert is_signed_in(client) is True

    at(clock, minutes=28)

    assert is_signed_in(client) is True


def test_session_idle_limit_is_fifteen_minutes():
    assert settings.PAYPORTAL_SESSION_IDLE == timedelta(minutes=15)
    # The store's expiry is only a backstop behind the middleware's rule.
    assert settings.SESSION_COOKIE_AGE == 16 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_session_lasts_until_twelve_hours_when_active(client_as, admin, clock):
    client = client_as(admin)
    stay_active(client, clock, until=timedelta(hours=11, minutes=50))

    at(clock, hours=11, minutes=59, seconds=59)

    assert is_signed_in(client) is True


def test_session_ends_twelve_hours_after_sign_in(client_as, admin, clock):
    client = client_as(admin)
    stay_active(client, clock, until=timedelta(hours=11, minutes=50))

    at(clock, hours=12, seconds=1)
    response = client.get("/users/?q=jo")

    assert response.status_code == 302
    assert response["Location"] == "/?next=/users/%3Fq%3Djo"
    assert "_auth_user_id" not in client.session


def test_session_twelve_hour_end_is_recorded(client_as, admin, merchant):
    client = client_as(admin)
    signed_in_hours_ago(client, 12.001)

    client.get("/profile/")

    [event] = AuditEvent.objects.filter(action=actions.SESSION_EXPIRED)
    assert (event.merchant, event.actor) == (merchant, admin)
    assert event.changes == {"reason": [None, "12-hour limit"]}


def test_session_twelve_hour_end_of_a_post_goes_to_login(client_as, admin):
    client = client_as(admin)
    signed_in_hours_ago(client, 12.001)

    response = client.post("/profile/edit/", {"full_name": "X", "email": "x@y.z"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    admin.refresh_from_db()
    assert admin.full_name == "Ada Admin"


def test_session_twelve_hour_end_tells_htmx_to_load_the_login_page(client_as, admin):
    client = client_as(admin)
    signed_in_hours_ago(client, 12.001)

    response = client.get("/users/", headers={"HX-Request": "true"})

    assert response["HX-Redirect"] == "/"


def test_session_twelve_hours_count_from_a_real_sign_in(
    anon_client, admin, password, clock
):
    at(clock, minutes=3)

    anon_client.post("/", {"username": "admin", "password": password})

    assert anon_client.session[LOGIN_AT] == (START + timedelta(minutes=3)).timestamp()


def test_session_without_a_sign_in_time_is_ended(client_as, admin):
    client = client_as(admin)
    session = client.session
    del session[LOGIN_AT]
    session.save()

    assert is_signed_in(client) is False


def test_session_of_a_deactivated_user_ends_on_the_next_request(client_as, admin):
    client = client_as(admin)
    assert is_signed_in(client) is True

    User.objects.filter(pk=admin.pk).update(is_active=False)
    response = client.get("/profile/")

    assert response.status_code == 302
    assert response["Location"] == "/?next=/profile/"


def test_session_ends_when_the_password_changes_elsewhere(client_as, admin):
    client = client_as(admin)

    admin.set_password("Another-password-77")
    admin.save()

    assert is_signed_in(client) is False


def test_session_cookie_is_http_only_and_same_site_lax(anon_client, admin, password):
    response = anon_client.post("/", {"username": "admin", "password": password})

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == ""  # ends with the browser, and server-side
