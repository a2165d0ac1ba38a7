"""Two-step sign-in in Debian's chromium: set up the authenticator app with
a code computed from the secret on the page, sign out, sign in with the
password and a code, then with a recovery code once."""

import base64
import hashlib
import hmac
import struct
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import next_step, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def totp_now(secret_base32: str) -> str:
    """RFC 6238 as an authenticator app computes it (SHA-1, 30 s, 6 digits)."""
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    counter = struct.pack(">Q", int(time.time()) // 30)
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(time.time(), tick=True)
    return time_machine


def test_journey_mfa_enrol_sign_in_and_recovery_code(
    browser, live_server, admin, password, clock
):
    base = live_server.url
    context = browser.new_context()
    context.set_default_timeout(5_000)
    try:
        page = context.new_page()
        sign_in(page, base, "admin", password)
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

        # Set up from Profile: the QR code and the secret in text.
        page.goto(base + "/profile/")
        page.get_by_role("link", name="Set up two-step sign-in").click()
        expect(
            page.get_by_role("img", name="QR code for your authenticator app")
        ).to_be_visible()
        secret = page.locator("#mfa-secret").inner_text().replace(" ", "")
        next_step(clock)
        page.get_by_label("Code", exact=True).fill(totp_now(secret))
        page.get_by_label("Current password", exact=True).fill(password)
        page.get_by_role("button", name="Turn on two-step sign-in").click()
        expect(page.get_by_role("heading", name="Save these codes now")).to_be_visible()
        codes = page.locator("#recovery-codes code").all_inner_texts()
        assert len(codes) == 10
        page.get_by_role("link", name="I've saved my codes").click()
        log_out(page)

        # Password, then the code.
        next_step(clock)
        sign_in(page, base, "admin", password)
        expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
        page.get_by_label("Code", exact=True).fill(totp_now(secret))
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        log_out(page)

        # Password, then a recovery code: once.
        sign_in(page, base, "admin", password)
        page.get_by_role("link", name="Use a recovery code").click()
        page.get_by_label("Recovery code", exact=True).fill(codes[0])
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        log_out(page)

        sign_in(page, base, "admin", password)
        page.get_by_role("link", name="Use a recovery code").click()
        page.get_by_label("Recovery code", exact=True).fill(codes[0])
        page.get_by_role("button", name="Sign in").click()
        expect(
            page.get_by_text("That recovery code isn't right or was already used.")
        ).to_be_visible()
        expect(page.get_by_role("heading", name="Use a recovery code")).to_be_visible()
    finally:
        # Closed even when a step fails: a browser left open keeps
        # connections to the live server past its shutdown.
        context.close()
