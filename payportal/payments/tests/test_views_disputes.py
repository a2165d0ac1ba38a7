import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from payportal.accounts.permissions import ALL_CODES
from payportal.accounts.tests.html import field_errors, text
from payportal.payments.models import Dispute, EvidenceFile
from payportal.payments.services.disputes import (
    add_evidence_file,
    remove_evidence_file,
    save_evidence,
    submit_evidence,
)
from payportal.payments.tests import sandbox_events
from payportal.payments.tests.factories import DisputeFactory, PaymentFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
DUE = datetime(2026, 12, 10, 23, 59, 59, tzinfo=UTC)
HTMX = {"HX-Request": "true"}
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
SUBMITTED_ONCE = (
    "The evidence was already submitted; it can be submitted only once and "
    "no longer changes."
)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def payment(merchant):
    return sandbox_events.payment_succeeded(
        merchant,
        amount=25_000,
        created_at=NOW - timedelta(days=5),
        reference="MAT-2041",
        cardholder_name="Jordan Client",
    )


@pytest.fixture
def dispute(payment):
    return sandbox_events.dispute_opened(
        payment, opened_at=NOW - timedelta(days=1), due_by=DUE
    )


@pytest.fixture
def stranger(other_merchant, user_with):
    return user_with(*ALL_CODES, merchant=other_merchant, username="stranger")


@pytest.fixture
def other_dispute(other_merchant):
    return DisputeFactory(
        payment=PaymentFactory(merchant=other_merchant),
        evidence_due_by=DUE,
        opened_at=NOW - timedelta(days=1),
    )


@pytest.fixture
def other_file(other_dispute, stranger):
    return add_evidence_file(
        dispute=other_dispute, actor=stranger, upload=pdf("theirs.pdf")
    )


@pytest.fixture
def evidence_file(dispute, admin):
    return add_evidence_file(dispute=dispute, actor=admin, upload=pdf())


@pytest.fixture
def viewer_client(client_as, user_with):
    return client_as(user_with("payments.view"))


@pytest.fixture
def no_view_client(client_as, user_with):
    return client_as(user_with(*[c for c in ALL_CODES if c != "payments.view"]))


def pdf(name="fee-agreement.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def evidence_form(**overrides):
    data = {
        "service_date": "2026-11-01",
        "services_description": "Drafted and filed the lease for MAT-2041.",
        "customer_communication": "",
        "fee_agreement": "",
        "refund_policy": "",
        "other_evidence": "",
    }
    data.update(overrides)
    return data


def save_some(dispute, actor):
    save_evidence(
        dispute=dispute,
        actor=actor,
        service_date=None,
        services_description="Drafted the lease.",
    )


def put(client, path):
    """A PUT that passes the CSRF check, so the method check answers."""
    token = "t" * 32
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    return client.put(path, headers={"X-CSRFToken": token})


def move_clock(clock, client, user, when):
    """Move the clock; sign in again, as the idle session timed out."""
    clock.move_to(when, tick=False)
    client.force_login(user)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def url(name, dispute, *rest):
    tail = "".join(f"{part}/" for part in rest)
    return f"/chargebacks/{dispute.pk}/{name}{tail}"


# --- Chargebacks page ---------------------------------------------------------


def test_dispute_list_works(admin_client, dispute, payment):
    response = admin_client.get("/chargebacks/")

    assert response.status_code == 200
    page = text(response)
    assert "<h1>Chargebacks</h1>" in page
    headings = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', page)
    assert headings == ["Due", "Status", "Amount", "Reason", "Payment"]
    row = re.search(
        rf'<tr data-href="/chargebacks/{dispute.pk}/">(.*?)</tr>', page, re.S
    )[1]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert len(cells) == 5
    assert "10 Dec 2026" in cells[0]
    assert "18 days left" in cells[0]
    assert "Needs response" in cells[1]
    assert "$250.00" in cells[2]
    assert "Fraudulent" in cells[3]
    assert f'href="/transactions/{payment.pk}/"' in cells[4]
    assert "MAT-2041" in cells[4]


def test_dispute_list_sorts_by_due_date_soonest_first(admin_client, payment):
    later = sandbox_events.dispute_opened(payment, due_by=NOW + timedelta(days=9))
    overdue = sandbox_events.dispute_opened(payment, due_by=NOW - timedelta(seconds=1))
    soon = sandbox_events.dispute_opened(payment, due_by=NOW + timedelta(hours=30))
    today = sandbox_events.dispute_opened(payment, due_by=NOW + timedelta(hours=2))

    page = text(admin_client.get("/chargebacks/"))

    ids = [int(i) for i in re.findall(r'<tr data-href="/chargebacks/(\d+)/">', page)]
    assert ids == [overdue.pk, today.pk, soon.pk, later.pk]
    labels = re.findall(r'class="due-badge due-badge--(\w+)">([^<]+)<', page)
    assert labels == [
        ("overdue", "Overdue"),
        ("soon", "Due today"),
        ("soon", "1 day left"),
        ("later", "9 days left"),
    ]


def test_dispute_list_shows_open_ones_unless_all_is_chosen(
    admin_client, dispute, payment
):
    won = DisputeFactory(
        payment=payment, status=Dispute.Status.WON, evidence_due_by=DUE
    )

    open_page = text(admin_client.get("/chargebacks/"))
    all_page = text(admin_client.get("/chargebacks/?status=all"))
    closed_page = text(admin_client.get("/chargebacks/?status=closed"))

    assert f"/chargebacks/{won.pk}/" not in open_page
    assert f"/chargebacks/{dispute.pk}/" in open_page
    assert f"/chargebacks/{won.pk}/" in all_page
    assert f"/chargebacks/{dispute.pk}/" in all_page
    assert f"/chargebacks/{won.pk}/" in closed_page
    assert f"/chargebacks/{dispute.pk}/" not in closed_page
    assert '<option value="all" selected>All</option>' in all_page


def test_dispute_list_pages_by_keyset(admin_client, merchant):
    payment = PaymentFactory(merchant=merchant)
    disputes = [
        DisputeFactory(payment=payment, evidence_due_by=DUE + timedelta(hours=n))
        for n in range(51)
    ]

    first = text(admin_client.get("/chargebacks/"))
    next_link = re.search(r'href="(\?after=[^"]+)" rel="next"', first)[1]
    second = text(admin_client.get("/chargebacks/" + next_link))

    assert first.count('<tr data-href="/chargebacks/') == 50
    ids = re.findall(r'<tr data-href="/chargebacks/(\d+)/">', second)
    assert ids == [str(disputes[-1].pk)]


def test_dispute_list_says_when_nothing_is_open(admin_client):
    page = text(admin_client.get("/chargebacks/"))

    assert "No open chargebacks" in page


def test_dispute_list_redirects_anonymous_to_login(anon_client):
    response = anon_client.get("/chargebacks/")

    assert response.status_code == 302
    assert response["Location"] == "/?next=/chargebacks/"


def test_dispute_list_403s_without_permission(no_view_client):
    assert no_view_client.get("/chargebacks/").status_code == 403


def test_dispute_list_rejects_post(admin_client):
    assert admin_client.post("/chargebacks/").status_code == 405


def test_dispute_list_shows_only_the_merchants_chargebacks(admin_client, other_dispute):
    page = text(admin_client.get("/chargebacks/?status=all"))

    assert f"/chargebacks/{other_dispute.pk}/" not in page


def test_dispute_list_returns_fragment_for_htmx(admin_client, dispute):
    response = admin_client.get("/chargebacks/?status=all", headers=HTMX)

    page = text(response)
    assert response.status_code == 200
    assert "<html" not in page
    assert "<h1>" not in page
    assert page.lstrip().startswith('<div class="table-wrap">')
    assert f'<tr data-href="/chargebacks/{dispute.pk}/">' in page
    assert response["Vary"] == "HX-Request, Cookie"


@pytest.mark.parametrize("rows", (1, 3))
def test_dispute_list_query_count_is_constant(
    db_sessions, admin_client, merchant, rows, django_assert_num_queries
):
    for n in range(rows):
        DisputeFactory(
            payment=PaymentFactory(merchant=merchant),
            evidence_due_by=DUE + timedelta(hours=n),
        )

    # +1: the session's check of the user's second factors.
    with django_assert_num_queries(7):
        response = admin_client.get("/chargebacks/")

    assert text(response).count('<tr data-href="/chargebacks/') == rows


# --- Chargeback record ---------------------------------------------------------


def test_dispute_detail_works(admin_client, admin, dispute, payment, evidence_file):
    save_evidence(
        dispute=dispute,
        actor=admin,
        service_date=date(2026, 11, 1),
        services_description="Drafted <b>and</b> filed the lease.",
        refund_policy="No refunds after filing.",
    )

    response = admin_client.get(f"/chargebacks/{dispute.pk}/")

    assert response.status_code == 200
    page = text(response)
    assert "<h1>Chargeback of $250.00</h1>" in page
    # The payment: amount, masked card, cardholder, reference and its link.
    assert "Visa</span> •••• 4242" in page
    assert "expires 04/29" in page
    assert "Jordan Client" in page
    assert f'<a href="/transactions/{payment.pk}/">MAT-2041</a>' in page
    # The chargeback: reason, status, due date and days left.
    assert "Fraudulent" in page
    assert "Needs response" in page
    assert "10 Dec 2026, 23:59" in page
    assert "18 days left" in page
    # The timeline, oldest first.
    steps = re.findall(r'<span class="timeline-label">([^<]+)</span>', page)
    assert steps == ["Opened", "Evidence saved"]
    # The evidence, read-only and escaped.
    assert (
        "Drafted &lt;b&gt;and&lt;/b&gt; filed the lease." in response.content.decode()
    )
    assert "1 Nov 2026" in page
    assert "No refunds after filing." in page
    assert (
        f'href="/chargebacks/{dispute.pk}/files/{evidence_file.pk}/" download>'
        "fee-agreement.pdf</a>" in page
    )
    assert 'aria-label="Remove fee-agreement.pdf"' in page
    # Edit, Submit and Accept for someone who can respond.
    assert f'href="/chargebacks/{dispute.pk}/evidence/" aria-label="Edit"' in page
    assert f'href="/chargebacks/{dispute.pk}/submit/"' in page
    assert f'href="/chargebacks/{dispute.pk}/accept/"' in page
    assert '<form method="post"' in page and 'enctype="multipart/form-data"' in page
    assert "<textarea" not in page


def test_dispute_detail_is_read_only_without_disputes_respond(
    viewer_client, dispute, evidence_file
):
    page = text(viewer_client.get(f"/chargebacks/{dispute.pk}/"))

    assert 'aria-label="Edit"' not in page
    assert "/submit/" not in page
    assert "/accept/" not in page
    assert "/remove/" not in page
    assert 'type="file"' not in page
    assert f"/chargebacks/{dispute.pk}/files/{evidence_file.pk}/" in page


def test_dispute_detail_after_submitting_is_read_only(admin_client, admin, dispute):
    save_some(dispute, admin)
    submit_evidence(dispute=dispute, actor=admin)

    page = text(admin_client.get(f"/chargebacks/{dispute.pk}/"))

    assert "Under review" in page
    assert SUBMITTED_ONCE in page
    assert 'aria-label="Edit"' not in page
    assert "/submit/" not in page
    assert "/accept/" not in page
    assert 'type="file"' not in page
    steps = re.findall(r'<span class="timeline-label">([^<]+)</span>', page)
    assert steps == ["Opened", "Evidence saved", "Evidence submitted"]


def test_dispute_detail_shows_dates_in_the_firms_time_zone(
    admin_client, merchant, dispute
):
    merchant.time_zone = "America/New_York"
    merchant.save()

    page = text(admin_client.get(f"/chargebacks/{dispute.pk}/"))

    assert "10 Dec 2026, 18:59" in page


def test_dispute_detail_redirects_anonymous_to_login(anon_client, dispute):
    response = anon_client.get(f"/chargebacks/{dispute.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"/?next=/chargebacks/{dispute.pk}/"


def test_dispute_detail_404s_for_other_merchant(admin_client, other_dispute):
    assert admin_client.get(f"/chargebacks/{other_dispute.pk}/").status_code == 404
    assert admin_client.post(f"/chargebacks/{other_dispute.pk}/").status_code == 404


def test_dispute_detail_403s_without_permission(no_view_client, dispute):
    assert no_view_client.get(f"/chargebacks/{dispute.pk}/").status_code == 403


def test_dispute_detail_rejects_post(admin_client, dispute):
    assert admin_client.post(f"/chargebacks/{dispute.pk}/").status_code == 405


def test_dispute_detail_returns_fragment_for_htmx(admin_client, dispute):
    response = admin_client.get(f"/chargebacks/{dispute.pk}/", headers=HTMX)

    page = text(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<section class="card" id="evidence"')
    assert "<h1>" not in page
    assert "Timeline" not in page


# --- Evidence (edit) -----------------------------------------------------------


def test_dispute_evidence_works(admin_client, dispute):
    response = admin_client.get(url("evidence/", dispute))

    assert response.status_code == 200
    page = text(response)
    form = re.search(r'<form class="card" id="evidence".*?</form>', page, re.S)[0]
    labels = re.findall(r'<label for="id_(\w+)">([^<]+)</label>', form)
    assert labels == [
        ("service_date", "Service date"),
        ("services_description", "Description of the legal services"),
        ("customer_communication", "Customer communication"),
        ("fee_agreement", "Signed fee agreement or card authorisation"),
        ("refund_policy", "Refund policy"),
        ("other_evidence", "Other"),
    ]
    assert "at most 150,000 characters" in page
    assert 'aria-label="Save"' in page and 'aria-label="Cancel"' in page


def test_dispute_evidence_saves_the_draft(admin_client, admin, dispute):
    response = admin_client.post(
        url("evidence/", dispute), evidence_form(refund_policy="None after filing.")
    )

    assert response.status_code == 302
    assert response["Location"] == f"/chargebacks/{dispute.pk}/"
    dispute.refresh_from_db()
    assert dispute.service_date == date(2026, 11, 1)
    assert dispute.services_description == "Drafted and filed the lease for MAT-2041."
    assert dispute.refund_policy == "None after filing."
    assert dispute.evidence_saved_by == admin
    page = admin_client.get(response["Location"])
    assert messages_of(page) == [
        "Evidence saved as a draft. Submit it before the due date."
    ]


def test_dispute_evidence_shows_error_next_to_field(admin_client, dispute):
    response = admin_client.post(
        url("evidence/", dispute), evidence_form(service_date="2026-13-45")
    )

    assert response.status_code == 200
    assert field_errors(response, "service_date") == ["Enter a valid date."]
    assert "Drafted and filed the lease for MAT-2041." in text(response)
    dispute.refresh_from_db()
    assert dispute.evidence_saved_at is None


def test_dispute_evidence_over_the_text_limit_keeps_what_was_typed(
    admin_client, dispute
):
    response = admin_client.post(
        url("evidence/", dispute),
        evidence_form(services_description="a" * 100_000, other_evidence="b" * 50_001),
    )

    assert response.status_code == 200
    page = text(response)
    assert (
        '<div class="alert alert--error" role="alert"><p>The evidence text is '
        "150,001 characters; processors take at most 150,000 in all. Shorten it "
        "or attach it as a PDF.</p></div>" in page
    )
    assert "b" * 50_001 in page
    assert "a" * 100_000 in page
    dispute.refresh_from_db()
    assert dispute.services_description == ""


def test_dispute_evidence_after_the_due_date_keeps_what_was_typed(
    admin_client, admin, dispute, clock
):
    move_clock(clock, admin_client, admin, DUE + timedelta(seconds=1))

    response = admin_client.post(url("evidence/", dispute), evidence_form())

    page = text(response)
    assert response.status_code == 200
    assert "The due date for evidence has passed." in page
    assert "Drafted and filed the lease for MAT-2041." in page


def test_dispute_evidence_get_after_submitting_goes_back_to_the_record(
    admin_client, admin, dispute
):
    save_some(dispute, admin)
    submit_evidence(dispute=dispute, actor=admin)

    response = admin_client.get(url("evidence/", dispute), follow=True)

    assert response.redirect_chain == [(f"/chargebacks/{dispute.pk}/", 302)]
    assert messages_of(response) == [SUBMITTED_ONCE]


def test_dispute_evidence_redirects_anonymous_to_login(anon_client, dispute):
    response = anon_client.get(url("evidence/", dispute))

    assert response.status_code == 302
    assert response["Location"] == f"/?next=/chargebacks/{dispute.pk}/evidence/"


def test_dispute_evidence_404s_for_other_merchant(admin_client, other_dispute):
    path = url("evidence/", other_dispute)
    assert admin_client.get(path).status_code == 404
    assert admin_client.post(path, evidence_form()).status_code == 404
    other_dispute.refresh_from_db()
    assert other_dispute.evidence_saved_at is None


def test_dispute_evidence_403s_without_permission(viewer_client, dispute):
    assert viewer_client.get(url("evidence/", dispute)).status_code == 403
    assert (
        viewer_client.post(url("evidence/", dispute), evidence_form()).status_code
        == 403
    )


def test_dispute_evidence_rejects_delete(admin_client, dispute):
    token = "t" * 32
    admin_client.cookies[settings.CSRF_COOKIE_NAME] = token
    response = admin_client.delete(
        url("evidence/", dispute), headers={"X-CSRFToken": token}
    )

    assert response.status_code == 405


def test_dispute_evidence_returns_fragment_for_htmx(admin_client, dispute):
    response = admin_client.get(url("evidence/", dispute), headers=HTMX)

    page = text(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<form class="card" id="evidence"')
    assert "<h1>" not in page


def test_dispute_evidence_htmx_save_redirects_the_whole_page(admin_client, dispute):
    response = admin_client.post(
        url("evidence/", dispute), evidence_form(), headers=HTMX
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/chargebacks/{dispute.pk}/"


# --- Files ---------------------------------------------------------------------


def test_evidence_file_add_works(admin_client, dispute, media):
    response = admin_client.post(url("files/", dispute), {"file": pdf()}, follow=True)

    assert response.redirect_chain == [(f"/chargebacks/{dispute.pk}/", 302)]
    assert messages_of(response) == ["fee-agreement.pdf attached."]
    evidence = EvidenceFile.objects.get(dispute=dispute)
    assert evidence.content_type == "application/pdf"
    assert (media / evidence.file.name).read_bytes() == PDF
    assert "fee-agreement.pdf</a>" in text(response)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("fee-agreement.pdf", EXE, "fee-agreement.pdf is not a PDF, PNG or JPEG file."),
        (
            "big.pdf",
            PDF + b"0" * (5 * 1024 * 1024 + 1 - len(PDF)),
            "big.pdf is larger than 5 MB.",
        ),
        ("empty.pdf", b"", "empty.pdf is empty."),
    ],
    ids=["renamed-executable", "oversize", "empty"],
)
def test_evidence_file_add_shows_error_next_to_field(
    admin_client, dispute, name, content, message
):
    response = admin_client.post(url("files/", dispute), {"file": pdf(name, content)})

    assert response.status_code == 200
    assert field_errors(response, "file") == [message]
    assert EvidenceFile.objects.count() == 0


def test_evidence_file_add_without_a_file_says_so(admin_client, dispute):
    response = admin_client.post(url("files/", dispute), {})

    assert field_errors(response, "file") == ["This field is required."]


def test_evidence_file_add_after_submitting_says_why(admin_client, admin, dispute):
    save_some(dispute, admin)
    submit_evidence(dispute=dispute, actor=admin)

    response = admin_client.post(url("files/", dispute), {"file": pdf()}, follow=True)

    assert messages_of(response) == [SUBMITTED_ONCE]
    assert EvidenceFile.objects.count() == 0


def test_evidence_file_add_redirects_anonymous_to_login(anon_client, dispute):
    response = anon_client.post(url("files/", dispute), {"file": pdf()})

    assert response.status_code == 302
    assert response["Location"] == f"/?next=/chargebacks/{dispute.pk}/files/"


def test_evidence_file_add_404s_for_other_merchant(admin_client, other_dispute):
    response = admin_client.post(url("files/", other_dispute), {"file": pdf()})

    assert response.status_code == 404
    assert EvidenceFile.objects.count() == 0


def test_evidence_file_add_403s_without_permission(viewer_client, dispute):
    response = viewer_client.post(url("files/", dispute), {"file": pdf()})

    assert response.status_code == 403


def test_evidence_file_add_rejects_get(admin_client, dispute):
    assert admin_client.get(url("files/", dispute)).status_code == 405


def test_evidence_file_download_works(viewer_client, dispute, evidence_file):
    response = viewer_client.get(url("files/", dispute, evidence_file.pk))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="fee-agreement.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_evidence_file_download_404s_for_a_removed_file(
    admin_client, admin, dispute, evidence_file
):
    remove_evidence_file(evidence=evidence_file, actor=admin)

    response = admin_client.get(url("files/", dispute, evidence_file.pk))

    assert response.status_code == 404


def test_evidence_file_download_404s_for_another_chargebacks_file(
    admin_client, payment, evidence_file
):
    another = sandbox_events.dispute_opened(payment, due_by=DUE)

    response = admin_client.get(url("files/", another, evidence_file.pk))

    assert response.status_code == 404


def test_evidence_file_download_404s_for_other_merchant(
    admin_client, other_dispute, other_file, dispute
):
    assert (
        admin_client.get(url("files/", other_dispute, other_file.pk)).status_code == 404
    )
    # Nor through one of our own chargebacks.
    assert admin_client.get(url("files/", dispute, other_file.pk)).status_code == 404


def test_evidence_file_download_redirects_anonymous_to_login(
    anon_client, dispute, evidence_file
):
    response = anon_client.get(url("files/", dispute, evidence_file.pk))

    assert response.status_code == 302


def test_evidence_file_download_403s_without_permission(
    no_view_client, dispute, evidence_file
):
    response = no_view_client.get(url("files/", dispute, evidence_file.pk))

    assert response.status_code == 403


def test_evidence_file_download_rejects_post(admin_client, dispute, evidence_file):
    response = admin_client.post(url("files/", dispute, evidence_file.pk))

    assert response.status_code == 405


def test_evidence_file_remove_works(admin_client, dispute, evidence_file):
    response = admin_client.post(
        url("files/", dispute, evidence_file.pk, "remove"), follow=True
    )

    assert response.redirect_chain == [(f"/chargebacks/{dispute.pk}/", 302)]
    assert messages_of(response) == ["fee-agreement.pdf removed from the evidence."]
    evidence_file.refresh_from_db()
    assert evidence_file.removed_at == NOW
    assert "No files attached." in text(response)


def test_evidence_file_remove_after_submitting_says_why(
    admin_client, admin, dispute, evidence_file
):
    submit_evidence(dispute=dispute, actor=admin)

    response = admin_client.post(
        url("files/", dispute, evidence_file.pk, "remove"), follow=True
    )

    assert messages_of(response) == [SUBMITTED_ONCE]
    evidence_file.refresh_from_db()
    assert evidence_file.removed_at is None


def test_evidence_file_remove_redirects_anonymous_to_login(
    anon_client, dispute, evidence_file
):
    response = anon_client.post(url("files/", dispute, evidence_file.pk, "remove"))

    assert response.status_code == 302


def test_evidence_file_remove_404s_for_other_merchant(
    admin_client, other_dispute, other_file
):
    response = admin_client.post(url("files/", other_dispute, other_file.pk, "remove"))

    assert response.status_code == 404
    other_file.refresh_from_db()
    assert other_file.removed_at is None


def test_evidence_file_remove_403s_without_permission(
    viewer_client, dispute, evidence_file
):
    response = viewer_client.post(url("files/", dispute, evidence_file.pk, "remove"))

    assert response.status_code == 403


def test_evidence_file_remove_rejects_get(admin_client, dispute, evidence_file):
    response = admin_client.get(url("files/", dispute, evidence_file.pk, "remove"))

    assert response.status_code == 405


# --- Submit ----------------------------------------------------------------------


def test_dispute_submit_asks_for_confirmation(
    admin_client, admin, dispute, evidence_file
):
    save_some(dispute, admin)

    response = admin_client.get(url("submit/", dispute))

    assert response.status_code == 200
    page = text(response)
    assert "<h1>Submit evidence?</h1>" in page
    assert "This can be done once." in page
    assert "Description of the legal services" in page
    assert "fee-agreement.pdf" in page
    assert f'<form method="post" action="/chargebacks/{dispute.pk}/submit/"' in page
    dispute.refresh_from_db()
    assert dispute.submitted_at is None


def test_dispute_submit_works(admin_client, admin, dispute):
    save_some(dispute, admin)

    response = admin_client.post(url("submit/", dispute), follow=True)

    assert response.redirect_chain == [(f"/chargebacks/{dispute.pk}/", 302)]
    assert messages_of(response) == [
        "Evidence submitted. The chargeback is under review until the "
        "processor decides."
    ]
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.UNDER_REVIEW
    assert dispute.submitted_by == admin


def test_dispute_submit_twice_shows_a_message(admin_client, admin, dispute):
    save_some(dispute, admin)
    admin_client.post(url("submit/", dispute), follow=True)

    response = admin_client.post(url("submit/", dispute), follow=True)

    assert response.status_code == 200
    assert messages_of(response) == [SUBMITTED_ONCE]


def test_dispute_submit_after_the_due_date_shows_a_message(
    admin_client, admin, dispute, clock
):
    save_some(dispute, admin)
    move_clock(clock, admin_client, admin, DUE + timedelta(seconds=1))

    response = admin_client.post(url("submit/", dispute), follow=True)

    assert messages_of(response) == ["The due date for evidence has passed."]
    dispute.refresh_from_db()
    assert dispute.submitted_at is None


def test_dispute_submit_without_evidence_shows_a_message(admin_client, dispute):
    response = admin_client.post(url("submit/", dispute), follow=True)

    assert messages_of(response) == ["Save some evidence before submitting it."]


def test_dispute_submit_redirects_anonymous_to_login(anon_client, dispute):
    response = anon_client.post(url("submit/", dispute))

    assert response.status_code == 302
    assert response["Location"] == f"/?next=/chargebacks/{dispute.pk}/submit/"


def test_dispute_submit_404s_for_other_merchant(admin_client, other_dispute):
    assert admin_client.get(url("submit/", other_dispute)).status_code == 404
    assert admin_client.post(url("submit/", other_dispute)).status_code == 404


def test_dispute_submit_403s_without_permission(viewer_client, dispute):
    assert viewer_client.post(url("submit/", dispute)).status_code == 403


def test_dispute_submit_rejects_put(admin_client, dispute):
    assert put(admin_client, url("submit/", dispute)).status_code == 405


# --- Accept ----------------------------------------------------------------------


def test_dispute_accept_asks_for_confirmation(admin_client, dispute):
    response = admin_client.get(url("accept/", dispute))

    assert response.status_code == 200
    page = text(response)
    assert "<h1>Accept this chargeback?</h1>" in page
    assert "The firm concedes and loses $250.00." in page
    dispute.refresh_from_db()
    assert dispute.accepted_at is None


def test_dispute_accept_works(admin_client, admin, dispute):
    response = admin_client.post(url("accept/", dispute), follow=True)

    assert messages_of(response) == [
        "Chargeback accepted. The firm does not contest it, and the $250.00 "
        "goes back to the cardholder."
    ]
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.ACCEPTED
    assert dispute.accepted_by == admin
    assert "Accepted" in text(response)


def test_dispute_accept_after_submitting_shows_a_message(admin_client, admin, dispute):
    save_some(dispute, admin)
    submit_evidence(dispute=dispute, actor=admin)

    response = admin_client.post(url("accept/", dispute), follow=True)

    assert messages_of(response) == [
        "The evidence was submitted: the chargeback is contested and can no "
        "longer be accepted."
    ]
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.UNDER_REVIEW


def test_dispute_accept_redirects_anonymous_to_login(anon_client, dispute):
    response = anon_client.post(url("accept/", dispute))

    assert response.status_code == 302


def test_dispute_accept_404s_for_other_merchant(admin_client, other_dispute):
    assert admin_client.get(url("accept/", other_dispute)).status_code == 404
    assert admin_client.post(url("accept/", other_dispute)).status_code == 404
    other_dispute.refresh_from_db()
    assert other_dispute.accepted_at is None


def test_dispute_accept_403s_without_permission(viewer_client, dispute):
    assert viewer_client.post(url("accept/", dispute)).status_code == 403


def test_dispute_accept_rejects_put(admin_client, dispute):
    assert put(admin_client, url("accept/", dispute)).status_code == 405


# --- Another firm's ids, every URL and method ------------------------------------


@pytest.mark.parametrize("method", ("get", "post"))
@pytest.mark.parametrize(
    "path",
    (
        "/chargebacks/{d}/",
        "/chargebacks/{d}/evidence/",
        "/chargebacks/{d}/files/",
        "/chargebacks/{d}/files/{f}/",
        "/chargebacks/{d}/files/{f}/remove/",
        "/chargebacks/{d}/submit/",
        "/chargebacks/{d}/accept/",
    ),
)
def test_every_chargeback_url_404s_for_other_merchants_ids(
    admin_client, other_dispute, other_file, path, method
):
    response = getattr(admin_client, method)(
        path.format(d=other_dispute.pk, f=other_file.pk)
    )

    assert response.status_code == 404
