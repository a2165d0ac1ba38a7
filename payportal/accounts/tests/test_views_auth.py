"""Signing in and out, the forced password change and password recovery."""

import re
from datetime import UTC, datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.core.cache import caches
from django.test import Client

from conftest import PortalClient, links_in
from payportal.accounts import lockout
from payportal.accounts.forms.auth import LOGIN_FAILED
from payportal.accounts.forms.users import PASSWORDS_DIFFER
from payportal.accounts.models import User
from payportal.accounts.services import mail as mail_services
from payportal.accounts.tests.factories import PASSWORD, UserFactory
from payportal.accounts.tests.html import field_errors, input_value, text
from payportal.accounts.tests.lockouts import lock_out
from payportal.accounts.views.auth import (
    LOGIN_THROTTLED,
    PASSWORD_SET,
    RESET_THROTTLED,
)
from payportal.audit import actions
from payportal.audit.models import AuditEvent, Outcome

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Copper-kettle-42-morning"
TEMPORARY = "Temporary-pass-9-river"
EXPIRED = "This link has expired or was already used"


@pytest.fixture(autouse=True)
def _clear_throttle(db):
    # The throttle counters live in a database cache table; start each test
    # from zero whatever ran before.
    caches["throttle"].clear()


@pytest.fixture
def newcomer(merchant, admin_role):
    """A user who was given a temporary password by an administrator."""
    return UserFactory(
        merchant=merchant,
        role=admin_role,
        username="newbie7",
        full_name="Nell Newcomer",
        email="nell@firm.com",
        must_change_password=True,
        password=TEMPORARY,
    )


def sign_in(client, username, password, **extra):
    return client.post("/", {"username": username, "password": password, **extra})


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def page_shape(response) -> str:
    """The page with the CSRF token and the typed username blanked out."""
    content = response.content.decode()
    content = re.sub(r'value="[^"]*"', 'value=""', content)
    return re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', content)


def reset_link(user):
    # The link the email carries, as a path.
    return mail_services.password_reset_link(user, None).removeprefix(
        settings.PAYPORTAL_BASE_URL
    )


def set_link(user):
    return mail_services.set_password_link(user, None).removeprefix(
        settings.PAYPORTAL_BASE_URL
    )


def choose(client, link, password=NEW_PASSWORD, confirm=None):
    """Open an emailed link, then post the new password to the form."""
    opened = client.get(link)
    assert opened.status_code == 302
    return client.post(
        opened["Location"],
        {"new_password1": password, "new_password2": confirm or password},
    )


# --- The login page --------------------------------------------------------


def test_login_page_shows_the_form(anon_client):
    response = anon_client.get("/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Sign in</h1>" in content
    assert '<label for="id_username">Username' in content
    assert '<label for="id_password">Password' in content
    assert re.search(r'<input[^>]*name="username"[^>]*autocomplete="username"', content)
    assert re.search(r'<input[^>]*name="username"[^>]*autofocus', content)
    assert re.search(
        r'<input[^>]*name="password"[^>]*autocomplete="current-password"', content
    )
    assert '<button type="submit" class="btn btn--primary btn--block">Sign in' in (
        content
    )
    assert '<a href="/password/forgot/">Forgot password?</a>' in content


def test_login_page_is_not_cached(anon_client):
    response = anon_client.get("/")

    assert "no-cache" in response["Cache-Control"]


def test_login_signs_in_and_opens_the_dashboard(anon_client, admin, password):
    response = sign_in(anon_client, "admin", password)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "Welcome, Ada Admin" in text(anon_client.get("/"))


def test_login_rotates_the_session_key(anon_client, admin, password):
    session = anon_client.session
    session["visited"] = True
    session.save()
    before = session.session_key

    sign_in(anon_client, "admin", password)

    assert anon_client.session.session_key != before
    assert anon_client.session.exists(before) is False


def test_login_ignores_the_case_of_the_username(anon_client, admin, password):
    response = sign_in(anon_client, "ADMIN", password)

    assert response.status_code == 302
    assert anon_client.session["_auth_user_id"] == str(admin.pk)


def test_login_refuses_an_email_as_username(anon_client, admin, password):
    response = sign_in(anon_client, admin.email, password)

    assert response.status_code == 200
    assert LOGIN_FAILED in text(response)
    assert "_auth_user_id" not in anon_client.session


def test_login_wrong_password_shows_one_generic_message(anon_client, admin):
    response = sign_in(anon_client, "admin", "Wrong-password-123")

    assert response.status_code == 200
    assert re.findall(r'role="alert"[^>]*><p>(.*?)</p>', text(response)) == [
        LOGIN_FAILED
    ]
    assert field_errors(response, "username") == []
    assert field_errors(response, "password") == []


def test_login_keeps_the_username_but_never_the_password(anon_client, admin):
    response = sign_in(anon_client, "Admin", "Wrong-password-123")

    assert input_value(response, "username") == "Admin"
    assert input_value(response, "password") is None
    assert "Wrong-password-123" not in response.content.decode()


def test_login_failure_puts_the_focus_on_the_password(anon_client, admin):
    response = sign_in(anon_client, "admin", "Wrong-password-123")

    content = response.content.decode()
    assert re.search(r'<input[^>]*name="password"[^>]*autofocus', content)
    assert not re.search(r'<input[^>]*name="username"[^>]*autofocus', content)


def test_login_unknown_username_looks_like_a_wrong_password(anon_client, admin):
    wrong_password = sign_in(anon_client, "admin", "Wrong-password-123")
    unknown = sign_in(anon_client, "nobody9", "Wrong-password-123")

    assert unknown.status_code == wrong_password.status_code == 200
    assert page_shape(unknown) == page_shape(wrong_password)


def test_login_inactive_user_looks_like_a_wrong_password(
    anon_client, admin, merchant, password
):
    UserFactory(merchant=merchant, username="gone5", is_active=False)

    wrong_password = sign_in(anon_client, "admin", "Wrong-password-123")
    inactive = sign_in(anon_client, "gone5", password)

    assert inactive.status_code == wrong_password.status_code == 200
    assert page_shape(inactive) == page_shape(wrong_password)
    assert "_auth_user_id" not in anon_client.session


def test_login_locked_account_looks_like_a_wrong_password(anon_client, admin, password):
    wrong_password = sign_in(anon_client, "admin", "Wrong-password-123")
    lock_out("admin")

    locked = sign_in(anon_client, "admin", password)

    assert locked.status_code == wrong_password.status_code == 200
    assert page_shape(locked) == page_shape(wrong_password)
    assert "_auth_user_id" not in anon_client.session


def test_login_empty_fields_show_errors_next_to_them_and_count_nothing(anon_client):
    response = sign_in(anon_client, "", "")

    assert response.status_code == 200
    assert field_errors(response, "username") == ["This field is required."]
    assert field_errors(response, "password") == ["This field is required."]
    assert AuditEvent.objects.count() == 0
    assert AccessAttempt.objects.count() == 0


def test_login_refuses_a_post_without_csrf_token(admin, password):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/", {"username": "admin", "password": password})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_login_follows_a_safe_next(anon_client, admin, password):
    response = sign_in(anon_client, "admin", password, next="/users/?q=jo")

    assert response["Location"] == "/users/?q=jo"


def test_login_ignores_a_next_to_another_site(anon_client, admin, password):
    response = sign_in(anon_client, "admin", password, next="https://evil.example/")

    assert response["Location"] == "/"


def test_login_keeps_next_after_a_failure(anon_client, admin):
    response = anon_client.post(
        "/?next=/users/", {"username": "admin", "password": "Wrong-password-1"}
    )

    assert input_value(response, "next") == "/users/"


def test_login_with_temporary_password_lands_on_the_change_page(anon_client, newcomer):
    response = sign_in(anon_client, "newbie7", TEMPORARY)

    assert response["Location"] == "/password/new/"


def test_login_records_success(anon_client, admin, merchant, password):
    sign_in(anon_client, "admin", password)

    [event] = events(actions.LOGIN_SUCCEEDED)
    assert (event.merchant, event.actor, event.target_id) == (
        merchant,
        admin,
        str(admin.pk),
    )
    assert event.ip_address == "127.0.0.1"


def test_login_failure_records_the_users_firm(anon_client, admin, merchant):
    sign_in(anon_client, "Admin", "Wrong-password-123")

    [event] = events(actions.LOGIN_FAILED)
    assert event.merchant == merchant
    assert event.actor is None
    assert event.actor_username == "Admin"
    assert (event.target_type, event.target_id) == ("user", str(admin.pk))
    assert event.outcome == Outcome.FAILURE
    assert event.changes == {}


def test_login_failure_of_unknown_username_has_no_firm(anon_client, admin):
    sign_in(anon_client, "nobody9", "Wrong-password-123")

    [event] = events(actions.LOGIN_FAILED)
    assert event.merchant is None
    assert event.actor is None
    assert event.actor_username == "nobody9"
    assert event.target_id == ""


# --- Throttling --------------------------------------------------------------


@pytest.fixture
def three_a_minute(settings, time_machine):
    # A frozen clock keeps all attempts inside one rate window.
    time_machine.move_to(datetime(2026, 5, 1, 12, 0, 30, tzinfo=UTC), tick=False)
    settings.PAYPORTAL_LOGIN_RATE = "3/m"
    settings.PAYPORTAL_RESET_RATE = "3/m"


def test_login_throttles_an_address_after_the_rate(
    anon_client, admin, password, three_a_minute
):
    for _ in range(3):
        assert sign_in(anon_client, "admin", "Wrong-password-123").status_code == 200

    response = sign_in(anon_client, "admin", password)

    assert response.status_code == 429
    assert re.findall(r'role="alert"[^>]*><p>(.*?)</p>', text(response)) == [
        LOGIN_THROTTLED
    ]
    assert input_value(response, "username") == "admin"
    assert "_auth_user_id" not in anon_client.session


def test_login_throttle_records_event_and_does_not_count_a_failure(
    anon_client, admin, merchant, three_a_minute
):
    for _ in range(4):
        sign_in(anon_client, "admin", "Wrong-password-123")

    [event] = events(actions.LOGIN_THROTTLED)
    assert (event.merchant, event.actor_username) == (merchant, "admin")
    assert len(events(actions.LOGIN_FAILED)) == 3
    assert lockout.failure_count("admin") == 3


def test_login_throttle_counts_per_address(
    anon_client, admin, password, three_a_minute
):
    for _ in range(3):
        sign_in(anon_client, "admin", "Wrong-password-123")

    response = anon_client.post(
        "/", {"username": "admin", "password": password}, REMOTE_ADDR="10.0.0.8"
    )

    assert response.status_code == 302


def test_login_throttle_opens_in_the_next_window(
    anon_client, admin, password, three_a_minute, time_machine
):
    for _ in range(3):
        sign_in(anon_client, "admin", "Wrong-password-123")

    time_machine.move_to(datetime(2026, 5, 1, 12, 2, 30, tzinfo=UTC), tick=False)
    response = sign_in(anon_client, "admin", password)

    assert response.status_code == 302


def test_login_throttle_counts_only_failed_sign_ins(
    anon_client, admin, password, three_a_minute
):
    for _ in range(4):
        assert sign_in(anon_client, "admin", password).status_code == 302
        anon_client.post("/logout/")

    for _ in range(3):
        assert sign_in(anon_client, "admin", "Wrong-password-123").status_code == 200

    assert sign_in(anon_client, "admin", password).status_code == 429


def test_login_page_get_is_not_throttled(anon_client, three_a_minute):
    for _ in range(5):
        response = anon_client.get("/")

    assert response.status_code == 200


# --- Log out ---------------------------------------------------------------


def test_logout_ends_the_session(admin_client):
    response = admin_client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in admin_client.session
    assert admin_client.get("/profile/")["Location"] == "/?next=/profile/"


def test_logout_says_so_on_the_login_page(admin_client):
    response = admin_client.post("/logout/", follow=True)

    assert "You have signed out." in text(response)
    assert "<h1>Sign in</h1>" in text(response)


def test_logout_records_event(admin_client, admin, merchant):
    admin_client.post("/logout/")

    [event] = events(actions.LOGOUT)
    assert (event.merchant, event.actor) == (merchant, admin)


def test_logout_rejects_get(admin_client):
    response = admin_client.get("/logout/")

    assert response.status_code == 405
    assert admin_client.session["_auth_user_id"]


def test_logout_refuses_a_post_without_csrf_token(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)

    response = client.post("/logout/")

    assert response.status_code == 403
    assert client.session["_auth_user_id"] == str(admin.pk)


def test_logout_of_a_visitor_just_goes_home(anon_client):
    response = anon_client.post("/logout/")

    assert response["Location"] == "/"
    assert AuditEvent.objects.count() == 0


# --- Forced password change --------------------------------------------------


def test_password_required_shows_new_password_twice(client_as, newcomer):
    response = client_as(newcomer).get("/password/new/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Choose a new password</h1>" in content
    assert '<label for="id_new_password1">New password' in content
    assert '<label for="id_new_password2">Confirm new password' in content
    assert "old_password" not in content
    assert len(re.findall(r'autocomplete="new-password"', content)) == 2


@pytest.mark.parametrize("path", ["/", "/users/", "/profile/", "/roles/", "/audit/"])
def test_password_required_holds_every_other_page(client_as, newcomer, path):
    response = client_as(newcomer).get(path)

    assert response.status_code == 302
    assert response["Location"] == "/password/new/"


def test_password_required_changes_the_password(client_as, newcomer):
    client = client_as(newcomer)

    response = client.post(
        "/password/new/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    newcomer.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert newcomer.must_change_password is False
    assert newcomer.check_password(NEW_PASSWORD) is True
    assert client.get("/profile/").status_code == 200


def test_password_required_records_event(client_as, newcomer, merchant):
    client_as(newcomer).post(
        "/password/new/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    [event] = events(actions.PASSWORD_CHANGED)
    assert (event.merchant, event.actor, event.target_id) == (
        merchant,
        newcomer,
        str(newcomer.pk),
    )
    assert NEW_PASSWORD not in str(event.changes)


def test_password_required_ends_other_sessions(client_as, newcomer):
    other = client_as(newcomer)
    client = client_as(newcomer)

    client.post(
        "/password/new/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert other.get("/profile/")["Location"] == "/?next=/profile/"
    assert client.get("/profile/").status_code == 200


def test_password_required_refuses_the_temporary_password(client_as, newcomer):
    response = client_as(newcomer).post(
        "/password/new/", {"new_password1": TEMPORARY, "new_password2": TEMPORARY}
    )

    newcomer.refresh_from_db()
    assert response.status_code == 200
    assert field_errors(response, "new_password1") == [
        "Choose a password you have not used for your last 4 passwords."
    ]
    assert newcomer.must_change_password is True


def test_password_required_shows_policy_errors_next_to_the_field(client_as, newcomer):
    response = client_as(newcomer).post(
        "/password/new/", {"new_password1": "short1", "new_password2": "short1"}
    )

    assert field_errors(response, "new_password1") == [
        "This password is too short. It must contain at least 15 characters.",
        "This password is too common.",
    ]
    assert input_value(response, "new_password1") is None


def test_password_required_shows_mismatch_next_to_confirm(client_as, newcomer):
    response = client_as(newcomer).post(
        "/password/new/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"},
    )

    assert field_errors(response, "new_password2") == [PASSWORDS_DIFFER]
    assert events(actions.PASSWORD_CHANGED) == []


def test_password_required_sends_others_home(admin_client):
    response = admin_client.get("/password/new/")

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_password_required_redirects_anonymous_to_login(anon_client):
    response = anon_client.get("/password/new/")

    assert response["Location"] == "/?next=/password/new/"


def test_password_required_still_lets_them_log_out(client_as, newcomer):
    client = client_as(newcomer)

    response = client.post("/logout/")

    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_password_required_full_journey_from_sign_in(anon_client, newcomer):
    sign_in(anon_client, "newbie7", TEMPORARY)
    anon_client.post(
        "/password/new/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    anon_client.post("/logout/")

    response = sign_in(anon_client, "newbie7", NEW_PASSWORD)

    assert response["Location"] == "/"


# --- Forgot password ---------------------------------------------------------


def test_reset_request_shows_one_field(anon_client):
    response = anon_client.get("/password/forgot/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Forgot password?</h1>" in content
    assert '<label for="id_login">Username or email' in content
    assert re.findall(r'<input[^>]*type="(text|password|email)"', content) == ["text"]


@pytest.mark.parametrize("login", ["admin", "ADMIN", "ada@firm.com", "Ada@Firm.COM"])
def test_reset_request_emails_a_link(
    anon_client, admin, login, django_capture_on_commit_callbacks
):
    admin.email = "ada@firm.com"
    admin.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post("/password/forgot/", {"login": login})

    assert response["Location"] == "/password/forgot/sent/"
    [message] = mail.outbox
    assert message.to == ["ada@firm.com"]
    assert message.subject == "Reset your payments portal password"
    assert links_in(message.body)[0].startswith("http://testserver/password/reset/")


def test_reset_request_emails_each_user_sharing_the_address(
    anon_client, merchant, other_merchant, django_capture_on_commit_callbacks
):
    UserFactory(merchant=merchant, username="sam1", email="sam@home.net")
    UserFactory(merchant=other_merchant, username="sam2", email="Sam@Home.net")

    with django_capture_on_commit_callbacks(execute=True):
        anon_client.post("/password/forgot/", {"login": "sam@home.net"})

    assert sorted(m.to[0] for m in mail.outbox) == ["Sam@Home.net", "sam@home.net"]
    assert sorted("sam1" in m.body for m in mail.outbox) == [False, True]


def test_reset_request_answers_the_same_for_no_match(
    anon_client, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post("/password/forgot/", {"login": "nobody@x.com"})

    assert response["Location"] == "/password/forgot/sent/"
    assert mail.outbox == []
    assert AuditEvent.objects.count() == 0


def test_reset_request_sends_nothing_to_inactive_users(
    anon_client, merchant, django_capture_on_commit_callbacks
):
    UserFactory(merchant=merchant, username="gone5", is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post("/password/forgot/", {"login": "gone5"})

    assert response["Location"] == "/password/forgot/sent/"
    assert mail.outbox == []


def test_reset_request_records_event_per_match(anon_client, admin, merchant):
    anon_client.post("/password/forgot/", {"login": "admin"})

    [event] = events(actions.PASSWORD_RESET_REQUESTED)
    assert (event.merchant, event.actor, event.target_id) == (
        merchant,
        None,
        str(admin.pk),
    )


def test_reset_request_empty_shows_error_next_to_field(anon_client):
    response = anon_client.post("/password/forgot/", {"login": ""})

    assert response.status_code == 200
    assert field_errors(response, "login") == ["This field is required."]


def test_reset_request_throttles_an_address(
    anon_client, admin, three_a_minute, django_capture_on_commit_callbacks
):
    for _ in range(3):
        anon_client.post("/password/forgot/", {"login": "nobody"})

    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post("/password/forgot/", {"login": "admin"})

    assert response.status_code == 429
    assert RESET_THROTTLED in text(response)
    assert input_value(response, "login") == "admin"
    assert mail.outbox == []
    [event] = events(actions.PASSWORD_RESET_THROTTLED)
    # What was typed may be an email address: not kept.
    assert (event.merchant, event.actor_username) == (None, "anonymous")


def test_reset_sent_page(anon_client):
    response = anon_client.get("/password/forgot/sent/")

    assert response.status_code == 200
    assert "<h1>Check your email</h1>" in response.content.decode()
    assert "The link works once, for 60 minutes." in text(response)


# --- Reset link ------------------------------------------------------------


def test_reset_confirm_hides_the_token_from_the_address(anon_client, admin):
    response = anon_client.get(reset_link(admin))

    uid = reset_link(admin).split("/")[3]
    assert response["Location"] == f"/password/reset/{uid}/set-password/"


def test_reset_confirm_shows_the_form(anon_client, admin):
    response = anon_client.get(reset_link(admin), follow=True)

    content = response.content.decode()
    assert "<h1>Choose a new password</h1>" in content
    assert '<label for="id_new_password1">New password' in content
    assert '<label for="id_new_password2">Confirm new password' in content
    assert "old_password" not in content


def test_reset_confirm_sets_the_password(anon_client, admin):
    response = choose(anon_client, reset_link(admin))

    admin.refresh_from_db()
    assert response["Location"] == "/password/done/"
    assert admin.check_password(NEW_PASSWORD) is True
    assert "_auth_user_id" not in anon_client.session
    assert sign_in(anon_client, "admin", NEW_PASSWORD)["Location"] == "/"


def test_reset_confirm_clears_must_change_password(anon_client, newcomer):
    choose(anon_client, reset_link(newcomer))

    newcomer.refresh_from_db()
    assert newcomer.must_change_password is False


def test_reset_confirm_records_event(anon_client, admin, merchant):
    choose(anon_client, reset_link(admin))

    [event] = events(actions.PASSWORD_RESET_COMPLETED)
    assert (event.merchant, event.actor, event.target_id) == (
        merchant,
        admin,
        str(admin.pk),
    )


def test_reset_confirm_ends_every_session_of_the_user(anon_client, client_as, admin):
    signed_in = client_as(admin)

    choose(anon_client, reset_link(admin))

    assert signed_in.get("/profile/")["Location"] == "/?next=/profile/"


def test_reset_confirm_link_works_once(anon_client, admin):
    link = reset_link(admin)
    choose(anon_client, link)

    response = PortalClient().get(link)

    assert response.status_code == 200
    assert EXPIRED in text(response)


def test_reset_confirm_expired_page_offers_a_new_link(anon_client):
    response = anon_client.get("/password/reset/MQ/abc-def/")

    content = text(response)
    assert f"<h1>{EXPIRED}</h1>" in content
    assert '<a class="btn btn--primary btn--block" href="/password/forgot/">' in (
        content
    )
    assert "<form" not in content.split("<main", 1)[1].split("</main>")[0]


def test_reset_confirm_refuses_an_inactive_user(anon_client, merchant):
    user = UserFactory(merchant=merchant, username="gone5")
    link = reset_link(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = anon_client.get(link)

    assert EXPIRED in text(response)


def test_reset_confirm_refuses_a_set_password_token(anon_client, admin):
    token_path = set_link(admin).replace("/password/set/", "/password/reset/")

    response = anon_client.get(token_path)

    assert EXPIRED in text(response)


def test_reset_confirm_shows_policy_errors_next_to_the_field(anon_client, admin):
    response = choose(anon_client, reset_link(admin), password="Ada Admin 12345")

    admin.refresh_from_db()
    assert response.status_code == 200
    assert field_errors(response, "new_password1") == [
        "The password is too similar to the Full Name."
    ]
    assert admin.check_password(PASSWORD) is True
    assert events(actions.PASSWORD_RESET_COMPLETED) == []


def test_reset_confirm_refuses_the_current_password(anon_client, admin):
    response = choose(anon_client, reset_link(admin), password=PASSWORD)

    assert field_errors(response, "new_password1") == [
        "Choose a password you have not used for your last 4 passwords."
    ]


def test_reset_confirm_mismatch_shows_error_next_to_confirm(anon_client, admin):
    response = choose(anon_client, reset_link(admin), confirm=NEW_PASSWORD + "x")

    assert field_errors(response, "new_password2") == [PASSWORDS_DIFFER]


def test_reset_confirm_does_not_unlock(anon_client, admin):
    lock_out("admin")

    choose(anon_client, reset_link(admin))

    assert lockout.is_locked("admin") is True


def test_reset_complete_page(anon_client):
    response = anon_client.get("/password/done/")

    content = response.content.decode()
    assert "<h1>Your password has been changed</h1>" in content
    assert '<a class="btn btn--primary btn--block" href="/">Sign in</a>' in content


# --- Set-password link -------------------------------------------------------


def test_set_password_shows_the_form(anon_client, admin):
    response = anon_client.get(set_link(admin), follow=True)

    content = response.content.decode()
    assert "<h1>Set your password</h1>" in content
    assert '<label for="id_new_password1">New password' in content
    assert '<label for="id_new_password2">Confirm new password' in content


def test_set_password_sets_it_and_sends_to_sign_in(anon_client, merchant, admin_role):
    user = UserFactory(merchant=merchant, role=admin_role, username="invited3")
    user.set_unusable_password()
    user.save()

    response = choose(anon_client, set_link(user))

    user.refresh_from_db()
    assert response["Location"] == "/"
    assert user.check_password(NEW_PASSWORD) is True
    assert "_auth_user_id" not in anon_client.session
    login_page = anon_client.get("/")
    assert PASSWORD_SET in text(login_page)
    assert "<h1>Sign in</h1>" in text(login_page)


def test_set_password_records_event(anon_client, admin, merchant):
    choose(anon_client, set_link(admin))

    [event] = events(actions.PASSWORD_SET_WITH_LINK)
    assert (event.merchant, event.actor) == (merchant, admin)
    assert events(actions.PASSWORD_RESET_COMPLETED) == []


def test_set_password_link_works_once(anon_client, admin):
    link = set_link(admin)
    choose(anon_client, link)

    response = PortalClient().get(link)

    assert EXPIRED in text(response)
    assert "for 72 hours" in text(response)


def test_set_password_refuses_a_reset_token(anon_client, admin):
    token_path = reset_link(admin).replace("/password/reset/", "/password/set/")

    response = anon_client.get(token_path)

    assert EXPIRED in text(response)
