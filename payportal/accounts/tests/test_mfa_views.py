"""Two-step sign-in pages: enrolment, the code page, lockout, the firm's
requirement, the administrator's reset and the end of other sessions."""

import base64
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import caches

from conftest import PortalClient
from payportal.accounts import lockout
from payportal.accounts.forms.auth import LOGIN_FAILED
from payportal.accounts.forms.mfa import CODE_SHAPE
from payportal.accounts.forms.profile import CURRENT_PASSWORD_WRONG
from payportal.accounts.mfa import state, totp
from payportal.accounts.models import SecondFactor
from payportal.accounts.services import mfa as services
from payportal.accounts.tests.html import field_errors, input_value, text
from payportal.accounts.tests.mfa_helpers import (
    START,
    current_code,
    enrol,
    keep_signed_in,
    next_step,
)
from payportal.accounts.views.mfa import PENDING_EXPIRED
from payportal.audit import actions
from payportal.audit.models import AuditEvent, Outcome

pytestmark = pytest.mark.django_db

SETUP = "/profile/two-step/"
CODE_PAGE = "/login/code/"
RECOVERY_PAGE = "/login/recovery/"


@pytest.fixture(autouse=True)
def _clear_throttle(db):
    caches["throttle"].clear()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def enrolled(admin, clock):
    """The admin with the authenticator app on; the clock one step later."""
    factor, codes = enrol(admin)
    next_step(clock)
    return factor, codes


def sign_in(client, username="admin", password=None, **extra):
    from payportal.accounts.tests.factories import PASSWORD

    return client.post(
        "/", {"username": username, "password": password or PASSWORD, **extra}
    )


def is_signed_in(client) -> bool:
    return client.get("/profile/").status_code == 200


def shown_secret(response) -> str:
    match = re.search(r'<code id="mfa-secret">([A-Z2-7 ]+)</code>', text(response))
    assert match is not None
    return match[1].replace(" ", "")


def code_for(secret_base32: str) -> str:
    padded = secret_base32 + "=" * (-len(secret_base32) % 8)
    key = base64.b32decode(padded)
    return totp.code_at(key.hex(), totp.current_step())


# Enrolment


def test_mfa_setup_shows_qr_svg_and_secret(admin_client, admin):
    response = admin_client.get(SETUP)

    assert response.status_code == 200
    factor = SecondFactor.objects.get(user=admin)
    match = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', text(response))
    assert match is not None
    svg = base64.b64decode(match[1]).decode()
    assert svg.startswith("<svg") or svg.startswith("<?xml")
    assert "<path" in svg
    assert shown_secret(response) == totp.base32_secret(factor.secret)
    assert "style=" not in response.content.decode()


def test_mfa_setup_redirects_anonymous_to_login(anon_client):
    response = anon_client.get(SETUP)

    assert response.status_code == 302
    assert response["Location"] == "/?next=/profile/two-step/"


def test_mfa_setup_refuses_wrong_first_code_next_to_field(
    admin_client, password, clock
):
    response = admin_client.get(SETUP)
    right = code_for(shown_secret(response))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = admin_client.post(SETUP, {"code": wrong, "password": password})

    assert response.status_code == 200
    assert field_errors(response, "code") == [services.CODE_WRONG]
    assert input_value(response, "code") == wrong
    assert SecondFactor.objects.get().confirmed_at is None


def test_mfa_setup_asks_for_the_current_password(admin_client, clock):
    right = code_for(shown_secret(admin_client.get(SETUP)))

    response = admin_client.post(SETUP, {"code": right, "password": "not-mine-1234"})

    assert field_errors(response, "password") == [CURRENT_PASSWORD_WRONG]
    assert SecondFactor.objects.get().confirmed_at is None


def test_mfa_setup_right_code_turns_it_on_and_shows_codes_once(
    admin_client, admin, password, clock
):
    right = code_for(shown_secret(admin_client.get(SETUP)))

    response = admin_client.post(SETUP, {"code": right, "password": password})

    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9-]{14})</code></li>", text(response))
    assert len(codes) == 10
    assert services.has_confirmed_factor(admin) is True
    # This session stays signed in; the codes are not shown again.
    assert is_signed_in(admin_client) is True
    again = admin_client.get(SETUP)
    assert again.status_code == 302
    assert again["Location"] == "/profile/"
    profile = text(admin_client.get("/profile/"))
    assert "10 of 10 recovery codes left" in profile
    assert codes[0] not in profile


def test_mfa_setup_ends_other_sessions(client_as, admin, password, clock):
    this = client_as(admin)
    other = client_as(admin)
    right = code_for(shown_secret(this.get(SETUP)))

    this.post(SETUP, {"code": right, "password": password})

    assert is_signed_in(this) is True
    response = other.get("/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/?next=/profile/"
    assert is_signed_in(other) is False


# Signing in


def test_login_with_factor_asks_for_code_and_is_not_signed_in(anon_client, enrolled):
    response = sign_in(anon_client)

    assert response.status_code == 302
    assert response["Location"] == CODE_PAGE
    assert "_auth_user_id" not in anon_client.session
    assert anon_client.get(CODE_PAGE).status_code == 200


@pytest.mark.parametrize(
    "path", ["/", "/profile/", "/users/", "/settings/", "/password/forgot/"]
)
def test_pending_sign_in_opens_only_the_code_page(anon_client, enrolled, path):
    sign_in(anon_client)

    response = anon_client.get(path)

    assert response.status_code == 302
    assert response["Location"] == CODE_PAGE


def test_pending_sign_in_can_log_out(anon_client, enrolled):
    sign_in(anon_client)

    response = anon_client.post("/logout/")

    assert response.status_code == 302
    assert anon_client.get("/").status_code == 200
    assert state.PENDING not in anon_client.session


def test_login_with_right_code_signs_in(anon_client, admin, enrolled):
    factor, _ = enrolled
    sign_in(anon_client, next="/users/")

    response = anon_client.post(CODE_PAGE, {"code": current_code(factor)})

    assert response.status_code == 302
    assert response["Location"] == "/users/"
    assert anon_client.session["_auth_user_id"] == str(admin.pk)
    assert is_signed_in(anon_client) is True
    assert AuditEvent.objects.filter(action=actions.LOGIN_SUCCEEDED).count() == 1


def test_login_code_rotates_the_session_key(anon_client, enrolled):
    factor, _ = enrolled
    sign_in(anon_client)
    pending_key = anon_client.session.session_key

    anon_client.post(CODE_PAGE, {"code": current_code(factor)})

    assert anon_client.session.session_key != pending_key


def test_login_code_cannot_be_replayed(enrolled):
    factor, _ = enrolled
    first, second = PortalClient(), PortalClient()
    sign_in(first)
    sign_in(second)
    code = current_code(factor)
    first.post(CODE_PAGE, {"code": code})

    response = second.post(CODE_PAGE, {"code": code})

    assert response.status_code == 200
    assert field_errors(response, "code") == [services.CODE_WRONG]
    assert is_signed_in(first) is True


def test_login_wrong_code_is_audited_and_counted(anon_client, admin, enrolled):
    factor, _ = enrolled
    sign_in(anon_client)
    wrong = f"{(int(current_code(factor)) + 1) % 1_000_000:06d}"

    response = anon_client.post(CODE_PAGE, {"code": wrong})

    assert field_errors(response, "code") == [services.CODE_WRONG]
    assert lockout.failure_count("admin") == 1
    event = AuditEvent.objects.get(action=actions.LOGIN_MFA_FAILED)
    assert event.outcome == Outcome.FAILURE
    assert event.actor_username == "admin"
    assert event.target_id == str(admin.pk)


def test_login_code_shape_error_is_next_to_field(anon_client, enrolled):
    sign_in(anon_client)

    response = anon_client.post(CODE_PAGE, {"code": "12ab"})

    assert field_errors(response, "code") == [CODE_SHAPE]
    assert input_value(response, "code") == "12ab"


def test_login_tenth_failure_locks_the_account(anon_client, admin, enrolled):
    factor, _ = enrolled
    wrong = f"{(int(current_code(factor)) + 1) % 1_000_000:06d}"
    sign_in(anon_client)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        anon_client.post(CODE_PAGE, {"code": wrong})
    assert lockout.is_locked("admin") is False

    response = anon_client.post(CODE_PAGE, {"code": wrong})

    assert lockout.is_locked("admin") is True
    assert LOGIN_FAILED in text(response)
    assert AuditEvent.objects.filter(action=actions.LOGIN_LOCKED_OUT).count() == 1
    # The right password and code are refused now too.
    sign_in(anon_client)
    assert is_signed_in(anon_client) is False


def test_password_failures_and_code_failures_add_up(anon_client, enrolled):
    factor, _ = enrolled
    wrong = f"{(int(current_code(factor)) + 1) % 1_000_000:06d}"
    for _ in range(5):
        sign_in(anon_client, password="not-the-password-1")
    sign_in(anon_client)
    for _ in range(4):
        anon_client.post(CODE_PAGE, {"code": wrong})
    assert lockout.failure_count("admin") == 9

    anon_client.post(CODE_PAGE, {"code": wrong})

    assert lockout.is_locked("admin") is True


def test_pending_sign_in_works_at_five_minutes(anon_client, clock, enrolled):
    factor, _ = enrolled
    sign_in(anon_client)
    # A code of the step five minutes on, checked exactly 5:00 after.
    clock.shift(timedelta(minutes=5))

    response = anon_client.post(CODE_PAGE, {"code": current_code(factor)})

    assert response.status_code == 302
    assert is_signed_in(anon_client) is True


def test_pending_sign_in_expires_after_five_minutes(anon_client, clock, enrolled):
    factor, _ = enrolled
    sign_in(anon_client)
    clock.shift(timedelta(minutes=5, seconds=1))

    response = anon_client.post(CODE_PAGE, {"code": current_code(factor)})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert PENDING_EXPIRED in text(anon_client.get("/"))
    assert is_signed_in(anon_client) is False
    assert anon_client.get("/").status_code == 200


def test_recovery_code_signs_in_once(enrolled):
    _, codes = enrolled
    client = PortalClient()
    sign_in(client)

    response = client.post(RECOVERY_PAGE, {"code": codes[0]})

    assert response.status_code == 302
    assert is_signed_in(client) is True
    again = PortalClient()
    sign_in(again)
    refused = again.post(RECOVERY_PAGE, {"code": codes[0]})
    assert field_errors(refused, "code") == [services.RECOVERY_CODE_WRONG]
    assert is_signed_in(again) is False


def test_code_page_without_pending_goes_to_login(anon_client):
    response = anon_client.get(CODE_PAGE)

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_password_reset_does_not_skip_the_code(anon_client, admin, enrolled, smtp_sink):
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from payportal.accounts.tokens import password_reset_tokens

    new_password = "Copper-kettle-42-morning"
    uid = urlsafe_base64_encode(force_bytes(admin.pk))
    token = password_reset_tokens.make_token(admin)
    form_url = anon_client.get(f"/password/reset/{uid}/{token}/")["Location"]
    done = anon_client.post(
        form_url, {"new_password1": new_password, "new_password2": new_password}
    )
    assert done.status_code == 302
    assert is_signed_in(anon_client) is False

    response = sign_in(anon_client, password=new_password)

    assert response["Location"] == CODE_PAGE
    assert is_signed_in(anon_client) is False


def test_login_without_factor_signs_in_directly(anon_client, admin):
    response = sign_in(anon_client)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert is_signed_in(anon_client) is True


# The firm's requirement


@pytest.mark.parametrize("path", ["/", "/profile/", "/users/", "/settings/"])
def test_require_mfa_sends_users_without_it_to_setup(
    anon_client, merchant, admin, path
):
    merchant.require_mfa = True
    merchant.save()
    sign_in(anon_client)

    response = anon_client.get(path)

    assert response.status_code == 302
    assert response["Location"] == SETUP


def test_require_mfa_opens_pages_after_setup(anon_client, merchant, admin, password):
    merchant.require_mfa = True
    merchant.save()
    sign_in(anon_client)
    right = code_for(shown_secret(anon_client.get(SETUP)))

    anon_client.post(SETUP, {"code": right, "password": password})

    assert anon_client.get("/users/").status_code == 200


def test_require_mfa_lets_a_temporary_password_be_changed_first(
    anon_client, merchant, admin
):
    merchant.require_mfa = True
    merchant.save()
    admin.must_change_password = True
    admin.save()
    sign_in(anon_client)

    response = anon_client.get("/profile/")

    assert response["Location"] == "/password/new/"
    assert anon_client.get("/password/new/").status_code == 200


def test_settings_page_turns_on_require_mfa(admin_client, merchant):
    from payportal.merchants.forms import SettingsForm

    # What the form shows now (other settings may be added), plus the tick.
    data = {}
    for name, value in SettingsForm(merchant=merchant).initial.items():
        if value is True:
            data[name] = "on"
        elif value not in (False, None):
            data[name] = value
    data["require_mfa"] = "on"

    response = admin_client.post("/settings/edit/", data)

    assert response.status_code == 302
    merchant.refresh_from_db()
    assert merchant.require_mfa is True
    event = AuditEvent.objects.get(action=actions.SETTINGS_CHANGED)
    assert event.changes["require_mfa"] == [False, True]


# Profile: turn off, replace recovery codes


def test_mfa_remove_needs_current_password(client_as, admin, enrolled):
    client = client_as(admin)
    keep_signed_in(client, admin)

    response = client.post("/profile/two-step/remove/", {"password": "nope-12345678"})

    assert field_errors(response, "password") == [CURRENT_PASSWORD_WRONG]
    assert services.has_confirmed_factor(admin) is True


def test_mfa_remove_turns_it_off_and_ends_other_sessions(
    client_as, admin, password, enrolled
):
    this, other = client_as(admin), client_as(admin)
    keep_signed_in(this, admin)
    keep_signed_in(other, admin)

    response = this.post("/profile/two-step/remove/", {"password": password})

    assert response.status_code == 302
    assert response["Location"] == "/profile/"
    assert services.has_confirmed_factor(admin) is False
    assert is_signed_in(this) is True
    assert is_signed_in(other) is False
    assert AuditEvent.objects.filter(action=actions.MFA_DISABLED).count() == 1


def test_mfa_recovery_codes_regenerate_needs_password(
    client_as, admin, password, enrolled
):
    _, old = enrolled
    client = client_as(admin)
    keep_signed_in(client, admin)
    refused = client.post("/profile/two-step/recovery-codes/", {"password": "x"})
    assert field_errors(refused, "password") == [CURRENT_PASSWORD_WRONG]

    response = client.post("/profile/two-step/recovery-codes/", {"password": password})

    codes = re.findall(r"<li><code>([a-z2-9-]{14})</code></li>", text(response))
    assert len(codes) == 10
    assert services.use_recovery_code(user=admin, code=old[0], request=None) is False
    assert services.use_recovery_code(user=admin, code=codes[0], request=None) is True


# The administrator's reset


@pytest.fixture
def staff(user_with, clock):
    user = user_with(username="clerk1")
    enrol(user)
    return user


def test_user_reset_mfa_works_and_is_audited(admin_client, admin, staff):
    staff_client = PortalClient()
    staff_client.force_login(staff)
    keep_signed_in(staff_client, staff)

    response = admin_client.post(f"/users/{staff.pk}/two-step/reset/")

    assert response.status_code == 302
    assert response["Location"] == f"/users/{staff.pk}/"
    assert services.has_confirmed_factor(staff) is False
    event = AuditEvent.objects.get(action=actions.MFA_RESET_BY_ADMIN)
    assert event.actor_id == admin.pk
    assert event.target_id == str(staff.pk)
    assert event.changes == {"two_step": ["Authenticator app", None]}
    assert is_signed_in(staff_client) is False


def test_user_reset_mfa_rejects_get(admin_client, staff):
    response = admin_client.get(f"/users/{staff.pk}/two-step/reset/")

    assert response.status_code == 405


def test_user_reset_mfa_403s_without_permission(client_as, user_with, staff):
    response = client_as(user_with()).post(f"/users/{staff.pk}/two-step/reset/")

    assert response.status_code == 403
    assert services.has_confirmed_factor(staff) is True


def test_user_reset_mfa_404s_for_other_merchant(admin_client, other_merchant, clock):
    from payportal.accounts.tests.factories import RoleFactory, UserFactory

    role = RoleFactory(merchant=other_merchant)
    stranger = UserFactory(merchant=other_merchant, role=role)
    enrol(stranger)

    response = admin_client.post(f"/users/{stranger.pk}/two-step/reset/")

    assert response.status_code == 404
    assert services.has_confirmed_factor(stranger) is True


def test_user_detail_shows_reset_button(admin_client, staff):
    response = admin_client.get(f"/users/{staff.pk}/")

    assert "Reset two-step sign-in" in text(response)
