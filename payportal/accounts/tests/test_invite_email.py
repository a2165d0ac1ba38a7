"""The emails Add User, reactivation and reset send, over real SMTP."""

import pytest

from conftest import links_in
from payportal.accounts.models import User
from payportal.accounts.tests.factories import RoleFactory
from payportal.accounts.tokens import set_password_tokens
from payportal.audit import actions
from payportal.audit.models import AuditEvent

# Emails leave on commit, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

TEMPORARY = "Copper-kettle-42-morning"


@pytest.fixture
def clerk_role(merchant):
    return RoleFactory(merchant=merchant, name="Clerk")


def add_user(client, role, **overrides):
    data = {
        "role": role.pk,
        "username": "jo2",
        "password_mode": "password",
        "password": TEMPORARY,
        "confirm_password": TEMPORARY,
        "full_name": "Jo Doe",
        "email": "jo@firm.com",
    }
    data.update(overrides)
    return client.post("/users/add/", data)


def test_invite_email_has_address_and_username_but_no_password(
    admin_client, admin, clerk_role, smtp_sink
):
    response = add_user(admin_client, clerk_role)

    assert response.status_code == 302
    [body] = smtp_sink.bodies_to("jo@firm.com")
    assert "http://testserver/" in body
    assert "Username: jo2" in body
    assert TEMPORARY not in body
    assert links_in(body) == ["http://testserver/"]
    [message] = smtp_sink.messages
    assert message["Subject"] == "Your Hale & Stone LLP payments portal login"
    event = AuditEvent.objects.get(action=actions.USER_CREATED)
    assert event.actor == admin


def test_invite_email_in_link_mode_has_a_set_password_link(
    admin_client, clerk_role, smtp_sink
):
    add_user(
        admin_client, clerk_role, password_mode="link", password="", confirm_password=""
    )

    [body] = smtp_sink.bodies_to("jo@firm.com")
    link = links_in(body)[-1]
    assert link.startswith("http://testserver/password/set/")
    assert "it works once, for 72 hours" in body
    user = User.objects.get(username="jo2")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert set_password_tokens.check_token(user, token) is True


def test_invite_email_is_not_sent_when_adding_fails(
    admin_client, clerk_role, smtp_sink
):
    add_user(admin_client, clerk_role, confirm_password="something-else-1")

    assert smtp_sink.messages == []


def test_reset_by_link_email_has_a_working_link(
    admin_client, merchant, clerk_role, smtp_sink
):
    add_user(admin_client, clerk_role)
    user = User.objects.get(username="jo2")
    smtp_sink.messages.clear()

    admin_client.post(
        f"/users/{user.pk}/password/",
        {"reset-password_mode": "link"},
    )

    [body] = smtp_sink.bodies_to("jo@firm.com")
    link = [u for u in links_in(body) if "/password/set/" in u][0]
    token = link.rstrip("/").rsplit("/", 1)[1]
    user.refresh_from_db()
    assert set_password_tokens.check_token(user, token) is True
    assert "jo2" in body
