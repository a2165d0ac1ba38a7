"""The Transactions pages (being built)."""

from django.http import Http404, HttpRequest, HttpResponse

from payportal.accounts import permissions as p


@p.permission_required(p.PAYMENTS_VIEW)
def payment_list(request: HttpRequest) -> HttpResponse:
    raise Http404


@p.permission_required(p.PAYMENTS_EXPORT)
def payment_export(request: HttpRequest) -> HttpResponse:
    raise Http404


@p.permission_required(p.PAYMENTS_VIEW)
def payment_detail(request: HttpRequest, payment_id: int) -> HttpResponse:
    raise Http404
