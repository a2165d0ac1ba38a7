from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from payportal.audit import actions
from payportal.audit.models import AuditEvent
from payportal.payments.models import Dispute, EvidenceFile
from payportal.payments.services.disputes import (
    accept_dispute,
    add_evidence_file,
    remove_evidence_file,
    save_evidence,
    submit_evidence,
)
from payportal.payments.tests import sandbox_events

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
DUE = datetime(2026, 12, 10, 23, 59, 59, tzinfo=UTC)
FIVE_MB = 5 * 1024 * 1024
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
TOO_LONG = (
    "The evidence text is 150,001 characters; processors take at most "
    "150,000 in all. Shorten it or attach it as a PDF."
)
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
def responder(user_with):
    return user_with("payments.view", "disputes.respond", full_name="Rae Responder")


@pytest.fixture
def dispute(merchant):
    payment = sandbox_events.payment_succeeded(
        merchant, amount=25_000, created_at=NOW - timedelta(days=5)
    )
    return sandbox_events.dispute_opened(
        payment, opened_at=NOW - timedelta(days=1), due_by=DUE
    )


def texts(**overrides):
    data = {
        "services_description": "Drafted and filed the lease for MAT-2041.",
        "customer_communication": "",
        "fee_agreement": "",
        "refund_policy": "",
        "other_evidence": "",
    }
    data.update(overrides)
    return data


def upload(name, content, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def messages_of(exc):
    return exc.value.messages


# --- Draft -------------------------------------------------------------------


def test_save_evidence_saves_the_draft_and_audits_field_names(dispute, responder):
    saved = save_evidence(
        dispute=dispute,
        actor=responder,
        service_date=date(2026, 11, 1),
        **texts(refund_policy="No refunds after filing."),
    )

    saved.refresh_from_db()
    assert saved.service_date == date(2026, 11, 1)
    assert saved.services_description == "Drafted and filed the lease for MAT-2041."
    assert saved.refund_policy == "No refunds after filing."
    assert saved.evidence_saved_at == NOW
    assert saved.evidence_saved_by == responder
    assert saved.status == Dispute.Status.NEEDS_RESPONSE
    assert saved.submitted_at is None
    event = AuditEvent.objects.get(action=actions.DISPUTE_EVIDENCE_SAVED)
    # Which fields changed, never their text.
    assert event.changes == {
        "fields": [None, ["service_date", "services_description", "refund_policy"]]
    }


def test_save_evidence_takes_the_total_text_limit_exactly(dispute, responder):
    half = 75_000
    save_evidence(
        dispute=dispute,
        actor=responder,
        service_date=None,
        **texts(services_description="a" * half, other_evidence="b" * half),
    )

    dispute.refresh_from_db()
    assert len(dispute.services_description) + len(dispute.other_evidence) == 150_000


def test_save_evidence_refuses_one_character_over_the_limit(dispute, responder):
    with pytest.raises(ValidationError) as exc:
        save_evidence(
            dispute=dispute,
            actor=responder,
            service_date=None,
            **texts(services_description="a" * 75_000, other_evidence="b" * 75_001),
        )

    assert messages_of(exc) == [TOO_LONG]
    dispute.refresh_from_db()
    assert dispute.services_description == ""
    assert dispute.evidence_saved_at is None


def test_save_evidence_needs_permission(dispute, user_with):
    viewer = user_with("payments.view")

    with pytest.raises(PermissionDenied):
        save_evidence(dispute=dispute, actor=viewer, service_date=None, **texts())


def test_save_evidence_after_the_due_date_is_refused(dispute, responder, clock):
    clock.move_to(DUE + timedelta(seconds=1), tick=False)

    with pytest.raises(ValidationError) as exc:
        save_evidence(dispute=dispute, actor=responder, service_date=None, **texts())

    assert messages_of(exc) == ["The due date for evidence has passed."]


# --- Submit ------------------------------------------------------------------


def test_submit_evidence_sends_it_once(dispute, responder):
    save_evidence(dispute=dispute, actor=responder, service_date=None, **texts())

    submitted = submit_evidence(dispute=dispute, actor=responder)

    assert submitted.status == Dispute.Status.UNDER_REVIEW
    assert submitted.submitted_at == NOW
    assert submitted.submitted_by == responder
    assert AuditEvent.objects.filter(action=actions.DISPUTE_SUBMITTED).count() == 1


def test_submit_evidence_twice_is_refused(dispute, responder):
    save_evidence(dispute=dispute, actor=responder, service_date=None, **texts())
    submit_evidence(dispute=dispute, actor=responder)

    with pytest.raises(ValidationError) as exc:
        submit_evidence(dispute=dispute, actor=responder)

    assert messages_of(exc) == [SUBMITTED_ONCE]
    assert AuditEvent.objects.filter(action=actions.DISPUTE_SUBMITTED).count() == 1


def test_submit_evidence_at_the_due_moment_is_taken(dispute, responder, clock):
    save_evidence(dispute=dispute, actor=responder, service_date=None, **texts())
    clock.move_to(DUE, tick=False)

    submitted = submit_evidence(dispute=dispute, actor=responder)

    assert submitted.submitted_at == DUE
    assert submitted.status == Dispute.Status.UNDER_REVIEW


def test_submit_evidence_one_second_after_the_due_date_is_refused(
    dispute, responder, clock
):
    save_evidence(dispute=dispute, actor=responder, service_date=None, **texts())
    clock.move_to(DUE + timedelta(seconds=1), tick=False)

    with pytest.raises(ValidationError) as exc:
        submit_evidence(dispute=dispute, actor=responder)

    assert messages_of(exc) == ["The due date for evidence has passed."]
    dispute.refresh_from_db()
    assert dispute.submitted_at is None
    assert dispute.status == Dispute.Status.NEEDS_RESPONSE


def test_submit_evidence_without_any_evidence_is_refused(dispute, responder):
    with pytest.raises(ValidationError) as exc:
        submit_evidence(dispute=dispute, actor=responder)

    assert messages_of(exc) == ["Save some evidence before submitting it."]


def test_submit_evidence_with_only_a_file_is_taken(dispute, responder):
    add_evidence_file(
        dispute=dispute, actor=responder, upload=upload("fee-agreement.pdf", PDF)
    )

    submitted = submit_evidence(dispute=dispute, actor=responder)

    assert submitted.status == Dispute.Status.UNDER_REVIEW


def test_save_evidence_after_submitting_is_refused(dispute, responder):
    save_evidence(dispute=dispute, actor=responder, service_date=None, **texts())
    submit_evidence(dispute=dispute, actor=responder)

    with pytest.raises(ValidationError) as exc:
        save_evidence(
            dispute=dispute,
            actor=responder,
            service_date=None,
            **texts(services_description="Changed"),
        )

    assert messages_of(exc) == [SUBMITTED_ONCE]
    dispute.refresh_from_db()
    assert dispute.services_description == "Drafted and filed the lease for MAT-2041."


# --- Sandbox outcomes (through its signed webhooks) --------------------------


def test_submit_evidence_with_winning_text_is_won(dispute, responder):
    save_evidence(
        dispute=dispute,
        actor=responder,
        service_date=None,
        **texts(other_evidence="winning_evidence"),
    )

    submitted = submit_evidence(dispute=dispute, actor=responder)

    assert submitted.status == Dispute.Status.WON
    assert submitted.closed_at == NOW


def test_submit_evidence_with_losing_text_is_lost(dispute, responder):
    save_evidence(
        dispute=dispute,
        actor=responder,
        service_date=None,
        **texts(other_evidence="losing_evidence"),
    )

    submitted = submit_evidence(dispute=dispute, actor=responder)

    assert submitted.status == Dispute.Status.LOST
    assert submitted.closed_at == NOW


def test_accept_dispute_closes_it_as_accepted(dispute, responder):
    accepted = accept_dispute(dispute=dispute, actor=responder)

    assert accepted.status == Dispute.Status.ACCEPTED
    assert accepted.accepted_at == NOW
    assert accepted.accepted_by == responder
    assert accepted.closed_at == NOW
    assert AuditEvent.objects.filter(action=actions.DISPUTE_ACCEPTED).count() == 1


def test_accept_dispute_after_submitting_is_refused(dispute, responder):
    save_evidence(dispute=dispute, actor=responder, service_date=None, **texts())
    submit_evidence(dispute=dispute, actor=responder)

    with pytest.raises(ValidationError) as exc:
        accept_dispute(dispute=dispute, actor=responder)

    assert messages_of(exc) == [
        "The evidence was submitted: the chargeback is contested and can no "
        "longer be accepted."
    ]
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.UNDER_REVIEW
    assert dispute.accepted_at is None


def test_submit_evidence_after_accepting_is_refused(dispute, responder):
    save_evidence(dispute=dispute, actor=responder, service_date=None, **texts())
    accept_dispute(dispute=dispute, actor=responder)

    with pytest.raises(ValidationError) as exc:
        submit_evidence(dispute=dispute, actor=responder)

    assert messages_of(exc) == [
        "This chargeback was accepted; it no longer takes evidence."
    ]


# --- Files -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("fee-agreement.pdf", PDF, "application/pdf"),
        ("signature.png", PNG, "image/png"),
        ("receipt.jpg", JPEG, "image/jpeg"),
        # The content decides, not the name.
        ("scan", PNG, "image/png"),
    ],
)
def test_add_evidence_file_stores_pdf_png_and_jpeg(
    dispute, responder, media, name, content, kind
):
    evidence = add_evidence_file(
        dispute=dispute,
        actor=responder,
        upload=upload(name, content, content_type="application/octet-stream"),
    )

    assert evidence.name == name
    assert evidence.content_type == kind
    assert evidence.size == len(content)
    stored = media / evidence.file.name
    assert stored.read_bytes() == content
    # Stored under a name of ours, never the uploader's.
    assert name not in evidence.file.name
    assert AuditEvent.objects.get(action=actions.DISPUTE_FILE_ADDED).changes == {
        "file": [None, name]
    }


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00",
        b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    ],
    ids=["windows-exe", "elf"],
)
def test_add_evidence_file_refuses_a_renamed_executable(
    dispute, responder, media, content
):
    with pytest.raises(ValidationError) as exc:
        add_evidence_file(
            dispute=dispute,
            actor=responder,
            upload=upload("fee-agreement.pdf", content),
        )

    assert exc.value.message_dict == {
        "file": ["fee-agreement.pdf is not a PDF, PNG or JPEG file."]
    }
    assert EvidenceFile.objects.count() == 0
    assert list(media.iterdir()) == []


def test_add_evidence_file_takes_exactly_five_megabytes(dispute, responder):
    content = PDF + b"0" * (FIVE_MB - len(PDF))

    evidence = add_evidence_file(
        dispute=dispute, actor=responder, upload=upload("bundle.pdf", content)
    )

    assert evidence.size == FIVE_MB


def test_add_evidence_file_refuses_one_byte_over_five_megabytes(dispute, responder):
    content = PDF + b"0" * (FIVE_MB + 1 - len(PDF))

    with pytest.raises(ValidationError) as exc:
        add_evidence_file(
            dispute=dispute, actor=responder, upload=upload("bundle.pdf", content)
        )

    assert exc.value.message_dict == {"file": ["bundle.pdf is larger than 5 MB."]}
    assert EvidenceFile.objects.count() == 0


def test_add_evidence_file_refuses_an_empty_file(dispute, responder):
    with pytest.raises(ValidationError) as exc:
        add_evidence_file(
            dispute=dispute, actor=responder, upload=upload("empty.pdf", b"")
        )

    assert exc.value.message_dict == {"file": ["empty.pdf is empty."]}
    assert EvidenceFile.objects.count() == 0


def test_add_evidence_file_keeps_only_the_last_part_of_a_path(dispute, responder):
    evidence = add_evidence_file(
        dispute=dispute,
        actor=responder,
        upload=upload("C:\\Users\\rae\\fee.pdf", PDF),
    )

    assert evidence.name == "fee.pdf"


def test_add_evidence_file_after_submitting_is_refused(dispute, responder, media):
    save_evidence(dispute=dispute, actor=responder, service_date=None, **texts())
    submit_evidence(dispute=dispute, actor=responder)

    with pytest.raises(ValidationError) as exc:
        add_evidence_file(
            dispute=dispute, actor=responder, upload=upload("late.pdf", PDF)
        )

    assert messages_of(exc) == [SUBMITTED_ONCE]
    assert EvidenceFile.objects.count() == 0
    # The bytes of the refused file did not stay behind.
    assert [p for p in media.rglob("*") if p.is_file()] == []


def test_remove_evidence_file_keeps_it_on_record(dispute, responder):
    evidence = add_evidence_file(
        dispute=dispute, actor=responder, upload=upload("fee.pdf", PDF)
    )

    remove_evidence_file(evidence=evidence, actor=responder)
    remove_evidence_file(evidence=evidence, actor=responder)

    evidence.refresh_from_db()
    assert evidence.removed_at == NOW
    # Removing twice records it once.
    removed = AuditEvent.objects.filter(action=actions.DISPUTE_FILE_REMOVED)
    assert [event.changes for event in removed] == [{"file": ["fee.pdf", None]}]
