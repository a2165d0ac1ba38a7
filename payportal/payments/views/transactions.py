"""The Transactions pages: the list, its CSV export and the payment record.

Every view needs payments.view (the export payments.export); another
firm's payment is a 404.
"""

from collections.abc import Iterable
from datetime import tzinfo
from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    StreamingHttpResponse,
)
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from payportal.accounts import permissions as p
from payportal.audit import actions
from payportal.audit.services import record_event
from payportal.core.exports import csv_line_chunks
from payportal.core.htmx import render_page, wants_fragment
from payportal.core.money import format_money
from payportal.core.templatetags.portal import (
    escaped_row,
    short_datetime,
    url_for_ids,
)
from payportal.payments.forms.transactions import (
    TransactionFilterForm,
    describe_filters,
)
from payportal.payments.models import Account, Payment
from payportal.payments.selectors import payments as selectors
from payportal.payments.templatetags.payments import card_mask

LIST_TEMPLATE = "payments/transactions/list.html"
RECORD_TEMPLATE = "payments/transactions/detail.html"
# The sortable columns: (sort name, heading).
SORTABLE_COLUMNS = (("date", "Date"), ("amount", "Amount"))
# The filters a person can set; "sort" is kept too, cursors are not.
FILTER_PARAMS = (
    "q",
    "date_from",
    "date_to",
    "status",
    "amount_min",
    "amount_max",
    "last4",
    "account",
    "sort",
)
EXPORT_HEADER = (
    "Date",
    "Amount",
    "Currency",
    "Status",
    "Account",
    "Card brand",
    "Last four",
    "Expiry",
    "Cardholder",
    "Payer email",
    "Client",
    "Reference",
    "Description",
    "Fee",
    "Refunded",
    "Processor reference",
)


def _sort_columns(sort: str) -> dict[str, dict[str, Any]]:
    """Per sortable column: the ``sort`` its heading links to, and aria-sort.

    A column not in use sorts its natural way first: newest, largest.
    """
    active, descending = selectors.parse_sort(sort)
    columns = {}
    for name, label in SORTABLE_COLUMNS:
        if name == active:
            following = name if descending else f"-{name}"
            aria_sort = "descending" if descending else "ascending"
        else:
            following, aria_sort = f"-{name}", ""
        columns[name] = {
            "label": label,
            "next": following,
            "aria_sort": aria_sort,
            "num": name == "amount",
        }
    return columns


def _filter_query(request: HttpRequest) -> str:
    """The filters typed on the page, as a query string (no cursors)."""
    params = [
        (name, value)
        for name in FILTER_PARAMS
        if (value := request.GET.get(name, "").strip())
    ]
    return "?" + urlencode(params) if params else ""


def _rows(payments: Iterable[Payment], *, tz: tzinfo) -> list[dict[str, Any]]:
    """What each row of the list shows, as escaped text."""
    record_url = url_for_ids("payments:payment_detail")
    statuses = dict(Payment.Status.choices)
    accounts = dict(Account.choices)
    rows = []
    for payment in payments:
        created = timezone.localtime(payment.created_at, tz)
        rows.append(
            escaped_row(
                url=record_url(payment.pk),
                created_iso=created.isoformat(),
                created=short_datetime(created),
                amount=format_money(payment.amount, payment.currency),
                status=payment.status,
                status_label=statuses.get(payment.status, payment.status),
                card=(
                    card_mask(payment.card_brand, payment.card_last4)
                    if payment.card_last4
                    else ""
                ),
                payer=payment.cardholder_name or payment.payer_email or "—",
                reference=payment.reference or "—",
                account=accounts.get(payment.account, payment.account),
            )
        )
    return rows


@p.permission_required(p.PAYMENTS_VIEW)
@require_safe
def payment_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant
    form = TransactionFilterForm(request.GET, currency=merchant.currency)
    filters = form.filters()
    page = selectors.list_payments(
        merchant=merchant,
        after=request.GET.get("after") or None,
        before=request.GET.get("before") or None,
        **filters,
    )
    context = {
        "form": form,
        "page": page,
        "rows": _rows(page.rows, tz=merchant.tz),
        "sort": filters["sort"],
        "filtered": any(
            value not in (None, "") for name, value in filters.items() if name != "sort"
        ),
        "paged": bool(request.GET.get("after") or request.GET.get("before")),
        "columns": _sort_columns(filters["sort"]),
        "filter_query": _filter_query(request),
        "fragment": wants_fragment(request),
        "can_export": request.user.can(p.PAYMENTS_EXPORT),
    }
    return render_page(request, LIST_TEMPLATE, context, fragment="results")


@p.permission_required(p.PAYMENTS_EXPORT)
@require_safe
def payment_export(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant
    form = TransactionFilterForm(request.GET, currency=merchant.currency)
    filters = form.filters()
    record_event(
        action=actions.PAYMENTS_EXPORTED,
        merchant=merchant,
        actor=request.user,
        request=request,
        target_type="payments",
        target_label="Transactions CSV",
        changes={
            "filters": [None, describe_filters(filters, currency=merchant.currency)]
        },
    )
    lines = selectors.iter_payments_for_export(merchant=merchant, **filters)
    response = StreamingHttpResponse(
        csv_line_chunks(EXPORT_HEADER, lines),
        content_type="text/csv; charset=utf-8",
    )
    today = timezone.localdate(timezone=merchant.tz).isoformat()
    filename = f"{slugify(merchant.name) or 'firm'}-transactions-{today}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@p.permission_required(p.PAYMENTS_VIEW)
def payment_detail(request: HttpRequest, payment_id: int) -> HttpResponse:
    # Fetch first: another firm's id is a 404 whatever the method.
    payment = selectors.get_payment(merchant=request.merchant, payment_id=payment_id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    record = selectors.payment_record(payment)
    context = {
        "record": record,
        "payment": record.payment,
        "show_refund": record.can_be_refunded and request.user.can(p.REFUNDS_CREATE),
    }
    return render_page(request, RECORD_TEMPLATE, context)
