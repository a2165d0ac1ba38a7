"""The Chargebacks pages: the list, the record with its evidence, files,
Submit and Accept.

Viewing needs payments.view; changing anything needs disputes.respond.
Every view with an id fetches the chargeback first, so another firm's id
is a 404 whatever the method. Dates show in the firm's time zone.
"""

from collections.abc import Iterable
from datetime import tzinfo
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from payportal.accounts import permissions as p
from payportal.core.htmx import redirect_to, render_page
from payportal.core.money import format_money
from payportal.core.templatetags.portal import (
    escaped_row,
    short_date,
    url_for_ids,
)
from payportal.payments.forms.disputes import (
    DisputeFilterForm,
    EvidenceFileForm,
    EvidenceForm,
)
from payportal.payments.models import Dispute
from payportal.payments.selectors import disputes as selectors
from payportal.payments.services import disputes as services

LIST_TEMPLATE = "payments/disputes/list.html"
RECORD_TEMPLATE = "payments/disputes/detail.html"
SUBMIT_TEMPLATE = "payments/disputes/submit.html"
ACCEPT_TEMPLATE = "payments/disputes/accept.html"
READ = ("GET", "HEAD")


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    fragment: str | None = None,
) -> HttpResponse:
    # The firm's clock: due dates and "days left" read as the firm's staff
    # count them.
    with timezone.override(request.merchant.tz):
        return render_page(request, template, context, fragment=fragment)


def _record_url(dispute: Dispute) -> str:
    return reverse("payments:dispute_detail", args=[dispute.pk])


def _error_messages(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _rows(disputes: Iterable[Dispute], *, tz: tzinfo) -> list[dict[str, Any]]:
    """What each row of the Chargebacks page shows, as escaped text."""
    record_url = url_for_ids("payments:dispute_detail")
    payment_url = url_for_ids("payments:payment_detail")
    statuses = dict(Dispute.Status.choices)
    reasons = dict(Dispute.Reason.choices)
    rows = []
    for dispute in disputes:
        due_by = timezone.localtime(dispute.evidence_due_by, tz)
        payment = dispute.payment
        rows.append(
            escaped_row(
                url=record_url(dispute.pk),
                due_iso=due_by.isoformat(),
                due_date=short_date(due_by),
                due_kind=dispute.due.kind,
                due_label=dispute.due.label,
                status=dispute.status,
                status_label=statuses.get(dispute.status, dispute.status),
                amount=format_money(dispute.amount, dispute.currency),
                reason=reasons.get(dispute.reason, dispute.reason),
                payment_url=payment_url(dispute.payment_id),
                payment=payment.reference or payment.processor_ref,
            )
        )
    return rows


@p.permission_required(p.PAYMENTS_VIEW)
@require_safe
def dispute_list(request: HttpRequest) -> HttpResponse:
    filters = DisputeFilterForm(request.GET).filters()
    page = selectors.list_disputes(
        merchant=request.merchant,
        after=request.GET.get("after") or None,
        before=request.GET.get("before") or None,
        **filters,
    )
    context = {
        "page": page,
        "rows": _rows(page.rows, tz=request.merchant.tz),
        "filters": filters,
        "status_choices": [
            (key, label) for key, (label, _) in selectors.STATUS_FILTERS.items()
        ],
        "filtered": filters["status"] != selectors.STATUS_ALL,
    }
    return _render(request, LIST_TEMPLATE, context, fragment="results")


def _render_record(
    request: HttpRequest,
    dispute: Dispute,
    *,
    form: EvidenceForm | None = None,
    file_form: EvidenceFileForm | None = None,
) -> HttpResponse:
    """The chargeback record; ``form`` shows the evidence card in edit mode.

    For htmx, only the evidence card (read-only or editing).
    """
    can_respond = request.user.can(p.DISPUTES_RESPOND)
    closed_reason = services.evidence_closed_reason(dispute)
    evidence = [
        (Dispute._meta.get_field(name).verbose_name, getattr(dispute, name))
        for name in services.EVIDENCE_TEXT_FIELDS
    ]
    context = {
        "dispute": dispute,
        "payment": dispute.payment,
        "due": selectors.due_state(dispute, now=timezone.now(), tz=request.merchant.tz),
        "timeline": selectors.timeline(dispute),
        "files": selectors.list_evidence_files(dispute=dispute),
        "evidence": evidence,
        "has_evidence": bool(dispute.service_date or any(v for _, v in evidence)),
        "editable": can_respond and not closed_reason,
        "can_accept": can_respond
        and dispute.status == Dispute.Status.NEEDS_RESPONSE
        and not dispute.submitted_at
        and not dispute.accepted_at,
        "closed_reason": closed_reason,
        "form": form,
        "file_form": file_form or EvidenceFileForm(),
        "text_limit": f"{settings.EVIDENCE_MAX_TEXT_CHARS:,}",
    }
    return _render(request, RECORD_TEMPLATE, context, fragment="evidence-card")


@p.permission_required(p.PAYMENTS_VIEW)
def dispute_detail(request: HttpRequest, dispute_id: int) -> HttpResponse:
    # Fetch first: another firm's id is a 404 whatever the method.
    dispute = selectors.get_dispute(merchant=request.merchant, dispute_id=dispute_id)
    if request.method not in READ:
        return HttpResponseNotAllowed(READ)
    return _render_record(request, dispute)


@p.permission_required(p.DISPUTES_RESPOND)
def dispute_evidence(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = selectors.get_dispute(merchant=request.merchant, dispute_id=dispute_id)
    if request.method not in (*READ, "POST"):
        return HttpResponseNotAllowed([*READ, "POST"])
    if request.method != "POST":
        reason = services.evidence_closed_reason(dispute)
        if reason:
            messages.error(request, reason)
            return redirect_to(request, _record_url(dispute))
    data = request.POST if request.method == "POST" else None
    form = EvidenceForm(data, dispute=dispute)
    if form.is_bound and form.is_valid():
        try:
            services.save_evidence(
                dispute=dispute,
                actor=request.user,
                service_date=form.cleaned_data["service_date"],
                request=request,
                **form.texts(),
            )
        except ValidationError as error:
            # The text limit, a passed due date: shown above the form,
            # with everything that was typed still in it.
            form.add_error(None, error)
        else:
            messages.success(
                request,
                "Evidence saved as a draft. Submit it before the due date.",
            )
            return redirect_to(request, _record_url(dispute))
    return _render_record(request, dispute, form=form)


@p.permission_required(p.DISPUTES_RESPOND)
def evidence_file_add(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = selectors.get_dispute(merchant=request.merchant, dispute_id=dispute_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = EvidenceFileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            evidence = services.add_evidence_file(
                dispute=dispute,
                actor=request.user,
                upload=form.cleaned_data["file"],
                request=request,
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                # Not about the file (the chargeback no longer takes
                # evidence): the record says so, without the upload form.
                _error_messages(request, error)
                return redirect(_record_url(dispute))
            # Keyed "file" by the service: lands under the file input.
            form.add_error(None, error)
        else:
            messages.success(request, f"{evidence.name} attached.")
            return redirect(_record_url(dispute))
    return _render_record(request, dispute, file_form=form)


@p.permission_required(p.PAYMENTS_VIEW)
def evidence_file_download(
    request: HttpRequest, dispute_id: int, file_id: int
) -> HttpResponse:
    dispute = selectors.get_dispute(merchant=request.merchant, dispute_id=dispute_id)
    evidence = selectors.get_evidence_file(dispute=dispute, file_id=file_id)
    if request.method not in READ:
        return HttpResponseNotAllowed(READ)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    # Always a download with the type the service read from the content,
    # never rendered in the portal's origin.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@p.permission_required(p.DISPUTES_RESPOND)
def evidence_file_remove(
    request: HttpRequest, dispute_id: int, file_id: int
) -> HttpResponse:
    dispute = selectors.get_dispute(merchant=request.merchant, dispute_id=dispute_id)
    evidence = selectors.get_evidence_file(dispute=dispute, file_id=file_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.remove_evidence_file(
            evidence=evidence, actor=request.user, request=request
        )
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(request, f"{evidence.name} removed from the evidence.")
    return redirect(_record_url(dispute))


def _submitted_message(dispute: Dispute) -> str:
    if dispute.status == Dispute.Status.WON:
        return "Evidence submitted. The processor decided: the firm won."
    if dispute.status == Dispute.Status.LOST:
        return "Evidence submitted. The processor decided: the firm lost."
    return (
        "Evidence submitted. The chargeback is under review until the "
        "processor decides."
    )


@p.permission_required(p.DISPUTES_RESPOND)
def dispute_submit(request: HttpRequest, dispute_id: int) -> HttpResponse:
    """GET: the confirmation page (works without JavaScript); POST: submit."""
    dispute = selectors.get_dispute(merchant=request.merchant, dispute_id=dispute_id)
    if request.method not in (*READ, "POST"):
        return HttpResponseNotAllowed([*READ, "POST"])
    if request.method == "POST":
        try:
            dispute = services.submit_evidence(
                dispute=dispute, actor=request.user, request=request
            )
        except ValidationError as error:
            _error_messages(request, error)
        else:
            messages.success(request, _submitted_message(dispute))
        return redirect(_record_url(dispute))
    reason = services.evidence_closed_reason(dispute)
    if reason:
        messages.error(request, reason)
        return redirect(_record_url(dispute))
    files = selectors.list_evidence_files(dispute=dispute)
    provided = [
        Dispute._meta.get_field(name).verbose_name
        for name in ("service_date", *services.EVIDENCE_TEXT_FIELDS)
        if getattr(dispute, name)
    ]
    context = {"dispute": dispute, "files": files, "provided": provided}
    return _render(request, SUBMIT_TEMPLATE, context)


@p.permission_required(p.DISPUTES_RESPOND)
def dispute_accept(request: HttpRequest, dispute_id: int) -> HttpResponse:
    """GET: the confirmation page (works without JavaScript); POST: accept."""
    dispute = selectors.get_dispute(merchant=request.merchant, dispute_id=dispute_id)
    if request.method not in (*READ, "POST"):
        return HttpResponseNotAllowed([*READ, "POST"])
    if request.method == "POST":
        try:
            dispute = services.accept_dispute(
                dispute=dispute, actor=request.user, request=request
            )
        except ValidationError as error:
            _error_messages(request, error)
        else:
            amount = format_money(dispute.amount, dispute.currency)
            messages.success(
                request,
                f"Chargeback accepted. The firm does not contest it, and the "
                f"{amount} goes back to the cardholder.",
            )
        return redirect(_record_url(dispute))
    if dispute.status != Dispute.Status.NEEDS_RESPONSE or dispute.submitted_at:
        messages.error(
            request, "Only a chargeback that needs a response can be accepted."
        )
        return redirect(_record_url(dispute))
    return _render(request, ACCEPT_TEMPLATE, {"dispute": dispute})
