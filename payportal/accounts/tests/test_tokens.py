"""Single-use links: password reset (1 hour) and set-password (72 hours)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from payportal.accounts.services import mail as mail_services
from payportal.accounts.tests.html import text
from payportal.accounts.tokens import password_reset_tokens, set_password_tokens

pytestmark = pytest.mark.django_db

ISSUED = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
EXPIRED = "This link has expired or was already used"


@pytest.fixture(autouse=True)
def _clear_throttle(db):
    caches["throttle"].clear()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(ISSUED, tick=False)
    return time_machine


def later(clock, **delta):
    clock.move_to(ISSUED + timedelta(**delta), tick=False)


def test_tokens_lifetimes_are_one_hour_and_seventy_two_hours():
    assert settings.PASSWORD_RESET_TIMEOUT == 3600
    assert settings.PAYPORTAL_SET_PASSWORD_LINK_TIMEOUT == 72 * 3600


def test_reset_token_is_valid_for_exactly_one_hour(admin, clock):
    token = password_reset_tokens.make_token(admin)

    later(clock, seconds=3600)
    assert password_reset_tokens.check_token(admin, token) is True

    later(clock, seconds=3601)
    assert password_reset_tokens.check_token(admin, token) is False


def test_set_password_token_is_valid_for_exactly_seventy_two_hours(admin, clock):
    token = set_password_tokens.make_token(admin)

    later(clock, hours=72)
    assert set_password_tokens.check_token(admin, token) is True

    later(clock, hours=72, seconds=1)
    assert set_password_tokens.check_token(admin, token) is False


def test_tokens_of_one_kind_do_not_open_the_other(admin):
    reset = password_reset_tokens.make_token(admin)
    set_token = set_password_tokens.make_token(admin)

    assert set_password_tokens.check_token(admin, reset) is False
    assert password_reset_tokens.check_token(admin, set_token) is False


def test_tokens_stop_working_when_the_password_changes(admin):
    reset = password_reset_tokens.make_token(admin)
    set_token = set_password_tokens.make_token(admin)

    admin.set_password("Another-password-77")
    admin.save()

    assert password_reset_tokens.check_token(admin, reset) is False
    assert set_password_tokens.check_token(admin, set_token) is False


def test_tokens_stop_working_after_a_sign_in(admin):
    token = password_reset_tokens.make_token(admin)

    admin.last_login = timezone.now()
    admin.save(update_fields=["last_login"])

    assert password_reset_tokens.check_token(admin, token) is False


def test_tokens_stop_working_when_the_email_changes(admin):
    token = password_reset_tokens.make_token(admin)

    admin.email = "new@firm.com"

    assert password_reset_tokens.check_token(admin, token) is False


@pytest.mark.parametrize("token", ["", "abc", "abc-def", "zzzz-zzzz-zzzz", None])
def test_tokens_refuse_garbage(admin, token):
    assert password_reset_tokens.check_token(admin, token) is False
    assert set_password_tokens.check_token(admin, token) is False


def test_reset_link_opens_at_one_hour_and_not_one_second_later(
    anon_client, admin, clock
):
    link = mail_services.password_reset_link(admin, None)

    later(clock, seconds=3600)
    assert anon_client.get(link).status_code == 302

    later(clock, seconds=3601)
    response = anon_client.get(link)

    assert response.status_code == 200
    assert EXPIRED in text(response)


def test_reset_form_refuses_a_post_after_the_hour(anon_client, admin, clock):
    opened = anon_client.get(mail_services.password_reset_link(admin, None))
    later(clock, seconds=3601)

    response = anon_client.post(
        opened["Location"],
        {"new_password1": "Copper-kettle-42", "new_password2": "Copper-kettle-42"},
    )

    admin.refresh_from_db()
    assert EXPIRED in text(response)
    assert admin.check_password("Copper-kettle-42") is False


def test_set_password_link_opens_at_seventy_two_hours_and_not_after(
    anon_client, admin, clock
):
    link = mail_services.set_password_link(admin, None)

    later(clock, hours=72)
    assert anon_client.get(link).status_code == 302

    later(clock, hours=72, seconds=1)
    response = anon_client.get(link)

    assert response.status_code == 200
    assert EXPIRED in text(response)
