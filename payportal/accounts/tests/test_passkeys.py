"""Passkeys (WebAuthn) as a second factor, with a software authenticator:
adding one from Profile, signing in with one, and what must fail (a wrong
signature, a used challenge, someone else's passkey)."""

import json
import re

import pytest
from django.core.cache import caches
from django.core.exceptions import ValidationError

from payportal.accounts import lockout
from payportal.accounts.forms.profile import CURRENT_PASSWORD_WRONG
from payportal.accounts.mfa import passkeys
from payportal.accounts.models import SecondFactor
from payportal.accounts.services import mfa as services
from payportal.accounts.tests.factories import PASSWORD
from payportal.accounts.tests.html import field_errors, text
from payportal.accounts.tests.mfa_helpers import enrol, keep_signed_in
from payportal.accounts.tests.webauthn_authenticator import (
    SoftAuthenticator,
    challenge_of,
)
from payportal.accounts.views.passkeys import CREDENTIAL_MISSING, PASSKEY_ADDED
from payportal.audit import actions
from payportal.audit.models import AuditEvent, Outcome

pytestmark = pytest.mark.django_db

ADD = "/profile/two-step/passkey/"
SIGN_IN = "/login/passkey/"
CODE_PAGE = "/login/code/"
# The test client's host: the relying party id and origin the views use.
RELYING = passkeys.Relying(rp_id="testserver", origin="http://testserver")


@pytest.fixture(autouse=True)
def _clear_throttle(db):
    caches["throttle"].clear()


def registration(user, session=None):
    session = {} if session is None else session
    options = passkeys.registration_options(
        session,
        relying=RELYING,
        username=user.username,
        display_name=user.full_name,
        existing=services.passkey_ids(user),
    )
    return options, passkeys.pop_challenge(session, passkeys.REGISTRATION_CHALLENGE)


def add(user, authenticator):
    options, challenge = registration(user)
    return services.add_passkey(
        user=user,
        credential=authenticator.register(options, origin=RELYING.origin),
        challenge=challenge,
        relying=RELYING,
        request=None,
    )


def sign_options(user) -> str:
    return passkeys.authentication_options(
        {}, relying=RELYING, credential_ids=services.passkey_ids(user)
    )


def page_options(response) -> str:
    match = re.search(
        r'<script id="passkey-options" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match is not None
    return json.dumps(json.loads(match[1]))


# The software authenticator against py_webauthn


def test_authenticator_answers_verify_with_py_webauthn():
    session: dict = {}
    key = SoftAuthenticator()
    options = passkeys.registration_options(
        session, relying=RELYING, username="admin", display_name="", existing=[]
    )
    new = passkeys.verify_registration(
        credential=key.register(options, origin=RELYING.origin),
        challenge=passkeys.pop_challenge(session, passkeys.REGISTRATION_CHALLENGE),
        relying=RELYING,
    )
    options = passkeys.authentication_options(
        session, relying=RELYING, credential_ids=[new.credential_id]
    )

    count = passkeys.verify_assertion(
        credential=key.assert_(options, origin=RELYING.origin),
        challenge=challenge_of(options),
        relying=RELYING,
        public_key=new.public_key,
        sign_count=new.sign_count,
    )

    assert new.credential_id == key.id
    assert count == 1


def test_challenge_is_taken_out_of_the_session_once():
    session: dict = {}
    options = passkeys.authentication_options(
        session, relying=RELYING, credential_ids=[]
    )

    first = passkeys.pop_challenge(session, passkeys.AUTHENTICATION_CHALLENGE)
    second = passkeys.pop_challenge(session, passkeys.AUTHENTICATION_CHALLENGE)

    assert first == challenge_of(options)
    assert second is None


def test_relying_party_is_the_request_host(rf):
    request = rf.get("/", HTTP_HOST="localhost:8000")

    assert passkeys.relying_party(request) == passkeys.Relying(
        rp_id="localhost", origin="http://localhost:8000"
    )


# Services


def test_add_passkey_stores_it_confirmed_and_audits(admin):
    enrol(admin)
    key = SoftAuthenticator()

    factor = add(admin, key)

    factor.refresh_from_db()
    assert factor.kind == SecondFactor.Kind.PASSKEY
    assert factor.credential_id == key.id
    assert factor.confirmed_at is not None
    assert factor.sign_count == 0
    assert services.has_passkey(admin) is True
    event = AuditEvent.objects.get(action=actions.MFA_PASSKEY_ADDED)
    assert event.actor_username == "admin"
    assert event.changes == {"passkeys": [0, 1]}


def test_add_passkey_needs_the_authenticator_app_first(admin):
    with pytest.raises(ValidationError) as error:
        add(admin, SoftAuthenticator())

    assert error.value.messages == [services.PASSKEY_NEEDS_APP]
    assert SecondFactor.objects.count() == 0


def test_add_passkey_refuses_an_answer_to_another_challenge(admin):
    enrol(admin)
    options, _ = registration(admin)
    _, other_challenge = registration(admin)

    with pytest.raises(ValidationError) as error:
        services.add_passkey(
            user=admin,
            credential=SoftAuthenticator().register(options, origin=RELYING.origin),
            challenge=other_challenge,
            relying=RELYING,
            request=None,
        )

    assert error.value.messages == [services.PASSKEY_NOT_ADDED]
    assert services.has_passkey(admin) is False


def test_add_passkey_refuses_another_origin(admin):
    enrol(admin)
    options, challenge = registration(admin)

    with pytest.raises(ValidationError) as error:
        services.add_passkey(
            user=admin,
            credential=SoftAuthenticator().register(
                options, origin="https://evil.example"
            ),
            challenge=challenge,
            relying=RELYING,
            request=None,
        )

    assert error.value.messages == [services.PASSKEY_NOT_ADDED]


def test_add_passkey_refuses_the_same_credential_twice(admin):
    enrol(admin)
    key = SoftAuthenticator()
    add(admin, key)

    with pytest.raises(ValidationError) as error:
        add(admin, key)

    assert error.value.messages == [services.PASSKEY_TAKEN]
    assert len(services.passkey_ids(admin)) == 1


def test_verify_passkey_accepts_a_signature_and_stores_the_counter(admin):
    enrol(admin)
    key = SoftAuthenticator()
    factor = add(admin, key)
    options = sign_options(admin)

    ok = services.verify_passkey(
        user=admin,
        credential=key.assert_(options, origin=RELYING.origin),
        challenge=challenge_of(options),
        relying=RELYING,
    )

    factor.refresh_from_db()
    assert ok is True
    assert factor.sign_count == 1
    assert factor.last_used_at is not None


def test_verify_passkey_refuses_a_wrong_signature(admin):
    enrol(admin)
    key = SoftAuthenticator()
    add(admin, key)
    impostor = SoftAuthenticator()
    impostor.credential_id = key.credential_id  # same id, another key
    options = sign_options(admin)

    ok = services.verify_passkey(
        user=admin,
        credential=impostor.assert_(options, origin=RELYING.origin),
        challenge=challenge_of(options),
        relying=RELYING,
    )

    assert ok is False


def test_verify_passkey_refuses_a_replayed_answer(admin):
    enrol(admin)
    key = SoftAuthenticator()
    add(admin, key)
    options = sign_options(admin)
    answer = key.assert_(options, origin=RELYING.origin)
    challenge = challenge_of(options)
    assert services.verify_passkey(
        user=admin, credential=answer, challenge=challenge, relying=RELYING
    )

    again = services.verify_passkey(
        user=admin, credential=answer, challenge=challenge, relying=RELYING
    )

    assert again is False


def test_verify_passkey_without_a_challenge_fails(admin):
    enrol(admin)
    key = SoftAuthenticator()
    add(admin, key)
    options = sign_options(admin)

    ok = services.verify_passkey(
        user=admin,
        credential=key.assert_(options, origin=RELYING.origin),
        challenge=None,
        relying=RELYING,
    )

    assert ok is False


def test_verify_passkey_refuses_another_users_passkey(admin, user_with):
    other = user_with()
    enrol(admin)
    enrol(other)
    key = SoftAuthenticator()
    add(other, key)
    options = sign_options(other)

    ok = services.verify_passkey(
        user=admin,
        credential=key.assert_(options, origin=RELYING.origin),
        challenge=challenge_of(options),
        relying=RELYING,
    )

    assert ok is False


def test_verify_passkey_refuses_garbage(admin):
    enrol(admin)
    add(admin, SoftAuthenticator())

    ok = services.verify_passkey(
        user=admin, credential="{not json", challenge=b"x" * 32, relying=RELYING
    )

    assert ok is False


def test_removing_two_step_removes_passkeys(admin):
    enrol(admin)
    add(admin, SoftAuthenticator())

    services.remove_factors(user=admin, request=None)

    assert services.has_passkey(admin) is False


# Adding a passkey from Profile


@pytest.fixture
def enrolled_client(client_as, admin):
    enrol(admin)
    client = client_as(admin)
    keep_signed_in(client, admin)
    return client


def test_add_page_redirects_anonymous_to_login(anon_client):
    response = anon_client.get(ADD)

    assert response.status_code == 302
    assert response["Location"] == "/?next=/profile/two-step/passkey/"


def test_add_page_without_the_app_goes_back_to_profile(admin_client):
    response = admin_client.get(ADD)

    assert response.status_code == 302
    assert response["Location"] == "/profile/"


def test_add_page_shows_options_and_loads_the_script(enrolled_client):
    response = enrolled_client.get(ADD)

    assert response.status_code == 200
    options = json.loads(page_options(response))
    assert options["rp"] == {"id": "testserver", "name": "PayPortal"}
    assert options["user"]["name"] == "admin"
    content = response.content.decode()
    assert "/static/payportal/js/passkeys.js" in content
    assert "<script>" not in content
    assert "style=" not in content


def test_profile_offers_add_a_passkey_when_two_step_is_on(enrolled_client):
    assert "Add a passkey" in text(enrolled_client.get("/profile/"))


def test_add_passkey_with_password_signs_out_other_sessions(
    enrolled_client, client_as, admin
):
    other = client_as(admin)
    keep_signed_in(other, admin)
    key = SoftAuthenticator()
    options = page_options(enrolled_client.get(ADD))

    response = enrolled_client.post(
        ADD,
        {
            "password": PASSWORD,
            "credential": key.register(options, origin=RELYING.origin),
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/profile/"
    assert services.passkey_ids(admin) == [key.id]
    profile = enrolled_client.get("/profile/")
    assert profile.status_code == 200
    assert PASSKEY_ADDED in text(profile)
    assert other.get("/profile/").status_code == 302


def test_add_passkey_asks_for_the_current_password(enrolled_client, admin):
    options = page_options(enrolled_client.get(ADD))

    response = enrolled_client.post(
        ADD,
        {
            "password": "not-mine-1234",
            "credential": SoftAuthenticator().register(options, origin=RELYING.origin),
        },
    )

    assert response.status_code == 200
    assert field_errors(response, "password") == [CURRENT_PASSWORD_WRONG]
    assert services.has_passkey(admin) is False


def test_add_passkey_without_javascript_says_so_next_to_it(enrolled_client, admin):
    response = enrolled_client.post(ADD, {"password": PASSWORD, "credential": ""})

    assert response.status_code == 200
    assert field_errors(response, "credential") == [CREDENTIAL_MISSING]
    assert services.has_passkey(admin) is False


def test_add_passkey_challenge_is_single_use(enrolled_client, admin):
    options = page_options(enrolled_client.get(ADD))
    answer = SoftAuthenticator().register(options, origin=RELYING.origin)
    enrolled_client.post(ADD, {"password": "not-mine-1234", "credential": answer})

    response = enrolled_client.post(ADD, {"password": PASSWORD, "credential": answer})

    assert response.status_code == 200
    assert field_errors(response, "credential") == [services.PASSKEY_NOT_ADDED]
    assert services.has_passkey(admin) is False


# Signing in with a passkey


@pytest.fixture
def with_passkey(admin):
    enrol(admin)
    key = SoftAuthenticator()
    add(admin, key)
    return key


def sign_in(client):
    response = client.post("/", {"username": "admin", "password": PASSWORD})
    assert response["Location"] == CODE_PAGE


def test_passkey_page_without_pending_sign_in_goes_home(anon_client):
    response = anon_client.get(SIGN_IN)

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_passkey_page_without_a_passkey_goes_to_the_code_page(anon_client, admin):
    enrol(admin)
    sign_in(anon_client)

    response = anon_client.get(SIGN_IN)

    assert response.status_code == 302
    assert response["Location"] == CODE_PAGE


def test_sign_in_with_passkey_completes_the_sign_in(anon_client, admin, with_passkey):
    sign_in(anon_client)
    options = page_options(anon_client.get(SIGN_IN))

    response = anon_client.post(
        SIGN_IN,
        {"credential": with_passkey.assert_(options, origin=RELYING.origin)},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert anon_client.session["_auth_user_id"] == str(admin.pk)
    assert anon_client.get("/profile/").status_code == 200
    assert AuditEvent.objects.filter(action=actions.LOGIN_SUCCEEDED).count() == 1


def test_sign_in_with_wrong_signature_counts_as_failed_code(
    anon_client, admin, with_passkey
):
    impostor = SoftAuthenticator()
    impostor.credential_id = with_passkey.credential_id
    sign_in(anon_client)
    options = page_options(anon_client.get(SIGN_IN))

    response = anon_client.post(
        SIGN_IN, {"credential": impostor.assert_(options, origin=RELYING.origin)}
    )

    assert response.status_code == 200
    assert field_errors(response, "credential") == [services.PASSKEY_FAILED]
    assert lockout.failure_count("admin") == 1
    event = AuditEvent.objects.get(action=actions.LOGIN_MFA_FAILED)
    assert event.outcome == Outcome.FAILURE
    assert "_auth_user_id" not in anon_client.session


def test_sign_in_with_replayed_challenge_fails(anon_client, with_passkey):
    sign_in(anon_client)
    options = page_options(anon_client.get(SIGN_IN))
    answer = with_passkey.assert_(options, origin=RELYING.origin)
    # Answered once with a shape error (no credential): the challenge is spent.
    anon_client.post(SIGN_IN, {"credential": ""})

    response = anon_client.post(SIGN_IN, {"credential": answer})

    assert response.status_code == 200
    assert field_errors(response, "credential") == [services.PASSKEY_FAILED]
    assert lockout.failure_count("admin") == 1
    assert "_auth_user_id" not in anon_client.session


def test_code_page_offers_a_passkey_only_to_users_with_one(client_as, admin):
    enrol(admin)
    first = client_as(admin)
    first.logout()
    sign_in(first)
    assert "Use a passkey" not in text(first.get(CODE_PAGE))
    add(admin, SoftAuthenticator())
    second = client_as(admin)
    second.logout()
    sign_in(second)

    page = text(second.get(CODE_PAGE))

    assert '<a href="/login/passkey/">Use a passkey</a>' in page
