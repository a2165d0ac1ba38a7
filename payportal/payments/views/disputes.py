"""Chargebacks (being built)."""

from django.http import Http404, HttpRequest, HttpResponse

from payportal.accounts import permissions as p


@p.permission_required(p.PAYMENTS_VIEW)
def dispute_list(request: HttpRequest) -> HttpResponse:
    raise Http404


@p.permission_required(p.PAYMENTS_VIEW)
def dispute_detail(request: HttpRequest, dispute_id: int) -> HttpResponse:
    raise Http404


@p.permission_required(p.DISPUTES_RESPOND)
def evidence_file_add(request: HttpRequest, dispute_id: int) -> HttpResponse:
    raise Http404


@p.permission_required(p.PAYMENTS_VIEW)
def evidence_file_download(
    request: HttpRequest, dispute_id: int, file_id: int
) -> HttpResponse:
    raise Http404


@p.permission_required(p.DISPUTES_RESPOND)
def evidence_file_remove(
    request: HttpRequest, dispute_id: int, file_id: int
) -> HttpResponse:
    raise Http404


@p.permission_required(p.DISPUTES_RESPOND)
def dispute_submit(request: HttpRequest, dispute_id: int) -> HttpResponse:
    raise Http404


@p.permission_required(p.DISPUTES_RESPOND)
def dispute_accept(request: HttpRequest, dispute_id: int) -> HttpResponse:
    raise Http404


@p.permission_required(p.DISPUTES_RESPOND)
def dispute_evidence(request: HttpRequest, dispute_id: int) -> HttpResponse:
    raise Http404
