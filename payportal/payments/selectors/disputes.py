"""Reads of chargebacks (disputes), always scoped to the request's merchant."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.shortcuts import get_object_or_404
from django.utils import timezone

from payportal.core.pagination import PAGE_SIZE, Page, keyset_page
from payportal.merchants.models import Merchant
from payportal.payments.models import Dispute, EvidenceFile

# The Chargebacks page's status filter: value -> (label, statuses).
STATUS_OPEN = "open"
STATUS_ALL = "all"
STATUS_FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    STATUS_OPEN: ("Open", tuple(Dispute.OPEN)),
    Dispute.Status.NEEDS_RESPONSE: ("Needs response", (Dispute.Status.NEEDS_RESPONSE,)),
    Dispute.Status.UNDER_REVIEW: ("Under review", (Dispute.Status.UNDER_REVIEW,)),
    "closed": (
        "Closed",
        (Dispute.Status.WON, Dispute.Status.LOST, Dispute.Status.ACCEPTED),
    ),
    STATUS_ALL: ("All", ()),
}
DEFAULT_STATUS = STATUS_OPEN


@dataclass(frozen=True)
class Due:
    """How a chargeback's due date reads: "3 days left", "Overdue"..."""

    label: str
    # For the badge's colour: "soon" (3 days or less), "later", "overdue",
    # "done" (evidence submitted or accepted) or "closed".
    kind: str


def due_state(dispute: Dispute, *, now: datetime, tz: ZoneInfo) -> Due:
    """Days left counted in the firm's calendar days (its time zone)."""
    if dispute.status not in Dispute.OPEN:
        return Due("Closed", "closed")
    if dispute.submitted_at or dispute.status == Dispute.Status.UNDER_REVIEW:
        return Due("Submitted", "done")
    if dispute.accepted_at:
        return Due("Accepted", "done")
    if now > dispute.evidence_due_by:
        return Due("Overdue", "overdue")
    days = (
        timezone.localtime(dispute.evidence_due_by, tz).date()
        - timezone.localtime(now, tz).date()
    ).days
    if days == 0:
        return Due("Due today", "soon")
    label = "1 day left" if days == 1 else f"{days} days left"
    return Due(label, "soon" if days <= 3 else "later")


def get_dispute(*, merchant: Merchant, dispute_id: int) -> Dispute:
    """The merchant's chargeback, or 404 (another firm's id is a 404)."""
    return get_object_or_404(
        Dispute.objects.select_related(
            "payment", "evidence_saved_by", "submitted_by", "accepted_by"
        ),
        merchant=merchant,
        pk=dispute_id,
    )


def list_disputes(
    *,
    merchant: Merchant,
    status: str = DEFAULT_STATUS,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
    now: datetime | None = None,
) -> Page:
    """One page of the merchant's chargebacks, soonest evidence due first.

    ``status`` is a key of STATUS_FILTERS (anything else is the default,
    open ones). Keyset pages on the (merchant, evidence_due_by, id) index;
    one query whatever the page size. Each row gets ``due`` (a Due).
    """
    statuses = STATUS_FILTERS.get(status, STATUS_FILTERS[DEFAULT_STATUS])[1]
    disputes = Dispute.objects.filter(merchant=merchant).select_related("payment")
    if statuses:
        disputes = disputes.filter(status__in=statuses)
    page = keyset_page(
        disputes, key="evidence_due_by", after=after, before=before, size=size
    )
    now = now or timezone.now()
    for dispute in page.rows:
        dispute.due = due_state(dispute, now=now, tz=merchant.tz)
    return page


def list_evidence_files(*, dispute: Dispute) -> list[EvidenceFile]:
    """The files in the chargeback's evidence (not the removed ones)."""
    return list(
        EvidenceFile.objects.filter(
            merchant=dispute.merchant_id, dispute=dispute, removed_at__isnull=True
        ).select_related("uploaded_by")
    )


def get_evidence_file(*, dispute: Dispute, file_id: int) -> EvidenceFile:
    """A file of the chargeback's evidence; 404 when removed or not its own."""
    return get_object_or_404(
        EvidenceFile,
        merchant=dispute.merchant_id,
        dispute=dispute,
        pk=file_id,
        removed_at__isnull=True,
    )


@dataclass(frozen=True)
class Step:
    label: str
    at: datetime
    by: str = ""


def timeline(dispute: Dispute) -> list[Step]:
    """The chargeback's steps so far, oldest first."""

    def name(user: object) -> str:
        return getattr(user, "full_name", "") or ""

    steps = [Step("Opened", dispute.opened_at)]
    if dispute.evidence_saved_at:
        steps.append(
            Step(
                "Evidence saved",
                dispute.evidence_saved_at,
                name(dispute.evidence_saved_by),
            )
        )
    if dispute.submitted_at:
        steps.append(
            Step("Evidence submitted", dispute.submitted_at, name(dispute.submitted_by))
        )
    if dispute.accepted_at:
        steps.append(Step("Accepted", dispute.accepted_at, name(dispute.accepted_by)))
    if dispute.closed_at:
        steps.append(Step(f"Closed: {dispute.get_status_display()}", dispute.closed_at))
    return sorted(steps, key=lambda step: step.at)
