"""The Audit log page: read-only, newest first, filtered, paged by key."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from payportal.accounts.permissions import AUDIT_VIEW, permission_required
from payportal.audit import selectors
from payportal.audit.forms import EventFilterForm
from payportal.core.pagination import keyset_page

PAGE_SIZE = 50


@permission_required(AUDIT_VIEW)
@require_safe
def event_list(request: HttpRequest) -> HttpResponse:
    # The trail is append-only: this page has no way to change or delete an
    # event, and answers anything but GET or HEAD with 405.
    form = EventFilterForm(request.GET or None, merchant=request.merchant)
    filters = {}
    # Bad filters get their message next to the field and the list is shown
    # unfiltered, never a 500.
    if form.is_bound and form.is_valid():
        filters = {
            "actor_id": form.cleaned_data["user"],
            "action": form.cleaned_data["action"],
            "date_from": form.cleaned_data["date_from"],
            "date_to": form.cleaned_data["date_to"],
        }
    events = selectors.list_events(merchant=request.merchant, **filters)
    page = keyset_page(
        events,
        key="id",
        descending=True,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        size=PAGE_SIZE,
    )
    filtered = any(value not in (None, "") for value in filters.values())
    return render(
        request,
        "audit/event_list.html",
        {"form": form, "page": page, "filtered": filtered},
    )
