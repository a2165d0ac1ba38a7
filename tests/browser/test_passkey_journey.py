"""Passkeys in a real browser: Chromium's virtual authenticator (CDP)."""

import time

import pytest
from playwright.sync_api import expect

from payportal.accounts.mfa import totp
from payportal.accounts.tests.mfa_helpers import enrol
from tests.browser.steps import next_step, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
}


def enrol_for_next_step(admin, time_machine):
    """The admin's authenticator app, with the clock moved to one second
    into the next 30-second step: the enrolment used this step's code, so
    sign-in takes the next one, which then has 29 s to arrive."""
    time_machine.move_to(time.time(), tick=True)
    factor, _ = enrol(admin)
    next_step(time_machine)
    return factor


def sign_in_with_app(page, base: str, password: str, factor) -> None:
    sign_in(page, base, "admin", password)
    page.get_by_label("Code").fill(totp.code_at(factor.secret, totp.current_step()))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_journey_passkey_added_from_profile_then_signs_in(
    browser, live_server, admin, password, time_machine
):
    factor = enrol_for_next_step(admin, time_machine)
    context = browser.new_context()
    # Generous: the passkey ceremony runs in the browser, and CI machines can
    # be busy.
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        console = []
        page.on("console", lambda message: console.append(message.text))
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})

        # Signed in with the app, the user adds a passkey from Profile.
        sign_in_with_app(page, live_server.url, password, factor)
        page.goto(live_server.url + "/profile/")
        page.get_by_role("link", name="Add a passkey").click()
        page.get_by_label("Current password").fill(password)
        page.get_by_role("button", name="Add passkey").click()
        expect(page.get_by_text("Passkey added.")).to_be_visible()
        assert admin.second_factors.filter(kind="passkey").count() == 1

        # Next time, the passkey is the second step.
        page.get_by_role("button", name="Log out").click()
        sign_in(page, live_server.url, "admin", password)
        page.get_by_role("link", name="Use a passkey").click()
        page.get_by_role("button", name="Sign in with passkey").click()
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        assert [line for line in console if "Content Security Policy" in line] == []
    finally:
        context.close()


def test_passkey_button_is_disabled_without_javascript(
    browser, live_server, admin, password, time_machine
):
    # The ceremony needs the script: with JavaScript off the button stays
    # disabled and the page says why, instead of posting an empty answer.
    # (With it on, the journey above presses the button the script enabled.)
    factor = enrol_for_next_step(admin, time_machine)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in_with_app(page, live_server.url, password, factor)
        page.goto(live_server.url + "/profile/two-step/passkey/")
        expect(page.get_by_role("heading", name="Add a passkey")).to_be_visible()
        expect(page.get_by_role("button", name="Add passkey")).to_be_disabled()
        # Chromium's script switch leaves <noscript> unrendered, so look for
        # it in the page rather than on screen.
        assert "Passkeys need JavaScript, which is off" in page.content()
    finally:
        context.close()
