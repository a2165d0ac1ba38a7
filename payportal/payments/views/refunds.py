"""Refunds and approvals (being built)."""

from django.http import Http404, HttpRequest, HttpResponse

from payportal.accounts import permissions as p


@p.permission_required(p.REFUNDS_CREATE)
def refund_create(request: HttpRequest, payment_id: int) -> HttpResponse:
    raise Http404


@p.permission_required(p.PAYMENTS_VIEW)
def refund_list(request: HttpRequest) -> HttpResponse:
    raise Http404


@p.permission_required(p.REFUNDS_APPROVE)
def approval_list(request: HttpRequest) -> HttpResponse:
    raise Http404


@p.permission_required(p.REFUNDS_APPROVE)
def refund_approve(request: HttpRequest, refund_id: int) -> HttpResponse:
    raise Http404


@p.permission_required(p.REFUNDS_APPROVE)
def refund_reject(request: HttpRequest, refund_id: int) -> HttpResponse:
    raise Http404
