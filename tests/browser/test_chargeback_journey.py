"""Answering a chargeback end to end in Debian's chromium.

A responder opens the chargeback from the Chargebacks page, writes the
description of the legal services with Edit, saves the draft, attaches the
signed fee agreement as a PDF, submits with the confirmation step, and sees
the chargeback under review.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from payportal.payments.models import Dispute, EvidenceFile
from payportal.payments.tests import sandbox_events
from tests.browser import steps

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
DESCRIPTION = "Drafted and filed the commercial lease for matter MAT-2041."


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    steps.sign_in(page, base, username, password)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


@pytest.fixture
def dispute(merchant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    now = timezone.now()
    payment = sandbox_events.payment_succeeded(
        merchant,
        amount=25_000,
        created_at=now - timedelta(days=5),
        reference="MAT-2041",
    )
    return sandbox_events.dispute_opened(
        payment, opened_at=now - timedelta(days=1), due_by=now + timedelta(days=10)
    )


@pytest.fixture
def page(browser, live_server, admin, password):
    context = browser.new_context()
    context.set_default_timeout(5_000)
    page = context.new_page()
    sign_in(page, live_server.url, "admin", password)
    yield page
    context.close()


def test_journey_answer_a_chargeback_with_a_file_and_submit(
    page, live_server, dispute, tmp_path
):
    page.goto(live_server.url + "/chargebacks/")
    expect(page.get_by_role("heading", name="Chargebacks")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"10 days left")).click()
    expect(page.get_by_role("heading", name="Chargeback of $250.00")).to_be_visible()
    expect(page.locator(".badges").get_by_text("Needs response")).to_be_visible()

    # Edit the evidence, write the description, save the draft.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Description of the legal services").fill(DESCRIPTION)
    page.get_by_role("button", name="Save draft").click()
    expect(
        page.get_by_text("Evidence saved as a draft. Submit it before the due date.")
    ).to_be_visible()
    expect(page.locator("#evidence").get_by_text(DESCRIPTION)).to_be_visible()

    # Attach the signed fee agreement.
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "fee-agreement.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Attach file").click()
    expect(page.get_by_text("fee-agreement.pdf attached.")).to_be_visible()
    expect(page.get_by_role("link", name="fee-agreement.pdf")).to_be_visible()

    # Submit, once, after the confirmation.
    page.get_by_role("link", name="Submit evidence").click()
    expect(page.get_by_role("heading", name="Submit evidence?")).to_be_visible()
    expect(page.get_by_text("This can be done once.")).to_be_visible()
    page.get_by_role("button", name="Submit evidence").click()
    expect(
        page.get_by_text(
            "Evidence submitted. The chargeback is under review until the "
            "processor decides."
        )
    ).to_be_visible()
    expect(page.locator(".badges").get_by_text("Under review")).to_be_visible()
    # The evidence is read-only now.
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("link", name="Submit evidence")).to_have_count(0)

    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.UNDER_REVIEW
    assert dispute.services_description == DESCRIPTION
    [evidence] = EvidenceFile.objects.filter(dispute=dispute)
    assert (tmp_path / evidence.file.name).read_bytes() == PDF
