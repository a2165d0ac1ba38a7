"""``/``: the login page for a visitor, the dashboard after login."""

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils import timezone

from payportal.accounts.permissions import DASHBOARD_VIEW, PAYMENTS_VIEW
from payportal.accounts.views.auth import login_view
from payportal.core.htmx import render_page
from payportal.core.money import format_money
from payportal.core.templatetags.portal import short_date
from payportal.dashboard import selectors
from payportal.dashboard.charts import Chart, build_volume_chart
from payportal.dashboard.forms import PRESETS, PeriodForm

# How many rows the chargeback and refund panels list.
PANEL_ROWS = 5


def home(request: HttpRequest) -> HttpResponse:
    """The login page for a visitor (GET and its POST), else the dashboard.

    A signed-in user without ``dashboard.view`` gets a short welcome with
    links to what they can open, rather than a 403 on the portal's home.
    """
    if not request.user.is_authenticated:
        return login_view(request)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if not request.user.can(DASHBOARD_VIEW):
        return render(request, "dashboard/welcome.html")
    return _dashboard(request)


def _bars(chart: Chart, *, currency: str) -> list[dict[str, Any]]:
    """Each day's bar with its texts worked out here: the chart and its
    table show up to 366 days, three amounts and a date each, and the
    template's filters were most of the page's time (issue 5)."""
    return [
        {
            "x": bar.x,
            "width": bar.width,
            "operating_y": bar.operating_y,
            "operating_height": bar.operating_height,
            "trust_y": bar.trust_y,
            "trust_height": bar.trust_height,
            "day": short_date(bar.day),
            "operating": format_money(bar.operating, currency),
            "trust": format_money(bar.trust, currency),
            "total": format_money(bar.total, currency),
        }
        for bar in chart.bars
    ]


def _dashboard(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant
    now = timezone.now()
    today = selectors.today_for(merchant=merchant, now=now)
    form = PeriodForm(request.GET, today=today)
    period = form.period()
    totals, other_currencies = selectors.get_totals(
        merchant=merchant, start=period.start, end=period.end
    )
    days = selectors.get_daily_volume(
        merchant=merchant, start=period.start, end=period.end
    )
    chart = build_volume_chart(days, currency=merchant.currency)
    context = {
        "form": form,
        "period": period,
        "presets": [
            {"key": key, "label": label, "current": key == period.key}
            for key, (label, _days) in PRESETS.items()
        ],
        "currency": merchant.currency,
        "totals": totals,
        "other_currencies": other_currencies,
        "chart": chart,
        "bars": _bars(chart, currency=merchant.currency),
        "show_payments": request.user.can(PAYMENTS_VIEW),
    }
    if context["show_payments"]:
        awaiting = selectors.list_disputes_awaiting_response(
            merchant=merchant, now=now, limit=PANEL_ROWS
        )
        context["awaiting"] = awaiting[:PANEL_ROWS]
        context["more_awaiting"] = len(awaiting) > PANEL_ROWS
        context["recent_refunds"] = selectors.list_recent_refunds(
            merchant=merchant, limit=PANEL_ROWS
        )
    return render_page(
        request, "dashboard/dashboard.html", context, fragment="dashboard-body"
    )
