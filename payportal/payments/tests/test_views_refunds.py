import re

import pytest

from payportal.accounts.permissions import ALL_CODES
from payportal.accounts.tests.html import field_errors, input_value, text
from payportal.payments.models import Account, Payment, Refund
from payportal.payments.services.refunds import create_refund, new_idempotency_key
from payportal.payments.tests import sandbox_events
from payportal.payments.tests.factories import PaymentFactory, RefundFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def payment(merchant):
    return sandbox_events.payment_succeeded(
        merchant, amount=10_000, reference="MAT-2041"
    )


@pytest.fixture
def theirs(other_merchant):
    return PaymentFactory(merchant=other_merchant)


@pytest.fixture
def requester(user_with):
    return user_with(
        "payments.view", "refunds.create", username="req", full_name="Rae Quest"
    )


@pytest.fixture
def waiting(merchant, payment, requester):
    merchant.refund_approval_enabled = True
    merchant.refund_approval_threshold = 1_000
    merchant.save()
    return create_refund(
        payment=payment,
        actor=requester,
        amount=6_000,
        reason="other",
        note="Goodwill",
        idempotency_key=new_idempotency_key(),
    ).refund


def without(client_as, user_with, code):
    return client_as(user_with(*[c for c in ALL_CODES if c != code]))


def url(payment):
    return f"/transactions/{payment.pk}/refund/"


def form(key="k1", **overrides):
    data = {
        "amount": "12.50",
        "reason": "requested_by_customer",
        "note": "",
        "idempotency_key": key,
        "step": "review",
    }
    data.update(overrides)
    return data


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# --- Refund form ------------------------------------------------------------


def test_refund_create_works(admin_client, payment):
    response = admin_client.get(url(payment))

    assert response.status_code == 200
    page = text(response)
    assert "<h1>Refund MAT-2041</h1>" in page
    assert "Amount and reason" in page
    assert input_value(response, "amount") == "100.00"
    key = input_value(response, "idempotency_key")
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert "<legend>Reason</legend>" in page
    for label in ("Duplicate", "Fraudulent", "Requested by customer", "Other"):
        assert label in page
    assert '<label for="id_note">Note</label>' in page
    assert "Review refund" in page


def test_refund_create_redirects_anonymous_to_login(anon_client, payment):
    response = anon_client.get(url(payment))

    assert response.status_code == 302
    assert response["Location"] == f"/?next={url(payment)}"


def test_refund_create_404s_for_other_merchant(admin_client, theirs):
    assert admin_client.get(url(theirs)).status_code == 404
    assert admin_client.post(url(theirs), form(step="confirm")).status_code == 404
    assert Refund.objects.count() == 0


def test_refund_create_403s_without_permission(client_as, user_with, payment):
    client = without(client_as, user_with, "refunds.create")

    assert client.get(url(payment)).status_code == 403
    assert client.post(url(payment), form(step="confirm")).status_code == 403
    assert Refund.objects.count() == 0


def test_refund_create_rejects_put(admin_client, payment):
    admin_client.get(url(payment))
    token = admin_client.cookies["csrftoken"].value

    response = admin_client.put(url(payment), headers={"X-CSRFToken": token})

    assert response.status_code == 405


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the amount to refund."),
        ("ten", "Enter an amount like 12.50."),
        ("1.005", "Enter an amount like 12.50."),
        ("0", "Enter an amount greater than 0."),
        ("-5", "Enter an amount greater than 0."),
        ("100.01", "At most $100.00 can be refunded."),
    ],
)
def test_refund_create_shows_error_next_to_field(admin_client, payment, typed, message):
    response = admin_client.post(url(payment), form(amount=typed))

    assert response.status_code == 200
    assert field_errors(response, "amount") == [message]
    assert input_value(response, "amount") == (typed or None)
    assert Refund.objects.count() == 0


def test_refund_create_other_needs_a_note(admin_client, payment):
    response = admin_client.post(url(payment), form(reason="other", note=" "))

    assert field_errors(response, "note") == [
        "Say why in a note when the reason is Other."
    ]
    assert field_errors(response, "reason") == []


def test_refund_create_needs_a_reason(admin_client, payment):
    response = admin_client.post(url(payment), form(reason=""))

    assert field_errors(response, "reason") == ["Choose a reason."]


def test_refund_create_returns_fragment_for_htmx(admin_client, payment):
    response = admin_client.post(url(payment), form(), headers=HTMX)

    page = text(response)
    assert "<html" not in page
    assert "<h1>" not in page
    assert page.strip().startswith("<form")
    assert "Confirm the refund" in page
    assert "HX-Request" in response["Vary"]


def test_refund_create_confirmation_states_amount_payment_account(
    admin_client, merchant
):
    trust = sandbox_events.payment_succeeded(
        merchant, amount=10_000, account=Account.TRUST, reference="MAT-7"
    )

    response = admin_client.post(url(trust), form(amount="12.5"))

    page = text(response)
    assert "Confirm the refund" in page
    assert "Refund <strong>$12.50</strong> of payment MAT-7" in page
    assert "<dt>Deposit account</dt>" in page and ">Trust</span>" in page
    assert "No approval needed" in page
    assert re.search(
        r'<button[^>]*value="confirm"[^>]*>.*Refund \$12.50</button>', page, re.S
    )
    assert re.search(r'<button[^>]*value="back"[^>]*>.*Back</button>', page, re.S)
    assert '<input type="hidden" name="amount" value="12.5">' in page
    assert Refund.objects.count() == 0


def test_refund_create_confirmation_says_when_approval_is_needed(
    admin_client, merchant, payment
):
    merchant.refund_approval_enabled = True
    merchant.refund_approval_threshold = 1_000
    merchant.save()

    page = text(admin_client.post(url(payment), form(amount="10.01")))

    assert "Needs approval" in page
    assert "A second person who can approve refunds must approve it" in page


def test_refund_create_back_keeps_what_was_typed(admin_client, payment):
    response = admin_client.post(
        url(payment), form(amount="7.25", reason="other", note="Goodwill", step="back")
    )

    assert input_value(response, "amount") == "7.25"
    assert input_value(response, "idempotency_key") == "k1"
    page = text(response)
    assert re.search(r'value="other"[^>]*checked', page)
    assert ">\nGoodwill</textarea>" in page
    assert field_errors(response, "amount") == []


def test_refund_create_confirm_refunds_and_redirects(admin_client, payment):
    response = admin_client.post(url(payment), form(step="confirm"), follow=False)

    assert response.status_code == 302
    assert response["Location"] == f"/transactions/{payment.pk}/"
    refund = Refund.objects.get()
    assert refund.amount == 1_250
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.created_by.username == "admin"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    messages = [str(m) for m in admin_client.get("/refunds/").context["messages"]]
    assert messages == ["Refund of $12.50 succeeded."]


def test_refund_create_htmx_confirm_redirects_the_whole_page(admin_client, payment):
    response = admin_client.post(url(payment), form(step="confirm"), headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/transactions/{payment.pk}/"


def test_refund_create_failed_refund_says_why(admin_client, payment):
    admin_client.post(url(payment), form(amount="10.13", step="confirm"))

    messages = [str(m) for m in admin_client.get("/refunds/").context["messages"]]
    assert messages == ["Refund of $10.13 failed: The card was closed."]
    assert Refund.objects.get().status == Refund.Status.FAILED


def test_refund_create_waiting_for_approval_message(admin_client, merchant, payment):
    merchant.refund_approval_enabled = True
    merchant.refund_approval_threshold = 0
    merchant.save()

    admin_client.post(url(payment), form(step="confirm"))

    messages = [str(m) for m in admin_client.get("/refunds/").context["messages"]]
    assert messages == [
        "Refund of $12.50 is waiting for approval by a second person who can "
        "approve refunds."
    ]


def test_refund_create_double_submit_makes_one_refund(admin_client, payment):
    first = admin_client.post(url(payment), form(amount="100.00", step="confirm"))
    second = admin_client.post(url(payment), form(amount="100.00", step="confirm"))

    assert first["Location"] == second["Location"] == f"/transactions/{payment.pk}/"
    assert Refund.objects.count() == 1
    messages = [str(m) for m in admin_client.get("/refunds/").context["messages"]]
    assert messages == [
        "Refund of $100.00 succeeded.",
        "This refund form was already sent, so no second refund was made. "
        "Refund of $100.00 succeeded.",
    ]


def test_refund_create_service_error_lands_next_to_field(admin_client, payment, admin):
    # Someone else refunded most of it between the form and the confirmation.
    create_refund(
        payment=payment,
        actor=admin,
        amount=9_000,
        reason="duplicate",
        idempotency_key="other-form",
    )

    response = admin_client.post(url(payment), form(amount="12.50", step="confirm"))

    assert response.status_code == 200
    assert field_errors(response, "amount") == ["At most $10.00 can be refunded."]
    assert input_value(response, "amount") == "12.50"
    assert Refund.objects.count() == 1


@pytest.mark.parametrize("status", ["pending", "failed", "refunded"])
def test_refund_create_not_refundable_shows_a_message_and_no_form(
    admin_client, merchant, status
):
    payment = PaymentFactory(merchant=merchant, status=status)

    response = admin_client.get(url(payment))

    page = text(response)
    assert response.status_code == 200
    assert response.context["form"] is None
    assert 'name="amount"' not in page
    assert "cannot be refunded" in page or "refunded in full" in page
    post = admin_client.post(url(payment), form())
    assert 'name="amount"' not in text(post)


# --- Refunds page ------------------------------------------------------------


def test_refund_list_works(admin_client, payment, admin, waiting):
    RefundFactory(payment=payment, amount=500, status="succeeded")

    response = admin_client.get("/refunds/")

    page = text(response)
    assert "<h1>Refunds</h1>" in page
    headings = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', page)
    assert headings == [
        "Date",
        "Amount",
        "Status",
        "Reason",
        "Payment",
        "Requested by",
        "Account",
    ]
    rows = response.context["page"].rows
    assert [r.amount for r in rows] == [6_000, 500]
    assert "Rae Quest" in page
    assert "At the processor" in page
    assert f'href="/transactions/{payment.pk}/"' in page
    assert 'href="/refunds/approvals/"' in page
    assert re.search(r'aria-label="1 waiting">1</span>', page)


def test_refund_list_hides_the_approvals_tab_without_permission(
    client_as, user_with, waiting
):
    client = client_as(user_with("payments.view"))

    page = text(client.get("/refunds/"))

    assert "/refunds/approvals/" not in page


def test_refund_list_redirects_anonymous_to_login(anon_client):
    assert anon_client.get("/refunds/")["Location"] == "/?next=/refunds/"


def test_refund_list_403s_without_permission(client_as, user_with):
    client = without(client_as, user_with, "payments.view")

    assert client.get("/refunds/").status_code == 403


def test_refund_list_rejects_post(admin_client):
    assert admin_client.post("/refunds/").status_code == 405


def test_refund_list_shows_only_the_merchants_refunds(admin_client, theirs):
    RefundFactory(payment=theirs)

    assert admin_client.get("/refunds/").context["page"].rows == []


def test_refund_list_returns_fragment_for_htmx(admin_client, payment):
    RefundFactory(payment=payment)

    response = admin_client.get("/refunds/?status=succeeded", headers=HTMX)

    page = text(response)
    assert "<html" not in page and "<h1>" not in page
    assert '<table class="data refund-table">' in page
    assert "HX-Request" in response["Vary"]


def test_refund_list_filters(admin_client, merchant, payment):
    merchant.time_zone = "America/New_York"
    merchant.save()
    from datetime import UTC, datetime

    # 03:00 UTC on 5 Nov is still 4 Nov in New York.
    early = RefundFactory(
        payment=payment,
        reason="duplicate",
        status="failed",
        created_at=datetime(2026, 11, 5, 3, 0, tzinfo=UTC),
    )
    late = RefundFactory(
        payment=payment,
        reason="other",
        note="x",
        status="succeeded",
        processor_ref="re_findme",
        created_at=datetime(2026, 11, 5, 15, 0, tzinfo=UTC),
    )

    def ids(query):
        return [
            r.pk for r in admin_client.get("/refunds/" + query).context["page"].rows
        ]

    assert ids("?status=failed") == [early.pk]
    assert ids("?reason=other") == [late.pk]
    assert ids("?date_from=2026-11-05") == [late.pk]
    assert ids("?date_to=2026-11-04") == [early.pk]
    assert ids("?q=re_findme") == [late.pk]
    assert ids("?q=mat-20") == [late.pk, early.pk]
    assert ids("?q=nothing") == []


def test_refund_list_shows_error_next_to_field(admin_client):
    response = admin_client.get("/refunds/?date_from=2026-11-05&date_to=2026-11-01")

    assert "The To date must not be before the From date." in text(response)
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [1, 3])
def test_refund_list_query_count_is_constant(
    db_sessions, admin_client, payment, rows, django_assert_num_queries
):
    RefundFactory.create_batch(rows, payment=payment, amount=100)

    # The session (read and its idle-timeout update), the user with role
    # and firm, one page of refunds, the count waiting for approval.
    # +1: the session's check of the user's second factors.
    with django_assert_num_queries(8):
        response = admin_client.get("/refunds/")

    assert len(response.context["page"].rows) == rows


# --- Approvals ----------------------------------------------------------------


def test_approval_list_works(admin_client, waiting, payment):
    response = admin_client.get("/refunds/approvals/")

    page = text(response)
    assert "<h1>Waiting for approval</h1>" in page
    assert [r.pk for r in response.context["page"].rows] == [waiting.pk]
    assert "$60.00" in page and "MAT-2041" in page and "Rae Quest" in page
    assert "Goodwill" in page and "Operating" in page
    assert f'action="/refunds/{waiting.pk}/approve/"' in page
    assert f'action="/refunds/{waiting.pk}/reject/"' in page
    assert 'data-confirm="Approve the refund of $60.00?' in page


def test_approval_list_redirects_anonymous_to_login(anon_client):
    assert anon_client.get("/refunds/approvals/").status_code == 302


def test_approval_list_403s_without_permission(client_as, user_with):
    client = without(client_as, user_with, "refunds.approve")

    assert client.get("/refunds/approvals/").status_code == 403


def test_approval_list_rejects_post(admin_client):
    assert admin_client.post("/refunds/approvals/").status_code == 405


def test_approval_list_404s_for_other_merchant_rows(admin_client, theirs):
    RefundFactory(payment=theirs, status="awaiting_approval")

    assert admin_client.get("/refunds/approvals/").context["page"].rows == []


def test_approval_list_returns_fragment_for_htmx(admin_client, waiting):
    response = admin_client.get("/refunds/approvals/", headers=HTMX)

    page = text(response)
    assert "<html" not in page and "<h1>" not in page
    assert "approval-table" in page


@pytest.mark.parametrize("rows", [1, 3])
def test_approval_list_query_count_is_constant(
    db_sessions, admin_client, payment, rows, django_assert_num_queries
):
    RefundFactory.create_batch(rows, payment=payment, status="awaiting_approval")

    # +1: the session's check of the user's second factors.
    with django_assert_num_queries(7):
        response = admin_client.get("/refunds/approvals/")

    assert len(response.context["page"].rows) == rows


def test_refund_approve_works(admin_client, waiting, payment):
    response = admin_client.post(f"/refunds/{waiting.pk}/approve/")

    assert response.status_code == 302
    assert response["Location"] == "/refunds/approvals/"
    waiting.refresh_from_db()
    assert waiting.status == Refund.Status.SUCCEEDED
    assert waiting.approved_by.username == "admin"
    assert messages_of(admin_client.get("/refunds/approvals/")) == [
        "Refund of $60.00 approved. It succeeded."
    ]


def test_refund_reject_works(admin_client, waiting):
    response = admin_client.post(f"/refunds/{waiting.pk}/reject/")

    assert response["Location"] == "/refunds/approvals/"
    waiting.refresh_from_db()
    assert waiting.status == Refund.Status.CANCELED
    assert messages_of(admin_client.get("/refunds/approvals/")) == [
        "Refund of $60.00 rejected: its amount is free again."
    ]


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_refund_decision_by_the_requester_changes_nothing(
    client_as, user_with, merchant, payment, action
):
    merchant.refund_approval_enabled = True
    merchant.refund_approval_threshold = 0
    merchant.save()
    both = user_with("refunds.create", "refunds.approve", "payments.view")
    own = create_refund(
        payment=payment,
        actor=both,
        amount=100,
        reason="duplicate",
        idempotency_key="k",
    ).refund
    client = client_as(both)

    response = client.post(f"/refunds/{own.pk}/{action}/")

    assert response.status_code == 302
    own.refresh_from_db()
    assert own.status == Refund.Status.AWAITING_APPROVAL
    assert messages_of(client.get("/refunds/approvals/")) == [
        "A refund must be approved by someone other than the person who asked for it."
    ]


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_refund_decision_rejects_get(admin_client, waiting, action):
    assert admin_client.get(f"/refunds/{waiting.pk}/{action}/").status_code == 405


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_refund_decision_404s_for_other_merchant(admin_client, theirs, action):
    refund = RefundFactory(payment=theirs, status="awaiting_approval")

    assert admin_client.post(f"/refunds/{refund.pk}/{action}/").status_code == 404
    refund.refresh_from_db()
    assert refund.status == "awaiting_approval"


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_refund_decision_403s_without_permission(client_as, user_with, waiting, action):
    client = without(client_as, user_with, "refunds.approve")

    assert client.post(f"/refunds/{waiting.pk}/{action}/").status_code == 403


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_refund_decision_redirects_anonymous_to_login(anon_client, waiting, action):
    assert anon_client.post(f"/refunds/{waiting.pk}/{action}/").status_code == 302


def test_refund_decision_returns_client_redirect_for_htmx(admin_client, waiting):
    response = admin_client.post(f"/refunds/{waiting.pk}/reject/", headers=HTMX)

    assert response["HX-Redirect"] == "/refunds/approvals/"
