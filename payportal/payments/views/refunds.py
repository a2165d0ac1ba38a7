"""Refunds: the refund form (with its confirmation step), the Refunds page
and the approvals queue. Another firm's payment or refund is a 404.

The refund form is one URL in three steps, every one a normal POST that
works without JavaScript (htmx swaps the card in place):
``step=review`` (the form) -> the confirmation; ``step=back`` -> the form
again with what was typed; ``step=confirm`` -> ``create_refund``.
"""

from collections.abc import Iterable
from datetime import tzinfo
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.views.decorators.http import (
    require_http_methods,
    require_safe,
)

from payportal.accounts import permissions as p
from payportal.core.htmx import redirect_to, render_page
from payportal.core.money import format_amount, format_money
from payportal.core.templatetags.portal import (
    escaped_row,
    short_datetime,
    url_for_ids,
)
from payportal.payments.forms.refunds import RefundFilterForm, RefundForm
from payportal.payments.models import Account, Payment, Refund
from payportal.payments.selectors import refunds as selectors
from payportal.payments.services import refunds as services

FORM_TEMPLATE = "payments/refunds/form.html"
LIST_TEMPLATE = "payments/refunds/list.html"
APPROVALS_TEMPLATE = "payments/refunds/approvals.html"
STEP_REVIEW = "review"
STEP_BACK = "back"
STEP_CONFIRM = "confirm"


def _render_form(
    request: HttpRequest,
    payment: Payment,
    *,
    refundable: int,
    form: RefundForm | None,
    confirm: bool = False,
) -> HttpResponse:
    """The refund page; ``form`` None says the payment cannot be refunded."""
    context = {
        "payment": payment,
        "refundable": refundable,
        "form": form,
        "confirm": confirm,
    }
    if confirm and form is not None:
        amount = form.cleaned_data["amount"]
        context.update(
            amount=amount,
            reason_label=Refund.Reason(form.cleaned_data["reason"]).label,
            waits=services.needs_approval(payment=payment, amount=amount),
            typed=form.typed(),
        )
    return render_page(request, FORM_TEMPLATE, context, fragment="refund-card")


def _can_refund(payment: Payment, refundable: int) -> bool:
    return services.is_refundable(payment) and refundable > 0


def _outcome_message(
    request: HttpRequest, refund: Refund, *, created: bool, approved: bool = False
) -> None:
    """Tell the person what became of the refund they asked for."""
    amount = format_money(refund.amount, refund.currency)
    status = refund.status
    if status == Refund.Status.SUCCEEDED:
        level, outcome = messages.SUCCESS, "succeeded."
    elif status == Refund.Status.FAILED:
        reason = refund.failure_reason or "the processor gave no reason."
        level, outcome = messages.ERROR, f"failed: {reason}"
    elif status == Refund.Status.AWAITING_APPROVAL:
        level, outcome = (
            messages.INFO,
            "is waiting for approval by a second person who can approve refunds.",
        )
    elif status == Refund.Status.CANCELED:
        level, outcome = messages.INFO, "was rejected."
    else:
        level, outcome = (
            messages.SUCCESS,
            "was sent: it settles when the processor confirms it.",
        )
    if approved:
        text = f"Refund of {amount} approved. It {outcome}"
    else:
        text = f"Refund of {amount} {outcome}"
    if not created:
        text = (
            "This refund form was already sent, so no second refund was made. " + text
        )
    messages.add_message(request, level, text)


@p.permission_required(p.REFUNDS_CREATE)
@require_http_methods(["GET", "HEAD", "POST"])
def refund_create(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = selectors.get_payment(merchant=request.merchant, payment_id=payment_id)
    refundable = services.refundable_amount(payment)
    step = request.POST.get("step", STEP_REVIEW) if request.method == "POST" else ""
    if step == STEP_CONFIRM:
        return _confirm_refund(request, payment, refundable)
    if not _can_refund(payment, refundable):
        return _render_form(request, payment, refundable=refundable, form=None)
    if request.method != "POST" or step == STEP_BACK:
        # Back keeps what was typed, including the idempotency key: the
        # form sent again is still one refund.
        initial = (
            request.POST.dict()
            if step == STEP_BACK
            else {
                "amount": format_amount(refundable, payment.currency),
                "idempotency_key": services.new_idempotency_key(),
            }
        )
        initial.pop("step", None)
        form = RefundForm(initial=initial, payment=payment, refundable=refundable)
        return _render_form(request, payment, refundable=refundable, form=form)
    form = RefundForm(request.POST, payment=payment, refundable=refundable)
    return _render_form(
        request, payment, refundable=refundable, form=form, confirm=form.is_valid()
    )


def _confirm_refund(
    request: HttpRequest, payment: Payment, refundable: int
) -> HttpResponse:
    # No upper limit in the form here: a double submit must reach the
    # service, which knows the first refund by its key; the service checks
    # the limit under the payment's lock.
    form = RefundForm(request.POST, payment=payment, refundable=payment.amount)
    if form.is_valid():
        try:
            outcome = services.create_refund(
                payment=payment,
                actor=request.user,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                idempotency_key=form.cleaned_data["idempotency_key"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _outcome_message(request, outcome.refund, created=outcome.created)
            url = reverse("payments:payment_detail", args=[payment.pk])
            return redirect_to(request, url)
    payment.refresh_from_db()
    refundable = services.refundable_amount(payment)
    if not _can_refund(payment, refundable):
        return _render_form(request, payment, refundable=refundable, form=None)
    form.refundable = refundable
    return _render_form(request, payment, refundable=refundable, form=form)


def _rows(refunds: Iterable[Refund], *, tz: tzinfo) -> list[dict[str, Any]]:
    """What each row of the Refunds page shows, as escaped text."""
    payment_url = url_for_ids("payments:payment_detail")
    statuses = dict(Refund.Status.choices)
    reasons = dict(Refund.Reason.choices)
    accounts = dict(Account.choices)
    rows = []
    for refund in refunds:
        created = timezone.localtime(refund.created_at, tz)
        payment = refund.payment
        rows.append(
            escaped_row(
                payment_url=payment_url(refund.payment_id),
                created_iso=created.isoformat(),
                created=short_datetime(created),
                amount=format_money(refund.amount, refund.currency),
                status=refund.status,
                status_label=statuses.get(refund.status, refund.status),
                failure_reason=refund.failure_reason,
                reason=reasons.get(refund.reason, refund.reason),
                note=Truncator(refund.note).chars(80) if refund.note else "",
                payment=payment.reference or payment.processor_ref,
                # None: the processor's own refund, nobody in the firm.
                requested_by=(
                    refund.created_by.full_name if refund.created_by else None
                ),
                account=accounts.get(payment.account, payment.account),
            )
        )
    return rows


@p.permission_required(p.PAYMENTS_VIEW)
@require_safe
def refund_list(request: HttpRequest) -> HttpResponse:
    filter_form = RefundFilterForm(request.GET)
    filters = filter_form.filters()
    page = selectors.list_refunds(
        merchant=request.merchant,
        after=request.GET.get("after") or None,
        before=request.GET.get("before") or None,
        **filters,
    )
    can_approve = request.user.can(p.REFUNDS_APPROVE)
    context = {
        "page": page,
        "rows": _rows(page.rows, tz=request.merchant.tz),
        "filter_form": filter_form,
        "filters": filters,
        "filtered": any(filters.values()),
        "can_approve": can_approve,
        "awaiting": (
            selectors.count_awaiting_approval(merchant=request.merchant)
            if can_approve
            else 0
        ),
    }
    return render_page(request, LIST_TEMPLATE, context, fragment="results")


@p.permission_required(p.REFUNDS_APPROVE)
@require_safe
def approval_list(request: HttpRequest) -> HttpResponse:
    page = selectors.list_awaiting_approval(
        merchant=request.merchant,
        after=request.GET.get("after") or None,
        before=request.GET.get("before") or None,
    )
    return render_page(request, APPROVALS_TEMPLATE, {"page": page}, fragment="results")


def _decide(request: HttpRequest, refund_id: int, *, approve: bool) -> HttpResponse:
    # Look the refund up before the method check: another firm's id is a
    # 404 whatever the method, never a 405 that confirms nothing exists.
    refund = selectors.get_refund(merchant=request.merchant, refund_id=refund_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    decide = services.approve_refund if approve else services.reject_refund
    try:
        refund = decide(refund=refund, actor=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        amount = format_money(refund.amount, refund.currency)
        if not approve:
            messages.success(
                request, f"Refund of {amount} rejected: its amount is free again."
            )
        else:
            _outcome_message(request, refund, created=True, approved=True)
    return redirect_to(request, reverse("payments:approval_list"))


@p.permission_required(p.REFUNDS_APPROVE)
def refund_approve(request: HttpRequest, refund_id: int) -> HttpResponse:
    return _decide(request, refund_id, approve=True)


@p.permission_required(p.REFUNDS_APPROVE)
def refund_reject(request: HttpRequest, refund_id: int) -> HttpResponse:
    return _decide(request, refund_id, approve=False)
