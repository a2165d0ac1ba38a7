import re

import pytest

from payportal.accounts.tests.factories import PASSWORD
from payportal.accounts.tests.html import field_errors, input_value, text
from payportal.audit import actions
from payportal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Copper-kettle-42-morning"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def jo(user_with):
    # Holds no permission at all: Profile needs none.
    return user_with(username="jo2", full_name="Jo Doe", email="jo@firm.com")


@pytest.fixture
def jo_client(client_as, jo):
    return client_as(jo)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def password_form(**overrides):
    data = {
        "old_password": PASSWORD,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


# --- Profile -----------------------------------------------------------------


def test_profile_works(jo_client, jo):
    response = jo_client.get("/profile/")

    assert response.status_code == 200
    page = text(response)
    assert "<h1>Profile</h1>" in page
    record = dict(re.findall(r"<dt>([^<]+)</dt>\s*<dd[^>]*>(.*?)</dd>", page, re.S))
    assert list(record) == [
        "Username",
        "Full Name",
        "Email",
        "Role",
        "Status",
        "Last login",
    ]
    assert record["Username"] == "jo2"
    assert record["Full Name"] == "Jo Doe"
    assert record["Email"] == "jo@firm.com"
    assert record["Role"] == jo.role.name
    assert "Active" in record["Status"]
    edit = re.search(r'<a class="icon-btn" href="/profile/edit/"[^>]*>', page)[0]
    assert 'aria-label="Edit"' in edit and 'title="Edit"' in edit
    assert 'hx-target="#profile-details"' in edit
    assert 'href="/profile/password/"' in page


def test_profile_redirects_anonymous_to_login(anon_client):
    assert anon_client.get("/profile/")["Location"] == "/?next=/profile/"


def test_profile_rejects_post(jo_client):
    assert jo_client.post("/profile/").status_code == 405


def test_profile_returns_fragment_for_htmx(jo_client):
    page = text(jo_client.get("/profile/", headers=HTMX))

    assert page.strip().startswith('<section class="card" id="profile-details"')
    assert "<h1>" not in page


# --- Profile edit --------------------------------------------------------------


def test_profile_edit_works(jo_client, jo):
    response = jo_client.post(
        "/profile/edit/",
        {"full_name": "Jo Smith", "email": "js@firm.com"},
        follow=True,
    )

    assert response.redirect_chain == [("/profile/", 302)]
    assert messages_of(response) == ["Your profile has been saved."]
    jo.refresh_from_db()
    assert (jo.full_name, jo.email) == ("Jo Smith", "js@firm.com")
    event = AuditEvent.objects.get(action=actions.PROFILE_CHANGED)
    assert event.actor == jo
    assert event.changes == {
        "full_name": ["Jo Doe", "Jo Smith"],
        "email": ["jo@firm.com", "js@firm.com"],
    }


def test_profile_edit_shows_the_form_in_the_card(jo_client):
    response = jo_client.get("/profile/edit/")

    page = text(response)
    assert input_value(response, "full_name") == "Jo Doe"
    assert 'name="username"' not in page
    assert 'name="role"' not in page
    assert (
        '<button type="submit" class="icon-btn icon-btn--save" aria-label="Save" '
        'title="Save">'
    ) in page
    assert re.search(r'<a class="icon-btn" href="/profile/" aria-label="Cancel"', page)


def test_profile_edit_redirects_anonymous_to_login(anon_client):
    assert anon_client.get("/profile/edit/")["Location"] == "/?next=/profile/edit/"


def test_profile_edit_shows_error_next_to_field(jo_client, jo):
    response = jo_client.post(
        "/profile/edit/", {"full_name": "Jo Smith", "email": "not an email"}
    )

    assert response.status_code == 200
    assert field_errors(response, "email") == ["Enter a valid email address."]
    assert input_value(response, "full_name") == "Jo Smith"
    jo.refresh_from_db()
    assert jo.full_name == "Jo Doe"


def test_profile_edit_needs_a_full_name(jo_client):
    response = jo_client.post("/profile/edit/", {"full_name": "", "email": "a@b.co"})

    assert field_errors(response, "full_name") == ["This field is required."]


def test_profile_edit_returns_fragment_for_htmx(jo_client):
    page = text(jo_client.get("/profile/edit/", headers=HTMX))

    assert page.strip().startswith('<form class="card" id="profile-details"')


def test_profile_edit_redirects_htmx_after_saving(jo_client):
    response = jo_client.post(
        "/profile/edit/",
        {"full_name": "Jo Smith", "email": "jo@firm.com"},
        headers=HTMX,
    )

    assert response["HX-Redirect"] == "/profile/"


# --- Change password -----------------------------------------------------------


def test_profile_password_works(jo_client, client_as, jo):
    other_session = client_as(jo)

    response = jo_client.post("/profile/password/", password_form(), follow=True)

    assert response.redirect_chain == [("/profile/", 302)]
    assert messages_of(response) == [
        "Your password has been changed. Your other sessions were signed out."
    ]
    jo.refresh_from_db()
    assert jo.check_password(NEW_PASSWORD) is True
    # This session stays; the other one ended with the old password hash.
    assert jo_client.get("/profile/").status_code == 200
    assert other_session.get("/profile/")["Location"] == "/?next=/profile/"
    event = AuditEvent.objects.get(action=actions.PASSWORD_CHANGED)
    assert (event.actor, event.target_id, event.changes) == (jo, str(jo.pk), {})


def test_profile_password_shows_relabelled_fields(jo_client):
    page = text(jo_client.get("/profile/password/"))

    assert '<label for="id_old_password">Current password' in page
    assert '<label for="id_new_password1">New password' in page
    assert '<label for="id_new_password2">Confirm new password' in page


def test_profile_password_redirects_anonymous_to_login(anon_client):
    response = anon_client.get("/profile/password/")

    assert response["Location"] == "/?next=/profile/password/"


def test_profile_password_shows_error_next_to_field(jo_client, jo):
    response = jo_client.post(
        "/profile/password/", password_form(old_password="Wrong-password-99")
    )

    assert response.status_code == 200
    assert field_errors(response, "old_password") == [
        "That isn't your current password. Please try again."
    ]
    jo.refresh_from_db()
    assert jo.check_password(PASSWORD) is True
    assert AuditEvent.objects.filter(action=actions.PASSWORD_CHANGED).count() == 0


def test_profile_password_shows_mismatch_next_to_confirmation(jo_client):
    response = jo_client.post(
        "/profile/password/", password_form(new_password2="Copper-kettle-42-evening")
    )

    assert field_errors(response, "new_password2") == ["The two passwords don't match."]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        (
            "short1pass",
            "This password is too short. It must contain at least 15 characters.",
        ),
        ("summerpassword2026", "This password is too common."),
        (PASSWORD, "Choose a password you have not used for your last 4 passwords."),
    ],
)
def test_profile_password_shows_policy_error_next_to_new_password(
    jo_client, jo, password, message
):
    response = jo_client.post(
        "/profile/password/",
        password_form(new_password1=password, new_password2=password),
    )

    assert field_errors(response, "new_password1") == [message]
    assert input_value(response, "new_password1") is None
    jo.refresh_from_db()
    assert jo.check_password(PASSWORD) is True
