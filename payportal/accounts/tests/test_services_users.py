import pytest
from django.core.exceptions import ValidationError

from payportal.accounts import lockout
from payportal.accounts.models import User
from payportal.accounts.services import users as services
from payportal.accounts.services.guards import NO_USER_MANAGER_LEFT
from payportal.accounts.services.users import PasswordSetup
from payportal.accounts.tests.factories import PASSWORD, RoleFactory, UserFactory
from payportal.accounts.tests.lockouts import lock_out
from payportal.audit import actions
from payportal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Copper-kettle-42-morning"


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


@pytest.fixture
def clerk_role(merchant):
    return RoleFactory(merchant=merchant, name="Clerk", permissions=["payments.view"])


@pytest.fixture
def jo(merchant, admin, admin_role):
    return UserFactory(
        merchant=merchant,
        role=admin_role,
        username="jo2",
        full_name="Jo Doe",
        email="jo@firm.com",
        created_by=admin,
    )


def make_user(merchant, admin, role, **overrides):
    fields = {
        "merchant": merchant,
        "actor": admin,
        "role": role,
        "username": "jo2",
        "full_name": "Jo Doe",
        "email": "jo@firm.com",
        "password": NEW_PASSWORD,
    }
    fields.update(overrides)
    return services.create_user(**fields)


# --- create_user -------------------------------------------------------------


def test_create_user_with_temporary_password(merchant, admin, clerk_role):
    user = make_user(merchant, admin, clerk_role)

    user.refresh_from_db()
    assert user.is_active is True
    assert user.must_change_password is True
    assert user.check_password(NEW_PASSWORD) is True
    assert user.created_by == admin
    [event] = events(actions.USER_CREATED)
    assert event.actor == admin
    assert event.target_id == str(user.pk)
    assert event.changes["password"] == [None, "temporary"]
    assert NEW_PASSWORD not in str(event.changes)


def test_create_user_with_link_has_no_usable_password(
    merchant, admin, clerk_role, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user = make_user(merchant, admin, clerk_role, password=None, send_link=True)

    user.refresh_from_db()
    assert user.has_usable_password() is False
    assert user.must_change_password is False
    assert len(mailoutbox) == 1
    assert "/password/set/" in mailoutbox[0].body


@pytest.mark.parametrize("username", ["Jo2", "a" * 30, "abc"])
def test_create_user_accepts_good_usernames(merchant, admin, clerk_role, username):
    user = make_user(merchant, admin, clerk_role, username=username)

    assert user.username == username


@pytest.mark.parametrize(
    "username", ["a@b.com", "ab", "abc def", "ÄBC", "x_y", "a" * 31]
)
def test_create_user_rejects_bad_usernames(merchant, admin, clerk_role, username):
    with pytest.raises(ValidationError) as exc:
        make_user(merchant, admin, clerk_role, username=username)

    assert exc.value.message_dict == {
        "username": [
            "Usernames are 3 to 30 letters (A-Z) and numbers only: "
            "no spaces, symbols or email addresses."
        ]
    }
    assert User.objects.filter(merchant=merchant).count() == 1


def test_create_user_rejects_a_taken_username_ignoring_case(
    merchant, admin, clerk_role
):
    make_user(merchant, admin, clerk_role, username="jo2")

    with pytest.raises(ValidationError) as exc:
        make_user(merchant, admin, clerk_role, username="JO2", email="other@firm.com")

    assert exc.value.message_dict == {"username": [services.USERNAME_TAKEN]}


def test_create_user_rejects_a_username_taken_in_another_firm(
    merchant, other_merchant, admin, clerk_role
):
    UserFactory(merchant=other_merchant, username="jo2")

    with pytest.raises(ValidationError) as exc:
        make_user(merchant, admin, clerk_role, username="Jo2")

    assert exc.value.message_dict == {"username": [services.USERNAME_TAKEN]}


def test_create_user_rejects_another_firms_role(merchant, other_merchant, admin):
    foreign = RoleFactory(merchant=other_merchant)

    with pytest.raises(ValidationError) as exc:
        make_user(merchant, admin, foreign)

    assert exc.value.message_dict == {"role": [services.CHOOSE_VALID_ROLE]}


@pytest.mark.parametrize(
    ("password", "message"),
    [
        (
            "short1pass",
            "This password is too short. It must contain at least 15 characters.",
        ),
        ("nodigitsinthisone", "This password needs at least one letter and one digit."),
        ("summerpassword2026", "This password is too common."),
        ("harbour2024!", "The password is too similar to the Username."),
    ],
)
def test_create_user_applies_the_password_policy(
    merchant, admin, clerk_role, password, message
):
    with pytest.raises(ValidationError) as exc:
        make_user(
            merchant, admin, clerk_role, username="harbour2024", password=password
        )

    assert message in exc.value.message_dict["password"]
    assert not User.objects.filter(username="harbour2024").exists()
    assert events(actions.USER_CREATED) == []


def test_create_user_needs_a_password_or_a_link(merchant, admin, clerk_role):
    with pytest.raises(ValidationError) as exc:
        make_user(merchant, admin, clerk_role, password=None)

    assert exc.value.message_dict == {"password": [services.CHOOSE_PASSWORD_SETUP]}


def test_create_user_rejects_a_bad_email(merchant, admin, clerk_role):
    with pytest.raises(ValidationError) as exc:
        make_user(merchant, admin, clerk_role, email="not-an-email")

    assert exc.value.message_dict == {"email": ["Enter a valid email address."]}


# --- update_user -------------------------------------------------------------


def update(user, actor, **overrides):
    fields = {
        "user": user,
        "actor": actor,
        "role": user.role,
        "full_name": user.full_name,
        "email": user.email,
        "is_active": user.is_active,
    }
    fields.update(overrides)
    return services.update_user(**fields)


def test_update_user_records_changes_in_one_event(jo, admin, clerk_role):
    update(jo, admin, role=clerk_role, full_name="Jo Smith", email="js@firm.com")

    jo.refresh_from_db()
    assert (jo.role, jo.full_name, jo.email) == (clerk_role, "Jo Smith", "js@firm.com")
    [event] = events(actions.USER_CHANGED)
    assert event.actor == admin
    assert event.target_id == str(jo.pk)
    assert event.changes == {
        "role": ["Administrator", "Clerk"],
        "full_name": ["Jo Doe", "Jo Smith"],
        "email": ["jo@firm.com", "js@firm.com"],
    }


def test_update_user_records_nothing_when_nothing_changed(jo, admin):
    update(jo, admin)

    assert AuditEvent.objects.filter(target_id=str(jo.pk)).count() == 0


def test_update_user_deactivates(jo, admin):
    update(jo, admin, is_active=False)

    jo.refresh_from_db()
    assert jo.is_active is False
    [event] = events(actions.USER_DEACTIVATED)
    assert event.changes == {"status": ["Active", "Inactive"]}
    assert events(actions.USER_CHANGED) == []


def test_update_user_refuses_to_deactivate_yourself(jo, admin):
    with pytest.raises(ValidationError) as exc:
        update(jo, jo, is_active=False)

    assert exc.value.message_dict == {"is_active": [services.OWN_STATUS]}
    jo.refresh_from_db()
    assert jo.is_active is True


def test_update_user_refuses_to_change_your_own_role(jo, clerk_role):
    with pytest.raises(ValidationError) as exc:
        update(jo, jo, role=clerk_role)

    assert exc.value.message_dict == {"role": [services.OWN_ROLE]}


def test_update_user_lets_you_change_your_own_name(jo):
    update(jo, jo, full_name="Joanna Doe")

    jo.refresh_from_db()
    assert jo.full_name == "Joanna Doe"


def test_update_user_keeps_the_last_user_manager(admin, user_with):
    # A user who cannot manage users does not count; actor None is a command.
    user_with("payments.view")

    with pytest.raises(ValidationError) as exc:
        update(admin, None, is_active=False)

    assert exc.value.message_dict == {"is_active": [NO_USER_MANAGER_LEFT]}
    admin.refresh_from_db()
    assert admin.is_active is True


def test_update_user_refuses_to_demote_the_last_user_manager(admin, clerk_role):
    with pytest.raises(ValidationError) as exc:
        update(admin, None, role=clerk_role)

    assert exc.value.message_dict == {"role": [NO_USER_MANAGER_LEFT]}
    admin.refresh_from_db()
    assert admin.role.name == "Administrator"


def test_update_user_deactivates_a_manager_while_another_remains(admin, jo):
    update(admin, jo, is_active=False)

    admin.refresh_from_db()
    assert admin.is_active is False


def test_update_user_rejects_another_firms_role(jo, admin, other_merchant):
    foreign = RoleFactory(merchant=other_merchant)

    with pytest.raises(ValidationError) as exc:
        update(jo, admin, role=foreign)

    assert exc.value.message_dict == {"role": [services.CHOOSE_VALID_ROLE]}


def test_update_user_changes_nothing_when_a_field_is_bad(jo, admin, clerk_role):
    with pytest.raises(ValidationError) as exc:
        update(jo, admin, role=clerk_role, full_name="Jo Smith", email="nope")

    assert exc.value.message_dict == {"email": ["Enter a valid email address."]}
    assert (jo.role.name, jo.full_name) == ("Administrator", "Jo Doe")
    jo.refresh_from_db()
    assert (jo.role.name, jo.full_name) == ("Administrator", "Jo Doe")
    assert AuditEvent.objects.count() == 0


def test_update_user_reactivates_with_a_temporary_password(jo, admin):
    update(jo, admin, is_active=False)

    update(
        jo,
        admin,
        is_active=True,
        reactivation=PasswordSetup(password=NEW_PASSWORD),
    )

    jo.refresh_from_db()
    assert jo.is_active is True
    assert jo.must_change_password is True
    assert jo.check_password(NEW_PASSWORD) is True
    [event] = events(actions.USER_REACTIVATED)
    assert event.changes == {
        "status": ["Inactive", "Active"],
        "password": [None, "temporary"],
    }


def test_update_user_reactivates_with_a_link(
    jo, admin, mailoutbox, django_capture_on_commit_callbacks
):
    update(jo, admin, is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        update(jo, admin, is_active=True, reactivation=PasswordSetup(send_link=True))

    jo.refresh_from_db()
    assert jo.is_active is True
    assert jo.has_usable_password() is False
    assert [m.to for m in mailoutbox] == [["jo@firm.com"]]
    assert "/password/set/" in mailoutbox[0].body
    [event] = events(actions.USER_REACTIVATED)
    assert event.changes["password"] == [None, "set-password link"]


def test_update_user_needs_a_password_setup_to_reactivate(jo, admin):
    update(jo, admin, is_active=False)

    with pytest.raises(ValidationError) as exc:
        update(jo, admin, is_active=True)

    assert exc.value.message_dict == {"password": [services.CHOOSE_PASSWORD_SETUP]}
    jo.refresh_from_db()
    assert jo.is_active is False


def test_update_user_applies_the_policy_on_reactivation(jo, admin):
    update(jo, admin, is_active=False)

    with pytest.raises(ValidationError) as exc:
        update(jo, admin, is_active=True, reactivation=PasswordSetup(password=PASSWORD))

    # The factory password is jo's current one: history refuses it.
    assert exc.value.message_dict == {
        "password": ["Choose a password you have not used for your last 4 passwords."]
    }


def test_update_user_ignores_password_setup_when_not_reactivating(jo, admin):
    update(jo, admin, full_name="Jo Smith", reactivation=PasswordSetup(send_link=True))

    jo.refresh_from_db()
    assert jo.check_password(PASSWORD) is True
    assert events(actions.USER_REACTIVATED) == []


# --- reset_user_password -----------------------------------------------------


def test_reset_user_password_sets_a_temporary_password(jo, admin):
    services.reset_user_password(user=jo, actor=admin, password=NEW_PASSWORD)

    jo.refresh_from_db()
    assert jo.check_password(NEW_PASSWORD) is True
    assert jo.check_password(PASSWORD) is False
    assert jo.must_change_password is True
    [event] = events(actions.PASSWORD_SET_BY_ADMIN)
    assert (event.actor, event.target_id, event.changes) == (admin, str(jo.pk), {})


def test_reset_user_password_by_link_stops_the_old_password(
    jo, admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.reset_user_password(user=jo, actor=admin, send_link=True)

    jo.refresh_from_db()
    assert jo.has_usable_password() is False
    assert jo.must_change_password is False
    assert [m.to for m in mailoutbox] == [["jo@firm.com"]]
    assert "/password/set/" in mailoutbox[0].body
    assert len(events(actions.SET_PASSWORD_LINK_SENT)) == 1


def test_reset_user_password_refuses_your_own(admin):
    with pytest.raises(ValidationError) as exc:
        services.reset_user_password(user=admin, actor=admin, password=NEW_PASSWORD)

    assert exc.value.messages == [services.OWN_PASSWORD]


def test_reset_user_password_refuses_an_inactive_user(jo, admin):
    update(jo, admin, is_active=False)

    with pytest.raises(ValidationError) as exc:
        services.reset_user_password(user=jo, actor=admin, password=NEW_PASSWORD)

    assert exc.value.messages == [services.INACTIVE_USER]


def test_reset_user_password_applies_the_policy(jo, admin):
    with pytest.raises(ValidationError) as exc:
        services.reset_user_password(user=jo, actor=admin, password="jo@firm.com1234")

    assert exc.value.message_dict == {
        "password": ["The password is too similar to the Email."]
    }
    jo.refresh_from_db()
    assert jo.check_password(PASSWORD) is True


def test_reset_user_password_needs_a_password_or_a_link(jo, admin):
    with pytest.raises(ValidationError) as exc:
        services.reset_user_password(user=jo, actor=admin)

    assert exc.value.message_dict == {"password": [services.CHOOSE_PASSWORD_SETUP]}


# --- unlock_user -------------------------------------------------------------


def test_unlock_user_ends_the_lockout(jo, admin):
    lock_out("JO2")

    assert services.unlock_user(user=jo, actor=admin) is True

    assert lockout.is_locked("jo2") is False
    [event] = events(actions.USER_UNLOCKED)
    assert (event.actor, event.target_id) == (admin, str(jo.pk))


def test_unlock_user_records_nothing_when_not_locked(jo, admin):
    assert services.unlock_user(user=jo, actor=admin) is False

    assert events(actions.USER_UNLOCKED) == []


# --- update_profile and change_password --------------------------------------


def test_update_profile_records_the_changes(jo):
    services.update_profile(user=jo, full_name="Jo Smith", email="jo@firm.com")

    jo.refresh_from_db()
    assert jo.full_name == "Jo Smith"
    [event] = events(actions.PROFILE_CHANGED)
    assert event.actor == jo
    assert event.changes == {"full_name": ["Jo Doe", "Jo Smith"]}


def test_update_profile_records_nothing_when_nothing_changed(jo):
    services.update_profile(user=jo, full_name="Jo Doe", email="jo@firm.com")

    assert events(actions.PROFILE_CHANGED) == []


def test_update_profile_rejects_a_bad_email(jo):
    with pytest.raises(ValidationError) as exc:
        services.update_profile(user=jo, full_name="Jo Smith", email="nope")

    assert exc.value.message_dict == {"email": ["Enter a valid email address."]}
    assert jo.full_name == "Jo Doe"


def test_change_password_sets_it_and_records_it(jo):
    jo.must_change_password = True
    jo.save()

    services.change_password(user=jo, password=NEW_PASSWORD)

    jo.refresh_from_db()
    assert jo.check_password(NEW_PASSWORD) is True
    assert jo.must_change_password is False
    [event] = events(actions.PASSWORD_CHANGED)
    assert (event.actor, event.changes) == (jo, {})


def test_change_password_refuses_a_recent_password(jo):
    with pytest.raises(ValidationError) as exc:
        services.change_password(user=jo, password=PASSWORD)

    assert exc.value.message_dict == {
        "password": ["Choose a password you have not used for your last 4 passwords."]
    }
