"""Password emails over real SMTP (aiosmtpd), followed like a person would.

Emails leave after the transaction commits, so these tests run with real
transactions.
"""

import pytest
from django.core.cache import caches

from conftest import PortalClient, links_in
from payportal.accounts.services import users as user_services
from payportal.accounts.tests.html import text
from payportal.accounts.views.auth import PASSWORD_SET

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Copper-kettle-42-morning"
EXPIRED = "This link has expired or was already used"


@pytest.fixture(autouse=True)
def _clear_throttle(db):
    caches["throttle"].clear()


def follow_and_choose(client, link, password=NEW_PASSWORD):
    opened = client.get(link)
    assert opened.status_code == 302
    return client.post(
        opened["Location"], {"new_password1": password, "new_password2": password}
    )


def sign_in(client, username, password):
    return client.post("/", {"username": username, "password": password})


def test_reset_email_link_sets_a_new_password_once(smtp_sink, admin):
    client = PortalClient()

    client.post("/password/forgot/", {"login": "ADMIN"})

    [body] = smtp_sink.bodies_to(admin.email)
    [message] = smtp_sink.messages
    assert message["Subject"] == "Reset your payments portal password"
    assert "works once, for 60 minutes" in body
    [link] = links_in(body)
    assert link.startswith("http://testserver/password/reset/")

    response = follow_and_choose(client, link)
    assert response["Location"] == "/password/done/"
    assert sign_in(client, "admin", NEW_PASSWORD)["Location"] == "/"

    again = PortalClient().get(link)
    assert again.status_code == 200
    assert EXPIRED in text(again)


def test_reset_email_is_not_sent_for_an_unknown_login(smtp_sink, admin):
    response = PortalClient().post("/password/forgot/", {"login": "nobody@x.com"})

    assert response["Location"] == "/password/forgot/sent/"
    assert smtp_sink.messages == []


def test_reset_email_never_contains_the_password(smtp_sink, admin, password):
    PortalClient().post("/password/forgot/", {"login": "admin"})

    [body] = smtp_sink.bodies_to(admin.email)
    assert password not in body


def test_invite_email_link_sets_the_first_password(smtp_sink, merchant, admin):
    user = user_services.create_user(
        merchant=merchant,
        actor=admin,
        role=admin.role,
        username="invited3",
        full_name="Ivy Invited",
        email="ivy@firm.com",
        send_link=True,
    )
    client = PortalClient()
    assert sign_in(client, "invited3", "Any-guess-123").status_code == 200

    [body] = smtp_sink.bodies_to("ivy@firm.com")
    set_links = [link for link in links_in(body) if "/password/set/" in link]
    assert len(set_links) == 1
    response = follow_and_choose(client, set_links[0])

    assert response["Location"] == "/"
    assert PASSWORD_SET in text(client.get("/"))
    assert "_auth_user_id" not in client.session
    assert sign_in(client, "invited3", NEW_PASSWORD)["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert EXPIRED in text(PortalClient().get(set_links[0]))
