"""The Audit log page and its export: read-only, the firm's events only.

Reading the log and exporting it are themselves audited (PCI DSS 10.2.1.3).
"""

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from payportal.accounts.permissions import AUDIT_VIEW, permission_required
from payportal.audit import actions, exports, selectors
from payportal.audit.forms import EventFilterForm, ExportForm
from payportal.audit.services import record_event
from payportal.core.pagination import keyset_page

PAGE_SIZE = 50


def _described(filters: dict, request: HttpRequest) -> dict[str, str]:
    """What was asked for, as the audit event's ``changes`` show it."""
    shown = {
        name: str(value) for name, value in filters.items() if value not in (None, "")
    }
    for cursor in ("after", "before"):
        if request.GET.get(cursor):
            shown["page"] = f"{cursor} {request.GET[cursor][:40]}"
    return shown


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
    # Recorded after the page is read, so it shows from the next view on.
    record_event(
        action=actions.AUDIT_VIEWED,
        merchant=request.merchant,
        actor=request.user,
        request=request,
        target_type="audit_log",
        target_label="Audit log",
        changes={"filters": [None, _described(filters, request)]},
    )
    filtered = any(value not in (None, "") for value in filters.values())
    return render(
        request,
        "audit/event_list.html",
        {"form": form, "page": page, "filtered": filtered},
    )


@permission_required(AUDIT_VIEW)
@require_safe
def event_export(request: HttpRequest) -> HttpResponse:
    """The firm's events in a date range (firm's days) as CSV or JSON.

    Bad filters go back to the Audit log page, which shows each message
    next to its field with what was typed.
    """
    merchant = request.merchant
    form = ExportForm(request.GET, merchant=merchant)
    if not form.is_valid():
        query = request.GET.copy()
        query.pop("format", None)
        return HttpResponseRedirect(
            f"{reverse('audit:event_list')}?{query.urlencode()}"
        )
    data = form.cleaned_data
    date_from, date_to, kind = data["date_from"], data["date_to"], data["format"]
    record_event(
        action=actions.AUDIT_EXPORTED,
        merchant=merchant,
        actor=request.user,
        request=request,
        target_type="audit_log",
        target_label=f"Audit log {kind.upper()}",
        changes={
            "range": [None, exports.describe_range(date_from, date_to)],
            "time_zone": [None, merchant.time_zone],
            "format": [None, kind],
            "filters": [
                None,
                {
                    name: str(data[name])
                    for name in ("user", "action")
                    if data[name] not in (None, "")
                },
            ],
        },
    )
    events = selectors.list_events(
        merchant=merchant,
        actor_id=data["user"],
        action=data["action"],
        date_from=date_from,
        date_to=date_to,
        tz=merchant.tz,
    )
    if kind == "json":
        header = {
            "firm": {"id": merchant.pk, "name": merchant.name},
            "time_zone": merchant.time_zone,
            "from": date_from.isoformat() if date_from else None,
            "to": date_to.isoformat() if date_to else None,
            "filters": {
                "user": data["user"],
                "action": data["action"] or None,
            },
            "exported_at": timezone.now().isoformat(),
            "exported_by": request.user.username,
            "hash": (
                "hash = hex(SHA-256(prev_hash + canonical JSON of fields)); "
                "canonical JSON: sorted keys, separators (',', ':'), ASCII "
                "escapes. Check with: payportal audit verify --file FILE"
            ),
        }
        content = exports.json_chunks(events, tz=merchant.tz, header=header)
        content_type = "application/json"
    else:
        content = exports.csv_lines(events, tz=merchant.tz)
        content_type = "text/csv; charset=utf-8"
    response = StreamingHttpResponse(content, content_type=content_type)
    today = timezone.localdate(timezone=merchant.tz).isoformat()
    filename = f"{slugify(merchant.name) or 'firm'}-audit-log-{today}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
