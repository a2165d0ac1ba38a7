"""Password ages and the firm-dependent minimum length (services/lifecycle.py).

Temporary passwords expire 72 hours after they were set (valid at exactly
72 hours, refused one second later); without two-step sign-in a password
expires at exactly 90 days and needs 15 characters instead of 12.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import caches
from django.core.exceptions import ValidationError

from payportal.accounts.forms.auth import LOGIN_FAILED
from payportal.accounts.models import User
from payportal.accounts.services import lifecycle
from payportal.accounts.services.users import validate_new_password
from payportal.accounts.tests.factories import UserFactory
from payportal.accounts.tests.html import text
from payportal.audit import actions
from payportal.audit.models import AuditEvent, Outcome

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEMPORARY = "Temporary-pass-9-river"
NEW_PASSWORD = "Copper-kettle-42-morning"
SHORT_15 = "This password is too short. It must contain at least 15 characters."
SHORT_12 = "This password is too short. It must contain at least 12 characters."


@pytest.fixture(autouse=True)
def _clear_throttle(db):
    caches["throttle"].clear()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def mfa_merchant(merchant):
    merchant.require_mfa = True
    merchant.save(update_fields=["require_mfa"])
    return merchant


@pytest.fixture
def newcomer(clock, merchant, admin_role):
    """Given a temporary password by an administrator at START."""
    return UserFactory(
        merchant=merchant,
        role=admin_role,
        username="newbie7",
        must_change_password=True,
        password=TEMPORARY,
    )


def sign_in(client, username, password):
    return client.post("/", {"username": username, "password": password})


def signed_in(client):
    return "_auth_user_id" in client.session


def set_password_age(user, age):
    User.objects.filter(pk=user.pk).update(password_changed_at=START - age)
    user.refresh_from_db()


def refusals(password, user):
    try:
        validate_new_password(password, user)
    except ValidationError as error:
        return error.message_dict["password"]
    return []


# --- Temporary passwords: 72 hours -------------------------------------------


def test_temporary_password_is_stamped_when_set(newcomer):
    assert newcomer.password_changed_at == START


def test_temporary_password_still_works_at_72_hours(anon_client, newcomer, clock):
    clock.move_to(START + timedelta(hours=72), tick=False)

    response = sign_in(anon_client, "newbie7", TEMPORARY)

    assert response.status_code == 302
    assert response["Location"] == "/password/new/"
    assert signed_in(anon_client) is True


def test_temporary_password_is_refused_at_72_hours_and_a_second(
    anon_client, newcomer, clock
):
    clock.move_to(START + timedelta(hours=72, seconds=1), tick=False)

    response = sign_in(anon_client, "newbie7", TEMPORARY)

    assert response.status_code == 200
    assert signed_in(anon_client) is False
    assert lifecycle.TEMPORARY_PASSWORD_EXPIRED in text(response)


def test_temporary_password_expiry_is_not_told_for_a_wrong_password(
    anon_client, newcomer, clock
):
    clock.move_to(START + timedelta(hours=72, seconds=1), tick=False)

    response = sign_in(anon_client, "newbie7", "Wrong-password-123")

    assert LOGIN_FAILED in text(response)
    assert lifecycle.TEMPORARY_PASSWORD_EXPIRED not in text(response)


def test_temporary_password_expiry_is_recorded(anon_client, newcomer, merchant, clock):
    clock.move_to(START + timedelta(hours=73), tick=False)

    sign_in(anon_client, "newbie7", TEMPORARY)

    [event] = AuditEvent.objects.filter(action=actions.PASSWORD_TEMPORARY_EXPIRED)
    assert (event.merchant, event.actor, event.actor_username) == (
        merchant,
        None,
        "newbie7",
    )
    assert (event.target_id, event.outcome) == (str(newcomer.pk), Outcome.FAILURE)
    assert AuditEvent.objects.filter(action=actions.LOGIN_FAILED).count() == 1


def test_temporary_password_expiry_counts_towards_the_lockout(
    anon_client, newcomer, clock
):
    from payportal.accounts import lockout

    clock.move_to(START + timedelta(hours=73), tick=False)

    sign_in(anon_client, "newbie7", TEMPORARY)

    assert lockout.failure_count("newbie7") == 1


def test_temporary_password_expired_rule_at_the_boundary(newcomer):
    at_72h = START + timedelta(hours=72)

    assert lifecycle.temporary_password_expired(user=newcomer, now=at_72h) is False
    assert (
        lifecycle.temporary_password_expired(
            user=newcomer, now=at_72h + timedelta(seconds=1)
        )
        is True
    )


def test_temporary_password_rule_ignores_own_passwords(clock, admin):
    later = START + timedelta(days=30)

    assert lifecycle.temporary_password_expired(user=admin, now=later) is False


def test_temporary_password_rule_ignores_a_set_password_link(clock, merchant):
    invited = UserFactory(merchant=merchant, must_change_password=True)
    invited.set_unusable_password()
    invited.save()

    later = START + timedelta(days=30)
    assert lifecycle.temporary_password_expired(user=invited, now=later) is False


def test_temporary_password_set_again_by_an_admin_restarts_the_72_hours(
    anon_client, newcomer, clock
):
    clock.move_to(START + timedelta(hours=100), tick=False)
    newcomer.set_password("Second-temporary-4-cloud")
    newcomer.save()

    clock.move_to(START + timedelta(hours=172), tick=False)
    response = sign_in(anon_client, "newbie7", "Second-temporary-4-cloud")

    assert response["Location"] == "/password/new/"


# --- Password age without two-step sign-in: 90 days ----------------------------


def test_password_expired_rule_at_the_boundary(clock, admin):
    set_password_age(admin, timedelta(days=90))
    exactly = START
    a_second_before = START - timedelta(seconds=1)

    assert lifecycle.password_expired(user=admin, now=a_second_before) is False
    assert lifecycle.password_expired(user=admin, now=exactly) is True


def test_password_does_not_expire_when_the_firm_requires_mfa(
    clock, mfa_merchant, admin
):
    set_password_age(admin, timedelta(days=400))

    assert lifecycle.password_expired(user=admin) is False


def test_password_expiry_counts_from_creation_without_a_stamp(clock, admin):
    User.objects.filter(pk=admin.pk).update(
        password_changed_at=None, created_at=START - timedelta(days=90)
    )
    admin.refresh_from_db()

    assert lifecycle.password_expired(user=admin) is True


def test_password_just_under_90_days_opens_pages(client_as, clock, admin):
    set_password_age(admin, timedelta(days=90) - timedelta(seconds=1))

    response = client_as(admin).get("/users/")

    assert response.status_code == 200


def test_password_of_90_days_holds_every_page_on_the_change_page(
    client_as, clock, admin
):
    set_password_age(admin, timedelta(days=90))
    client = client_as(admin)

    response = client.get("/users/")
    page = client.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"] == "/password/new/"
    assert page.status_code == 200
    assert lifecycle.PASSWORD_EXPIRED in text(page)


def test_password_expiry_is_not_stored(client_as, clock, admin):
    set_password_age(admin, timedelta(days=90))

    client_as(admin).get("/users/")

    admin.refresh_from_db()
    assert admin.must_change_password is False


def test_password_expired_sign_in_goes_to_the_change_page(
    anon_client, clock, admin, password, merchant
):
    set_password_age(admin, timedelta(days=91))

    response = sign_in(anon_client, "admin", password)
    follow = anon_client.get(response["Location"])

    assert signed_in(anon_client) is True
    assert follow.status_code == 302
    assert follow["Location"] == "/password/new/"
    [event] = AuditEvent.objects.filter(action=actions.PASSWORD_EXPIRED)
    assert (event.merchant, event.target_id) == (merchant, str(admin.pk))


def test_password_expired_then_changed_opens_pages_again(client_as, clock, admin):
    set_password_age(admin, timedelta(days=90))
    client = client_as(admin)

    response = client.post(
        "/password/new/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    admin.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert admin.password_changed_at == START
    assert admin.check_password(NEW_PASSWORD) is True
    assert client.get("/users/").status_code == 200


def test_password_expired_change_page_refuses_the_same_password(
    client_as, clock, admin, password
):
    set_password_age(admin, timedelta(days=90))

    response = client_as(admin).post(
        "/password/new/", {"new_password1": password, "new_password2": password}
    )

    assert response.status_code == 200
    assert "Choose a password you have not used for your last 4 passwords." in text(
        response
    )


# --- Minimum length: 15 without two-step sign-in, 12 with it -----------------


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Copper-kettle4", [SHORT_15]),
        ("Copper-kettle42", []),
    ],
)
def test_minimum_length_is_15_without_mfa(merchant, password, expected):
    user = UserFactory(merchant=merchant, username="quill9")

    assert refusals(password, user) == expected


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Copper-kett4", []),
        ("Copper-ket4", [SHORT_12]),
    ],
)
def test_minimum_length_is_12_with_mfa(mfa_merchant, password, expected):
    user = UserFactory(merchant=mfa_merchant, username="quill9")

    assert refusals(password, user) == expected


def test_minimum_length_of_a_user_being_added_follows_the_firm(mfa_merchant):
    user = User(merchant=mfa_merchant, username="newbie8", full_name="N", email="n@x.y")

    assert refusals("Copper-kett4", user) == []


def test_minimum_length_of_a_user_being_added_follows_the_roles_firm(
    mfa_merchant, admin_role
):
    user = User(role=admin_role, username="newbie8", full_name="N", email="n@x.y")

    assert refusals("Copper-kett4", user) == []


def test_minimum_length_without_a_known_firm_is_15():
    from django.contrib.auth.password_validation import validate_password

    with pytest.raises(ValidationError) as exc:
        validate_password("Copper-kettle4", None)

    assert exc.value.messages == [SHORT_15]


def test_minimum_length_follows_the_firm_setting_when_it_changes(merchant):
    user = UserFactory(merchant=merchant, username="quill9")
    assert refusals("Copper-kett4", user) == [SHORT_15]

    merchant.require_mfa = True
    merchant.save(update_fields=["require_mfa"])
    user.refresh_from_db()

    assert refusals("Copper-kett4", user) == []
