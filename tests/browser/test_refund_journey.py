"""A partial refund from a payment record, end to end in Debian's chromium:
open the payment, Refund, type a partial amount, choose a reason, confirm,
and see the refund succeeded and the payment partially refunded."""

import re

import pytest
from playwright.sync_api import expect

from payportal.payments.models import Payment, Refund
from payportal.payments.tests import sandbox_events
from tests.browser.steps import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin_page(browser, live_server, admin, password):
    context = browser.new_context()
    context.set_default_timeout(5_000)
    page = context.new_page()
    sign_in(page, live_server.url, "admin", password)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    yield page
    context.close()


def test_journey_partial_refund_from_a_payment_record(
    admin_page, live_server, merchant
):
    payment = sandbox_events.payment_succeeded(
        merchant, amount=25_000, reference="MAT-3107"
    )
    page = admin_page

    page.goto(f"{live_server.url}/transactions/{payment.pk}/")
    page.get_by_role("link", name="Refund", exact=True).click()
    expect(page.get_by_role("heading", name="Refund MAT-3107")).to_be_visible()
    amount = page.get_by_label("Amount", exact=True)
    expect(amount).to_have_value("250.00")
    amount.fill("40.00")
    page.get_by_label("Requested by customer").check()
    page.get_by_role("button", name="Review refund").click()

    expect(page.get_by_role("heading", name="Confirm the refund")).to_be_visible()
    expect(page.get_by_text("Operating", exact=True).first).to_be_visible()
    page.get_by_role("button", name="Refund $40.00").click()

    expect(page).to_have_url(re.compile(rf"/transactions/{payment.pk}/$"))
    expect(page.get_by_text("Refund of $40.00 succeeded.")).to_be_visible()
    expect(page.get_by_text("Partially refunded").first).to_be_visible()
    refund = Refund.objects.get(payment=payment)
    assert (refund.amount, refund.status) == (4_000, Refund.Status.SUCCEEDED)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    assert payment.refunded_amount == 4_000
