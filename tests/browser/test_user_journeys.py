"""The help article's journeys, end to end in Debian's chromium.

An administrator adds a user, the user gets the invite over real SMTP, signs
in with the temporary password, is made to change it, and changes it again
from Profile; then the administrator deactivates them and their open
session ends at once.
"""

import pytest
from playwright.sync_api import Page, expect

from conftest import links_in
from payportal.accounts.models import User
from tests.browser.steps import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

TEMPORARY = "Temporary-pass-4821"
FIRST_OWN = "Lighthouse-keeper-93"
SECOND_OWN = "Orchard-morning-57"


def new_page(browser) -> Page:
    context = browser.new_context()
    context.set_default_timeout(5_000)
    return context.new_page()


@pytest.fixture
def base(live_server) -> str:
    return live_server.url


@pytest.fixture
def admin_page(browser, base, admin, password):
    page = new_page(browser)
    sign_in(page, base, "admin", password)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("Welcome, Ada Admin.")).to_be_visible()
    yield page
    page.context.close()


def add_user(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Users"
    ).click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    page.get_by_role("link", name="Add User").click()
    page.get_by_label("Username", exact=True).fill("jbloggs")
    page.get_by_label("Password", exact=True).fill(TEMPORARY)
    page.get_by_label("Confirm Password", exact=True).fill(TEMPORARY)
    page.get_by_label("Full Name", exact=True).fill("Jo Bloggs")
    page.get_by_label("Email", exact=True).fill("jo@halestone.example")
    page.get_by_role("button", name="Add User").click()
    expect(page.get_by_role("heading", name="jbloggs")).to_be_visible()


def test_journey_add_user_first_sign_in_and_profile_password(
    admin_page, browser, base, smtp_sink
):
    add_user(admin_page)

    # The invite arrived over SMTP with the portal's address and the
    # username, never the password.
    [body] = smtp_sink.bodies_to("jo@halestone.example")
    assert "jbloggs" in body
    assert TEMPORARY not in body
    assert links_in(body)[0].startswith(base)

    page = new_page(browser)
    context = page.context
    page.goto(links_in(body)[0])
    page.get_by_label("Username", exact=True).fill("jbloggs")
    page.get_by_label("Password", exact=True).fill(TEMPORARY)
    page.get_by_role("button", name="Sign in").click()

    # Made to change the temporary password before anything else opens.
    expect(page.get_by_label("New password", exact=True)).to_be_visible()
    page.goto(base + "/profile/")
    expect(page.get_by_label("New password", exact=True)).to_be_visible()
    page.get_by_label("New password", exact=True).fill(FIRST_OWN)
    page.get_by_label("Confirm new password", exact=True).fill(FIRST_OWN)
    page.get_by_role("button", name="Save new password").click()
    expect(page.get_by_text("Welcome, Jo Bloggs.")).to_be_visible()

    # Changes it again from Profile.
    page.get_by_role("link", name="Profile", exact=True).click()
    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Current password", exact=True).fill(FIRST_OWN)
    page.get_by_label("New password", exact=True).fill(SECOND_OWN)
    page.get_by_label("Confirm new password", exact=True).fill(SECOND_OWN)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    context.close()

    user = User.objects.get(username="jbloggs")
    assert user.check_password(SECOND_OWN) is True
    assert user.must_change_password is False


def test_journey_deactivate_user_ends_their_session(
    admin_page, browser, base, merchant, admin_role
):
    from payportal.accounts.tests.factories import UserFactory

    UserFactory(
        merchant=merchant,
        role=admin_role,
        username="jbloggs",
        full_name="Jo Bloggs",
        password=FIRST_OWN,
    )
    user_page = new_page(browser)
    context = user_page.context
    sign_in(user_page, base, "jbloggs", FIRST_OWN)
    expect(user_page.get_by_text("Welcome, Jo Bloggs.")).to_be_visible()

    # The admin searches, opens the record, Edit, Status Inactive, tick.
    admin_page.goto(base + "/users/")
    admin_page.get_by_label("Search", exact=True).fill("bloggs")
    admin_page.get_by_role("button", name="Search").click()
    admin_page.get_by_role("link", name="Jo Bloggs").click()
    expect(admin_page.get_by_role("heading", name="jbloggs")).to_be_visible()
    admin_page.get_by_role("link", name="Edit").click()
    admin_page.get_by_label("Status", exact=True).select_option("Inactive")
    admin_page.get_by_role("button", name="Save").click()
    expect(admin_page.locator("#user-details").get_by_text("Inactive")).to_be_visible()

    # The user's open session has ended: the next page is the login page.
    user_page.reload()
    expect(user_page.get_by_role("button", name="Sign in")).to_be_visible()
    # And signing in again fails with the one generic message.
    sign_in(user_page, base, "jbloggs", FIRST_OWN)
    expect(user_page.get_by_role("alert")).to_contain_text("incorrect")
    context.close()
