"""Chargebacks: evidence drafts, files, submit once, accept, reminders.

Evidence is a draft until submitted; it can be submitted once, before the
due date, and never after the dispute was accepted. Files are checked by
their content (magic bytes), not by their name.
"""

import re
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from payportal.accounts.models import User
from payportal.accounts.permissions import DISPUTES_RESPOND
from payportal.accounts.selectors.users import users_with_permission
from payportal.accounts.services.mail import portal_url
from payportal.audit import actions
from payportal.audit.models import Outcome
from payportal.audit.services import record_event
from payportal.core.validators import refuse_card_numbers
from payportal.payments.models import Dispute, EvidenceFile
from payportal.processors.base import ProcessorError
from payportal.processors.registry import get_processor

EVIDENCE_TEXT_FIELDS = (
    "services_description",
    "customer_communication",
    "fee_agreement",
    "refund_policy",
    "other_evidence",
)
REMINDER_BEFORE = timedelta(days=3)
# Magic bytes of the kinds processors accept as evidence.
_SIGNATURES = (
    (b"%PDF-", EvidenceFile.Kind.PDF),
    (b"\x89PNG\r\n\x1a\n", EvidenceFile.Kind.PNG),
    (b"\xff\xd8\xff", EvidenceFile.Kind.JPEG),
)


def sniff_content_type(head: bytes) -> str | None:
    """The evidence kind the first bytes show, or None for anything else."""
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return kind
    return None


def evidence_closed_reason(dispute: Dispute, *, now: datetime | None = None) -> str:
    """Why the chargeback no longer takes evidence, or "" while it does.

    Evidence is taken while it needs a response, was neither submitted nor
    accepted, and its due date has not passed (the due moment itself still
    counts: processors take evidence until then).
    """
    now = now or timezone.now()
    if dispute.submitted_at:
        return (
            "The evidence was already submitted; it can be submitted only "
            "once and no longer changes."
        )
    if dispute.accepted_at or dispute.status == Dispute.Status.ACCEPTED:
        return "This chargeback was accepted; it no longer takes evidence."
    if dispute.status != Dispute.Status.NEEDS_RESPONSE:
        return (
            f"This chargeback is {dispute.get_status_display().lower()}; "
            "it no longer takes evidence."
        )
    if now > dispute.evidence_due_by:
        return "The due date for evidence has passed."
    return ""


def takes_evidence(dispute: Dispute, *, now: datetime | None = None) -> bool:
    """True while evidence can be saved, attached and submitted."""
    return not evidence_closed_reason(dispute, now=now)


def _can_change(dispute: Dispute) -> None:
    reason = evidence_closed_reason(dispute)
    if reason:
        code = "past_due" if "due date" in reason else "closed"
        raise ValidationError(reason, code=code)


def _require(actor: User) -> None:
    if not actor.can(DISPUTES_RESPOND):
        raise PermissionDenied


def _locked(dispute: Dispute) -> Dispute:
    return (
        Dispute.objects.select_for_update()
        .select_related("payment", "merchant")
        .get(pk=dispute.pk)
    )


def save_evidence(
    *,
    dispute: Dispute,
    actor: User,
    service_date: date | None,
    request: HttpRequest | None = None,
    **texts: str,
) -> Dispute:
    """Save the evidence draft (the text fields and the service date).

    Raises ValidationError when the chargeback no longer takes evidence or
    the texts together pass EVIDENCE_MAX_TEXT_CHARS ("__all__"); audits
    ``dispute.evidence_saved`` with the names of the fields that changed.
    """
    _require(actor)
    unknown = set(texts) - set(EVIDENCE_TEXT_FIELDS)
    if unknown:
        raise TypeError(f"unknown evidence fields: {sorted(unknown)}")
    # The form refuses card numbers too; this is for every other caller.
    refuse_card_numbers(
        **{name: texts.get(name) or "" for name in EVIDENCE_TEXT_FIELDS}
    )
    total = sum(len(texts.get(name) or "") for name in EVIDENCE_TEXT_FIELDS)
    limit = settings.EVIDENCE_MAX_TEXT_CHARS
    if total > limit:
        raise ValidationError(
            f"The evidence text is {total:,} characters; processors take at "
            f"most {limit:,} in all. Shorten it or attach it as a PDF.",
            code="too_long",
        )
    with transaction.atomic():
        dispute = _locked(dispute)
        _can_change(dispute)
        changed = []
        if dispute.service_date != service_date:
            changed.append("service_date")
            dispute.service_date = service_date
        for name in EVIDENCE_TEXT_FIELDS:
            value = texts.get(name) or ""
            if getattr(dispute, name) != value:
                changed.append(name)
                setattr(dispute, name, value)
        dispute.evidence_saved_at = timezone.now()
        dispute.evidence_saved_by = actor
        dispute.save()
        record_event(
            action=actions.DISPUTE_EVIDENCE_SAVED,
            merchant=dispute.merchant,
            actor=actor,
            request=request,
            target=dispute,
            # Which fields changed, never their text: evidence can hold
            # client details that do not belong in the audit trail.
            changes={"fields": [None, changed]},
        )
    return dispute


def add_evidence_file(
    *,
    dispute: Dispute,
    actor: User,
    upload: UploadedFile,
    request: HttpRequest | None = None,
) -> EvidenceFile:
    """Attach a PDF, PNG or JPEG of at most EVIDENCE_MAX_FILE_BYTES.

    The kind is read from the file's first bytes: a renamed executable is
    refused whatever its name. Raises ValidationError keyed "file".
    """
    _require(actor)
    limit = settings.EVIDENCE_MAX_FILE_BYTES
    # Only the last part of whatever path a browser sent; shown, never used
    # as the stored name (evidence_upload_to picks that).
    name = re.split(r"[\\/]", upload.name or "")[-1].strip()[:200] or "file"
    if not upload.size:
        raise ValidationError({"file": f"{name} is empty."})
    if upload.size > limit:
        raise ValidationError(
            {"file": f"{name} is larger than {limit // (1024 * 1024)} MB."}
        )
    upload.seek(0)
    kind = sniff_content_type(upload.read(16))
    upload.seek(0)
    if kind is None:
        raise ValidationError({"file": f"{name} is not a PDF, PNG or JPEG file."})
    stored = ""
    try:
        with transaction.atomic():
            dispute = _locked(dispute)
            _can_change(dispute)
            evidence = EvidenceFile(
                merchant=dispute.merchant,
                dispute=dispute,
                token=get_random_string(32),
                name=name,
                content_type=kind,
                size=upload.size,
                uploaded_by=actor,
                uploaded_at=timezone.now(),
            )
            evidence.file.save(evidence.token, upload, save=False)
            stored = evidence.file.name
            evidence.save()
            record_event(
                action=actions.DISPUTE_FILE_ADDED,
                merchant=dispute.merchant,
                actor=actor,
                request=request,
                target=dispute,
                changes={"file": [None, name]},
            )
    except BaseException:
        # The row rolled back: leave no orphaned bytes in storage.
        if stored:
            evidence.file.storage.delete(stored)
        raise
    return evidence


def remove_evidence_file(
    *, evidence: EvidenceFile, actor: User, request: HttpRequest | None = None
) -> None:
    """Take a file out of the draft (kept on record, not sent).

    Raises ValidationError when the chargeback no longer takes evidence.
    Removing a file twice changes nothing the second time. Audits
    ``dispute.file_removed``.
    """
    _require(actor)
    with transaction.atomic():
        dispute = _locked(evidence.dispute)
        _can_change(dispute)
        removed = EvidenceFile.objects.filter(
            pk=evidence.pk, dispute=dispute, removed_at__isnull=True
        ).update(removed_at=timezone.now())
        if not removed:
            return
        record_event(
            action=actions.DISPUTE_FILE_REMOVED,
            merchant=dispute.merchant,
            actor=actor,
            request=request,
            target=dispute,
            changes={"file": [evidence.name, None]},
        )


def submit_evidence(
    *, dispute: Dispute, actor: User, request: HttpRequest | None = None
) -> Dispute:
    """Send the saved evidence to the processor: once, before the due date.

    Raises ValidationError when already submitted, closed, past due, empty
    or refused by the processor (nothing changes then). The processor's
    webhooks then move the chargeback to under review, won or lost.
    """
    _require(actor)
    with transaction.atomic():
        dispute = _locked(dispute)
        _can_change(dispute)
        has_text = any(getattr(dispute, name) for name in EVIDENCE_TEXT_FIELDS)
        if not has_text and not dispute.files.filter(removed_at__isnull=True).exists():
            raise ValidationError(
                "Save some evidence before submitting it.", code="empty"
            )
        dispute.submitted_at = timezone.now()
        dispute.submitted_by = actor
        dispute.save(update_fields=["submitted_at", "submitted_by", "updated_at"])
        record_event(
            action=actions.DISPUTE_SUBMITTED,
            merchant=dispute.merchant,
            actor=actor,
            request=request,
            target=dispute,
        )
    try:
        get_processor(dispute.payment.processor).submit_dispute_evidence(
            dispute=dispute
        )
    except ProcessorError as error:
        # Nothing was sent: the evidence is a draft again.
        _undo_refused(
            dispute=dispute,
            actor=actor,
            request=request,
            action=actions.DISPUTE_SUBMITTED,
            error=error,
            fields={"submitted_at": None, "submitted_by": None},
        )
        raise ValidationError(
            f"The processor refused the evidence: {error.message}",
            code="processor",
        ) from error
    dispute.refresh_from_db()
    return dispute


def _undo_refused(
    *,
    dispute: Dispute,
    actor: User,
    request: HttpRequest | None,
    action: str,
    error: ProcessorError,
    fields: dict[str, Any],
) -> None:
    """The processor refused a step already recorded: undo ``fields`` and
    say in the trail that the step failed, in one transaction."""
    with transaction.atomic():
        Dispute.objects.filter(pk=dispute.pk).update(**fields)
        record_event(
            action=action,
            merchant=dispute.merchant,
            actor=actor,
            request=request,
            target=dispute,
            changes={"error": [None, error.message]},
            outcome=Outcome.FAILURE,
        )


def accept_dispute(
    *, dispute: Dispute, actor: User, request: HttpRequest | None = None
) -> Dispute:
    """Concede the chargeback: the firm does not contest it.

    Raises ValidationError when it was submitted, closed or the processor
    refuses. Audits ``dispute.accepted``.
    """
    _require(actor)
    with transaction.atomic():
        dispute = _locked(dispute)
        if dispute.submitted_at:
            raise ValidationError(
                "The evidence was submitted: the chargeback is contested and "
                "can no longer be accepted.",
                code="submitted",
            )
        if dispute.status != Dispute.Status.NEEDS_RESPONSE:
            raise ValidationError(
                "Only a chargeback that needs a response can be accepted.",
                code="closed",
            )
        get_processor(dispute.payment.processor)  # unknown processor: fail early
        dispute.accepted_at = timezone.now()
        dispute.accepted_by = actor
        dispute.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
        record_event(
            action=actions.DISPUTE_ACCEPTED,
            merchant=dispute.merchant,
            actor=actor,
            request=request,
            target=dispute,
        )
    try:
        get_processor(dispute.payment.processor).accept_dispute(dispute=dispute)
    except ProcessorError as error:
        _undo_refused(
            dispute=dispute,
            actor=actor,
            request=request,
            action=actions.DISPUTE_ACCEPTED,
            error=error,
            fields={"accepted_at": None, "accepted_by": None},
        )
        raise ValidationError(
            f"The processor refused: {error.message}", code="processor"
        ) from error
    dispute.refresh_from_db()
    return dispute


# --- Notifications ----------------------------------------------------------


def _email_responders(dispute: Dispute, *, template: str, subject: str) -> int:
    users = users_with_permission(merchant=dispute.merchant, code=DISPUTES_RESPOND)
    link = portal_url(None) + reverse(
        "payments:dispute_detail", kwargs={"dispute_id": dispute.pk}
    )
    messages = []
    # Dates in the firm's time zone, as the portal's pages show them.
    with timezone.override(dispute.merchant.tz):
        for user in users:
            body = render_to_string(
                f"payments/email/{template}.txt",
                {
                    "user": user,
                    "dispute": dispute,
                    "firm": dispute.merchant,
                    "link": link,
                },
            )
            messages.append((subject, body, None, [user.email]))

    def deliver() -> None:
        for message in messages:
            send_mail(*message)

    # Robust: a mail server that is down must not fail the webhook or the
    # command that committed the change (the error is logged).
    transaction.on_commit(deliver, robust=True)
    return len(messages)


def notify_dispute_opened(*, dispute: Dispute) -> int:
    """Email everyone who can respond that a chargeback arrived (after
    commit). Returns how many emails will go."""
    return _email_responders(
        dispute,
        template="dispute_opened",
        subject=f"New chargeback on {dispute.payment.processor_ref}",
    )


def send_due_reminders(*, now: datetime | None = None) -> int:
    """Remind responders of chargebacks due within 3 days: once each.

    Safe to run every hour from a scheduler: each reminder is claimed by a
    conditional UPDATE before it is sent, so no two runs send the same one.
    Returns the number of chargebacks reminded about.
    """
    now = now or timezone.now()
    due = Dispute.objects.filter(
        status=Dispute.Status.NEEDS_RESPONSE,
        submitted_at__isnull=True,
        accepted_at__isnull=True,
        reminder_sent_at__isnull=True,
        evidence_due_by__gt=now,
        evidence_due_by__lte=now + REMINDER_BEFORE,
    ).select_related("payment", "merchant")
    count = 0
    for dispute in due:
        due_day = timezone.localtime(dispute.evidence_due_by, dispute.merchant.tz)
        with transaction.atomic():
            claimed = Dispute.objects.filter(
                pk=dispute.pk, reminder_sent_at__isnull=True
            ).update(reminder_sent_at=now)
            if not claimed:
                continue
            _email_responders(
                dispute,
                template="dispute_due",
                subject=f"Chargeback evidence due {due_day:%d %b %Y}",
            )
        count += 1
    return count
