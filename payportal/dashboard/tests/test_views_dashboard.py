import re
from datetime import UTC, date, datetime, timedelta

import pytest

from payportal.accounts.permissions import ALL_CODES, DASHBOARD_VIEW, PAYMENTS_VIEW
from payportal.accounts.tests.html import field_errors, input_value, text
from payportal.dashboard.selectors import Figures
from payportal.payments.models import Account, DailyTotal, Dispute, Refund
from payportal.payments.tests.factories import (
    DisputeFactory,
    PaymentFactory,
    RefundFactory,
)

pytestmark = pytest.mark.django_db

# 03:00 UTC on 10 Nov is still 9 Nov (22:00) in New York: the firm's today.
NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 9)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def firm(merchant, time_machine):
    time_machine.move_to(NOW, tick=False)
    merchant.time_zone = "America/New_York"
    merchant.save()
    return merchant


def total(merchant, day, account=Account.OPERATING, currency="USD", **figures):
    return DailyTotal.objects.create(
        merchant=merchant, day=day, account=account, currency=currency, **figures
    )


def days_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def chart_days(response) -> int:
    return response.content.decode().count('<g class="chart-day">')


# --- Figures -------------------------------------------------------------------


def test_dashboard_works(admin_client, firm):
    total(
        firm,
        days_ago(0),
        gross=120_000,
        payment_count=3,
        fees=3_570,
        refunded=5_000,
        refund_count=1,
        disputed=20_000,
        dispute_count=1,
        dispute_reversed=20_000,
    )
    total(
        firm,
        days_ago(29),
        Account.TRUST,
        gross=250_000,
        payment_count=2,
        refunded=10_000,
        refund_count=1,
        disputed=30_000,
        dispute_count=1,
    )
    total(firm, days_ago(29), fees=7_280)
    # Outside the 30 days.
    total(firm, days_ago(30), gross=999_999, payment_count=9)

    response = admin_client.get("/")

    assert response.status_code == 200
    assert response.context["period"].start == date(2026, 10, 11)
    assert response.context["period"].end == TODAY
    totals = response.context["totals"]
    assert totals.operating == Figures(
        gross=120_000,
        payment_count=3,
        refunded=5_000,
        refund_count=1,
        disputed=20_000,
        dispute_count=1,
        dispute_reversed=20_000,
        fees=10_850,
    )
    assert totals.trust == Figures(
        gross=250_000,
        payment_count=2,
        refunded=10_000,
        refund_count=1,
        disputed=30_000,
        dispute_count=1,
    )
    # 120,000 - 5,000 - 20,000 + 20,000 - 10,850
    assert totals.operating.net == 104_150
    # 250,000 - 10,000 - 30,000
    assert totals.trust.net == 210_000
    assert totals.total.net == 314_150
    page = text(response)
    assert "<h1>Dashboard</h1>" in page
    assert "Welcome, Ada Admin." in page
    assert (
        '<p class="stat-value">$3,700.00</p>\n      <dl class="stat-split">'
        "<dt>Operating</dt><dd>$1,200.00</dd><dt>Trust</dt><dd>$2,500.00</dd></dl>"
    ) in page
    assert '<p class="stat-value">5</p>' in page
    assert '$150.00 <span class="stat-count">(2)</span>' in page
    assert '$500.00 <span class="stat-count">(2)</span>' in page
    assert "<dt>Won back</dt><dd>$200.00</dd>" in page
    assert (
        '<p class="stat-value">$108.50</p>\n      <dl class="stat-split">'
        "<dt>Operating</dt><dd>$108.50</dd><dt>Trust</dt><dd>$0.00</dd></dl>"
    ) in page
    assert (
        '<p class="stat-value">$3,141.50</p>\n      <dl class="stat-split">'
        "<dt>Operating</dt><dd>$1,041.50</dd><dt>Trust</dt><dd>$2,100.00</dd></dl>"
    ) in page
    assert "days in America/New_York time · amounts in USD" in page


def test_dashboard_counts_trust_fees_against_operating(admin_client, firm):
    total(firm, TODAY, Account.TRUST, gross=10_000, payment_count=1, fees=320)

    totals = admin_client.get("/").context["totals"]

    assert (totals.operating.fees, totals.trust.fees) == (320, 0)
    assert (totals.operating.net, totals.trust.net) == (-320, 10_000)


def test_dashboard_is_empty_without_activity(admin_client, firm):
    response = admin_client.get("/")

    assert response.context["totals"].total == Figures()
    page = text(response)
    assert "No payments in this period." in page
    assert chart_days(response) == 30


def test_dashboard_lists_other_currencies_separately(admin_client, firm):
    total(firm, TODAY, gross=10_000, payment_count=1)
    total(firm, TODAY, currency="EUR", gross=40_000, payment_count=2, fees=900)

    response = admin_client.get("/")

    assert response.context["totals"].total.gross == 10_000
    [eur] = response.context["other_currencies"]
    assert (eur.currency, eur.total.gross, eur.total.net) == ("EUR", 40_000, 39_100)
    page = text(response)
    assert '<h2 id="other-currencies-title" class="card-title">Other currencies' in (
        page
    )
    assert '<th scope="row">EUR</th><td class="num">€400.00</td>' in page


def test_dashboard_shows_only_own_firms_figures(admin_client, firm, other_merchant):
    total(other_merchant, TODAY, gross=777_700, payment_count=7)
    payment = PaymentFactory(merchant=other_merchant, reference="THEIRS-1")
    DisputeFactory(payment=payment, evidence_due_by=NOW + timedelta(days=2))
    RefundFactory(payment=payment)

    response = admin_client.get("/")

    assert response.context["totals"].total == Figures()
    assert response.context["awaiting"] == []
    assert response.context["recent_refunds"] == []
    assert "THEIRS-1" not in text(response)
    assert "$7,777.00" not in text(response)


# --- Periods -------------------------------------------------------------------


def test_dashboard_today_is_the_firms_day(admin_client, firm):
    total(firm, TODAY, gross=1_000, payment_count=1)
    # 10 Nov has begun in UTC but not in New York.
    total(firm, TODAY + timedelta(days=1), gross=5_000, payment_count=1)
    total(firm, TODAY - timedelta(days=1), gross=7_000, payment_count=1)

    response = admin_client.get("/?period=today")

    assert response.context["totals"].total.gross == 1_000
    assert chart_days(response) == 1
    assert '<a href="?period=today"' in text(response)
    assert re.search(
        r'<a href="\?period=today"[^>]*aria-current="true"', text(response)
    )


def test_dashboard_today_follows_the_firms_midnight(admin_client, firm, time_machine):
    total(firm, TODAY, gross=1_000, payment_count=1)
    total(firm, TODAY + timedelta(days=1), gross=5_000, payment_count=1)

    # 04:59:59 UTC is 23:59:59 on 9 Nov in New York; a second later it is 10 Nov.
    time_machine.move_to(datetime(2026, 11, 10, 4, 59, 59, tzinfo=UTC), tick=False)
    assert admin_client.get("/?period=today").context["totals"].total.gross == 1_000
    time_machine.move_to(datetime(2026, 11, 10, 5, 0, 0, tzinfo=UTC), tick=False)
    assert admin_client.get("/?period=today").context["totals"].total.gross == 5_000


def test_dashboard_seven_days_includes_the_seventh_day_back(admin_client, firm):
    total(firm, days_ago(6), gross=1_000, payment_count=1)
    total(firm, days_ago(7), gross=5_000, payment_count=1)

    response = admin_client.get("/?period=7d")

    assert response.context["period"].start == date(2026, 11, 3)
    assert response.context["totals"].total.gross == 1_000
    assert chart_days(response) == 7


def test_dashboard_thirty_days_includes_the_thirtieth_day_back(admin_client, firm):
    total(firm, days_ago(29), gross=1_000, payment_count=1)
    total(firm, days_ago(30), gross=5_000, payment_count=1)

    response = admin_client.get("/?period=30d")

    assert response.context["totals"].total.gross == 1_000
    assert chart_days(response) == 30


def test_dashboard_unknown_period_shows_thirty_days(admin_client, firm):
    response = admin_client.get("/?period=forever")

    assert response.context["period"].key == "30d"
    assert response.context["period"].days == 30


def test_dashboard_chosen_range_includes_both_ends(admin_client, firm):
    total(firm, date(2026, 9, 1), gross=100, payment_count=1)
    total(firm, date(2026, 9, 3), Account.TRUST, gross=200, payment_count=1)
    total(firm, date(2026, 8, 31), gross=400, payment_count=1)
    total(firm, date(2026, 9, 4), gross=800, payment_count=1)

    response = admin_client.get("/?start=2026-09-01&end=2026-09-03")

    assert response.context["period"].key == "range"
    assert response.context["totals"].total.gross == 300
    assert chart_days(response) == 3
    assert input_value(response, "start") == "2026-09-01"
    assert input_value(response, "end") == "2026-09-03"
    page = text(response)
    assert "1 Sep 2026</time> to <time" in page
    assert (
        'aria-current="true"'
        not in page.split('class="segmented"')[1].split("</nav>")[0]
    )


def test_dashboard_range_may_be_one_day(admin_client, firm):
    response = admin_client.get("/?start=2026-09-01&end=2026-09-01")

    assert response.context["period"].days == 1


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("start=2026-13-01&end=2026-09-03", "start", "Enter a valid date."),
        ("start=2026-09-01&end=someday", "end", "Enter a valid date."),
        ("start=2026-09-03&end=2026-09-01", "end", "To can't be before From."),
        (
            "start=2026-09-01&end=",
            "end",
            "Enter a date here too, or leave both dates empty.",
        ),
        (
            "start=&end=2026-09-01",
            "start",
            "Enter a date here too, or leave both dates empty.",
        ),
        (
            "start=2025-09-01&end=2026-09-02",
            "start",
            "Choose a range of at most 366 days.",
        ),
    ],
)
def test_dashboard_shows_error_next_to_field(admin_client, firm, query, field, message):
    response = admin_client.get(f"/?{query}")

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert response.context["period"].key == "30d"
    assert chart_days(response) == 30
    assert "Showing the last 30 days instead." in text(response)


def test_dashboard_keeps_typed_dates_after_an_error(admin_client, firm):
    response = admin_client.get("/?start=2026-09-03&end=2026-09-01")

    assert input_value(response, "start") == "2026-09-03"
    assert input_value(response, "end") == "2026-09-01"


def test_dashboard_range_of_exactly_366_days_is_allowed(admin_client, firm):
    response = admin_client.get("/?start=2025-09-01&end=2026-09-01")

    assert response.context["period"].days == 366
    assert chart_days(response) == 366


# --- Chart ---------------------------------------------------------------------


def test_dashboard_chart_has_a_bar_per_day(admin_client, firm):
    total(firm, days_ago(2), gross=30_000, payment_count=1)
    total(firm, days_ago(2), Account.TRUST, gross=10_000, payment_count=1)
    total(firm, days_ago(0), gross=20_000, payment_count=1)

    response = admin_client.get("/?period=7d")

    page = text(response)
    svg = re.search(r"<svg class=\"chart\".*?</svg>", page, re.S)[0]
    assert 'role="img"' in svg
    assert 'aria-labelledby="volume-chart-title volume-chart-desc"' in svg
    assert (
        '<title id="volume-chart-title">Daily gross volume in USD, operating and '
        "trust stacked</title>"
    ) in svg
    assert "Busiest day 7 Nov 2026: $400.00." in svg
    assert "style=" not in svg
    assert svg.count('<g class="chart-day">') == 7
    assert svg.count('class="bar bar--operating"') == 7
    assert svg.count('class="bar bar--trust"') == 7
    # The busiest day fills the plot: $400 is the top of a $0-$400 axis.
    assert (
        "<title>7 Nov 2026: $400.00 (operating $300.00, trust $100.00)</title>"
        '<rect class="bar bar--operating" x="'
    ) in svg
    assert 'y="62.0" width="' in svg
    assert re.search(
        r'height="150.0"/><rect class="bar bar--trust" x="[\d.]+" '
        r'y="12.0" width="[\d.]+" height="50.0"/>',
        svg,
    )
    assert [label for label in re.findall(r'text-anchor="end"[^>]*>([^<]+)<', svg)] == [
        "$0",
        "$100",
        "$200",
        "$300",
        "$400",
    ]
    assert re.findall(r'text-anchor="middle">([^<]+)<', svg) == [
        "3 Nov",
        "4 Nov",
        "5 Nov",
        "6 Nov",
        "7 Nov",
        "8 Nov",
        "9 Nov",
    ]
    # The same numbers in words, for readers who cannot see the picture.
    table = re.search(
        r'<table class="visually-hidden" id="volume-table">.*?</table>', page, re.S
    )[0]
    assert (
        '<tr><th scope="row">7 Nov 2026</th><td>$300.00</td><td>$100.00</td>'
        "<td>$400.00</td></tr>"
    ) in table
    assert table.count("<tr>") == 8


# --- Panels --------------------------------------------------------------------


def test_dashboard_lists_chargebacks_awaiting_response(admin_client, firm):
    later = DisputeFactory(
        payment=PaymentFactory(merchant=firm),
        amount=5_000,
        evidence_due_by=datetime(2026, 11, 20, 4, 0, tzinfo=UTC),
    )
    # Due 23:59 on 10 Nov in New York: 1 day left.
    soon = DisputeFactory(
        payment=PaymentFactory(merchant=firm),
        amount=7_500,
        reason=Dispute.Reason.DUPLICATE,
        evidence_due_by=datetime(2026, 11, 11, 4, 59, tzinfo=UTC),
    )
    DisputeFactory(
        payment=PaymentFactory(merchant=firm),
        status=Dispute.Status.UNDER_REVIEW,
        evidence_due_by=NOW + timedelta(days=1),
    )

    response = admin_client.get("/")

    assert [(row.dispute, row.days_left) for row in response.context["awaiting"]] == [
        (soon, 1),
        (later, 10),
    ]
    page = text(response)
    assert f'<a href="/chargebacks/{soon.pk}/">' in page
    assert '<span class="badge badge--warning">1 day left</span>' in page
    assert "10 days left" in page
    assert "$75.00" in page
    assert "Duplicate" in page
    assert '<a href="/chargebacks/">All chargebacks</a>' in page
    assert "More chargebacks need a response" not in page


def test_dashboard_marks_overdue_and_due_today(admin_client, firm):
    for due in (
        datetime(2026, 11, 8, 12, 0, tzinfo=UTC),
        # 07:00 today in New York: passed fifteen hours ago.
        datetime(2026, 11, 9, 12, 0, tzinfo=UTC),
        # Exactly now: the time is up.
        NOW,
        # A second later, 22:00:01 in New York: due today.
        NOW + timedelta(seconds=1),
    ):
        DisputeFactory(payment=PaymentFactory(merchant=firm), evidence_due_by=due)

    response = admin_client.get("/")

    assert [(row.days_left, row.overdue) for row in response.context["awaiting"]] == [
        (-1, True),
        (0, True),
        (0, True),
        (0, False),
    ]
    page = text(response)
    assert '<span class="badge badge--locked">Overdue</span>' in page
    assert '<span class="badge badge--warning">Due today</span>' in page


def test_dashboard_lists_five_chargebacks_and_links_to_the_rest(admin_client, firm):
    for days in range(6):
        DisputeFactory(
            payment=PaymentFactory(merchant=firm),
            evidence_due_by=NOW + timedelta(days=days + 1),
        )

    response = admin_client.get("/")

    assert len(response.context["awaiting"]) == 5
    assert response.context["more_awaiting"] is True
    assert "More chargebacks need a response" in text(response)


def test_dashboard_lists_recent_refunds(admin_client, firm):
    payment = PaymentFactory(merchant=firm, reference="MAT-77", client_name="Ann Lee")
    old = RefundFactory(payment=payment, created_at=NOW - timedelta(days=9))
    refunds = [
        RefundFactory(
            payment=payment,
            amount=1_000 + n,
            created_at=NOW - timedelta(hours=n),
            status=Refund.Status.PENDING if n == 0 else Refund.Status.SUCCEEDED,
        )
        for n in range(5)
    ]

    response = admin_client.get("/")

    assert response.context["recent_refunds"] == refunds
    assert old not in response.context["recent_refunds"]
    page = text(response)
    assert f'<a href="/transactions/{payment.pk}/">MAT-77</a>' in page
    assert "Ann Lee" in page
    assert '<span class="badge badge--warning">Pending</span>' in page
    assert '<span class="badge badge--active">Succeeded</span>' in page
    assert "$10.00" in page


def test_dashboard_hides_payment_panels_without_payments_view(
    client_as, user_with, firm
):
    payment = PaymentFactory(merchant=firm, reference="MAT-9")
    RefundFactory(payment=payment)
    DisputeFactory(payment=payment, evidence_due_by=NOW + timedelta(days=3))
    total(firm, TODAY, gross=1_000, payment_count=1)

    response = client_as(user_with(DASHBOARD_VIEW)).get("/")

    assert response.status_code == 200
    assert response.context["totals"].total.gross == 1_000
    page = text(response)
    assert "Chargebacks awaiting a response" not in page
    assert "Recent refunds" not in page
    assert "MAT-9" not in page
    assert "awaiting" not in response.context


def test_dashboard_shows_payment_panels_with_payments_view(client_as, user_with, firm):
    response = client_as(user_with(DASHBOARD_VIEW, PAYMENTS_VIEW)).get("/")

    page = text(response)
    assert "Chargebacks awaiting a response" in page
    assert "No chargebacks are waiting for a response." in page
    assert "Recent refunds" in page


# --- Access --------------------------------------------------------------------


def test_dashboard_shows_login_page_to_anonymous(anon_client):
    response = anon_client.get("/")

    assert response.status_code == 200
    assert "<h1>Sign in</h1>" in text(response)


def test_dashboard_welcomes_user_without_permission(client_as, user_with, firm):
    codes = [code for code in ALL_CODES if code != DASHBOARD_VIEW]
    user = user_with(*codes, full_name="Bo Clerk")

    response = client_as(user).get("/")

    assert response.status_code == 200
    page = text(response)
    assert "<h1>Welcome, Bo Clerk</h1>" in page
    assert '<a href="/transactions/">' in page
    assert "Gross volume" not in page
    assert "totals" not in response.context


def test_dashboard_rejects_post(admin_client, firm):
    response = admin_client.post("/")

    assert response.status_code == 405


def test_dashboard_returns_fragment_for_htmx(admin_client, firm):
    response = admin_client.get("/?period=7d", headers=HTMX)

    page = text(response)
    assert page.lstrip().startswith('<div id="dashboard-body">')
    assert "<html" not in page
    assert "<h1>" not in page
    assert page.count('<g class="chart-day">') == 7
    assert response["Vary"] == "HX-Request, Cookie"


@pytest.mark.parametrize("days", (1, 3))
def test_dashboard_query_count_is_constant(
    db_sessions, admin_client, firm, days, django_assert_num_queries
):
    for n in range(days):
        total(firm, days_ago(n), gross=1_000, payment_count=1, fees=60)
        total(firm, days_ago(n), Account.TRUST, gross=2_000, payment_count=1)
        payment = PaymentFactory(merchant=firm)
        RefundFactory(payment=payment)
        DisputeFactory(payment=payment, evidence_due_by=NOW + timedelta(days=n + 1))

    # Session, user with merchant and role, the totals, the daily volume,
    # the chargebacks, the refunds with their payments, then the session save
    # (savepoint, update, release).
    # +1: the session's check of the user's second factors.
    with django_assert_num_queries(10):
        response = admin_client.get("/")

    assert response.context["totals"].total.payment_count == 2 * days
    assert len(response.context["recent_refunds"]) == days
