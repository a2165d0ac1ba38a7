"""The firm's Settings page (being built)."""

from django.http import Http404, HttpRequest, HttpResponse

from payportal.accounts import permissions as p


@p.permission_required(p.SETTINGS_MANAGE)
def settings_detail(request: HttpRequest) -> HttpResponse:
    raise Http404
