"""No free-text field takes a card number (PCI DSS 3.3, 3.4).

The validator itself, then every form a person fills and the services a
command calls: each refuses a Luhn-valid run of 13-19 digits with the
message next to its field, and keeps what was typed.
"""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from payportal.accounts.models import Role, User
from payportal.accounts.services import users as user_services
from payportal.accounts.tests.factories import RoleFactory, UserFactory
from payportal.accounts.tests.html import field_errors, input_value, text
from payportal.core.validators import (
    CARD_NUMBER_MESSAGE,
    contains_card_number,
    luhn_valid,
    redact_card_numbers,
    reject_card_numbers,
)
from payportal.merchants import services as merchant_services
from payportal.merchants.models import Merchant
from payportal.payments.tests import sandbox_events

PAN_13 = "4222222222222"
PAN_15 = "378282246310005"
PAN_16 = "4111111111111111"
PAN_19 = "6221260000000000001"
LUHN_12 = "411111111117"
LUHN_20 = "41111111111111111115"
NOT_LUHN_16 = "4111111111111112"
PASSWORD = "Copper-kettle-42-morning"  # noqa: S105


# --- The validator ------------------------------------------------------------


def test_luhn_valid_knows_the_test_card_numbers():
    assert [luhn_valid(n) for n in (PAN_13, PAN_15, PAN_16, PAN_19)] == [True] * 4
    assert luhn_valid(NOT_LUHN_16) is False


@pytest.mark.parametrize(
    "value",
    [
        PAN_13,
        PAN_15,
        PAN_16,
        PAN_19,
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "3782 822463 10005",
        "6221 2600 0000 0000 001",
        "Card 4111111111111111 exp 12/29",
        "client paid with 4111 1111 1111 1111.",
        # A 20-digit run with a card number in its groups: the year is not
        # part of the card.
        "Invoice 2024 4111 1111 1111 1111",
        # Full-width digits are digits too.
        "４１１１１１１１１１１１１１１１",
        "ref:4111111111111111",
    ],
)
def test_reject_card_numbers_refuses_card_numbers(value):
    with pytest.raises(ValidationError) as exc:
        reject_card_numbers(value)

    assert exc.value.messages == [CARD_NUMBER_MESSAGE]
    assert exc.value.code == "card_number"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Jordan Client",
        NOT_LUHN_16,
        "4111 1111 1111 1112",
        LUHN_12,
        LUHN_20,
        "Invoice 2024-0001, matter MAT-2041, phone +1 555 123 4567",
        # Two separators in a row end the run: these are two short numbers.
        "4111 1111  1111 1111",
        "Paid 1,250.00 on 2026-11-01 (last four 4242)",
    ],
)
def test_reject_card_numbers_accepts_other_text(value):
    assert reject_card_numbers(value) is None


def test_contains_card_number_ignores_values_that_are_not_text():
    assert contains_card_number(None) is False
    assert contains_card_number(4111111111111111) is False


def test_redact_card_numbers_masks_all_but_the_last_four_digits():
    assert redact_card_numbers("Jo 4111 1111 1111 1111 x") == "Jo •••• •••• •••• 1111 x"
    assert redact_card_numbers(f"A{PAN_15}") == "A•••••••••••0005"
    assert redact_card_numbers("Invoice 2024-0001") == "Invoice 2024-0001"
    assert redact_card_numbers("") == ""


# --- Forms: the message next to the field -----------------------------------


@pytest.fixture
def clerk_role(merchant):
    return RoleFactory(merchant=merchant, name="Clerk", permissions=["payments.view"])


@pytest.fixture
def jo(merchant, admin, clerk_role):
    return UserFactory(
        merchant=merchant,
        role=clerk_role,
        username="jo2",
        full_name="Jo Doe",
        email="jo@firm.com",
        created_by=admin,
    )


def add_user_form(role, **overrides):
    data = {
        "role": role.pk,
        "username": "jo3",
        "password_mode": "password",
        "password": PASSWORD,
        "confirm_password": PASSWORD,
        "full_name": "Jo Doe",
        "email": "jo3@firm.com",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("full_name", "Jo 4111 1111 1111 1111"),
        ("email", "4111111111111111@firm.com"),
        ("username", PAN_16),
        ("username", PAN_13),
    ],
)
def test_user_add_refuses_a_card_number(
    admin_client, merchant, clerk_role, field, value
):
    response = admin_client.post(
        "/users/add/", add_user_form(clerk_role, **{field: value})
    )

    assert response.status_code == 200
    assert field_errors(response, field) == [CARD_NUMBER_MESSAGE]
    assert User.objects.filter(merchant=merchant).count() == 1


@pytest.mark.django_db
def test_user_add_accepts_a_digit_username_that_is_not_a_card_number(
    admin_client, clerk_role
):
    response = admin_client.post(
        "/users/add/", add_user_form(clerk_role, username=NOT_LUHN_16)
    )

    assert response.status_code == 302
    assert User.objects.filter(username=NOT_LUHN_16).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["full_name", "email"])
def test_user_edit_refuses_a_card_number(admin_client, jo, field):
    value = {"full_name": f"Jo {PAN_16}", "email": f"{PAN_16}@firm.com"}[field]
    data = {
        "role": jo.role_id,
        "full_name": "Jo Typed",
        "email": "typed@firm.com",
        "is_active": "active",
    }
    data[field] = value

    response = admin_client.post(f"/users/{jo.pk}/edit/", data)

    assert response.status_code == 200
    assert field_errors(response, field) == [CARD_NUMBER_MESSAGE]
    assert input_value(response, field) == value
    jo.refresh_from_db()
    assert (jo.full_name, jo.email) == ("Jo Doe", "jo@firm.com")


@pytest.mark.django_db
def test_profile_edit_refuses_a_card_number(client_as, jo):
    response = client_as(jo).post(
        "/profile/edit/", {"full_name": "Jo 4111-1111-1111-1111", "email": "a@b.co"}
    )

    assert response.status_code == 200
    assert field_errors(response, "full_name") == [CARD_NUMBER_MESSAGE]
    assert input_value(response, "full_name") == "Jo 4111-1111-1111-1111"
    jo.refresh_from_db()
    assert jo.full_name == "Jo Doe"


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["name", "description"])
def test_role_add_refuses_a_card_number(admin_client, merchant, field):
    data = {"name": "Bookkeeper", "description": "Books", "permissions": []}
    data[field] = f"Bookkeeper {PAN_19}"

    response = admin_client.post("/roles/add/", data)

    assert response.status_code == 200
    assert field_errors(response, field) == [CARD_NUMBER_MESSAGE]
    assert f"Bookkeeper {PAN_19}" in text(response)
    assert not Role.objects.filter(merchant=merchant, name="Bookkeeper").exists()


@pytest.mark.django_db
def test_role_edit_refuses_a_card_number(admin_client, clerk_role):
    response = admin_client.post(
        f"/roles/{clerk_role.pk}/edit/",
        {"name": "Clerk", "description": f"Card {PAN_16}", "permissions": []},
    )

    assert response.status_code == 200
    assert field_errors(response, "description") == [CARD_NUMBER_MESSAGE]
    clerk_role.refresh_from_db()
    assert clerk_role.description == ""


@pytest.mark.django_db
def test_settings_edit_refuses_a_card_number_in_the_firm_name(admin_client, merchant):
    response = admin_client.post(
        "/settings/edit/",
        {
            "name": f"Hale {PAN_16}",
            "time_zone": merchant.time_zone,
            "refund_approval_threshold": "1,000.00",
        },
    )

    assert response.status_code == 200
    assert field_errors(response, "name") == [CARD_NUMBER_MESSAGE]
    assert input_value(response, "name") == f"Hale {PAN_16}"
    merchant.refresh_from_db()
    assert merchant.name == "Hale & Stone LLP"


@pytest.fixture
def payment(merchant):
    return sandbox_events.payment_succeeded(
        merchant, amount=10_000, reference="MAT-2041"
    )


@pytest.mark.django_db
def test_refund_create_refuses_a_card_number_in_the_note(admin_client, payment):
    response = admin_client.post(
        f"/transactions/{payment.pk}/refund/",
        {
            "amount": "12.50",
            "reason": "other",
            "note": f"Client's card {PAN_16}",
            "idempotency_key": "k1",
            "step": "review",
        },
    )

    assert response.status_code == 200
    assert field_errors(response, "note") == [CARD_NUMBER_MESSAGE]
    assert f"Client's card {PAN_16}" in text(response)
    assert payment.refunds.count() == 0


EVIDENCE_FIELDS = [
    "services_description",
    "customer_communication",
    "fee_agreement",
    "refund_policy",
    "other_evidence",
]
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.mark.django_db
@pytest.mark.parametrize("field", EVIDENCE_FIELDS)
def test_dispute_evidence_refuses_a_card_number(
    admin_client, merchant, time_machine, field
):
    time_machine.move_to(NOW, tick=False)
    payment = sandbox_events.payment_succeeded(
        merchant, amount=25_000, created_at=NOW - timedelta(days=5)
    )
    dispute = sandbox_events.dispute_opened(
        payment, opened_at=NOW - timedelta(days=1), due_by=NOW + timedelta(days=18)
    )
    data = {name: "" for name in EVIDENCE_FIELDS}
    data["service_date"] = "2026-11-01"
    data[field] = f"Card used: {PAN_15}"

    response = admin_client.post(f"/chargebacks/{dispute.pk}/evidence/", data)

    assert response.status_code == 200
    assert field_errors(response, field) == [CARD_NUMBER_MESSAGE]
    assert f"Card used: {PAN_15}" in text(response)
    dispute.refresh_from_db()
    assert dispute.evidence_saved_at is None


@pytest.mark.django_db
def test_transactions_search_refuses_a_card_number(admin_client):
    response = admin_client.get("/transactions/", {"q": "4111 1111 1111 1111"})

    assert response.status_code == 200
    assert CARD_NUMBER_MESSAGE in text(response)
    assert response.context["filtered"] is False


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/refunds/", "/users/"])
def test_search_boxes_drop_a_card_number(admin_client, path):
    response = admin_client.get(path, {"q": "4111 1111 1111 1111"})

    assert response.status_code == 200
    assert response.context["filters"]["q"] == ""


# --- Services, as commands call them ----------------------------------------


@pytest.mark.django_db
def test_createmerchant_refuses_a_card_number_in_the_firm_name():
    with pytest.raises(CommandError) as exc:
        call_command(
            "createmerchant",
            "--name",
            f"Hale {PAN_16}",
            "--admin-username",
            "boss",
            "--admin-email",
            "boss@firm.com",
            stdout=StringIO(),
        )

    assert CARD_NUMBER_MESSAGE in str(exc.value)
    assert Merchant.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("--admin-full-name", f"Boss {PAN_16}", "full_name"),
        ("--admin-username", PAN_16, "username"),
        ("--admin-email", f"{PAN_16}@firm.com", "email"),
    ],
)
def test_create_merchant_refuses_a_card_number_for_the_first_login(
    option, value, field
):
    fields = {
        "name": "Hale & Stone LLP",
        "admin_username": "boss",
        "admin_email": "boss@firm.com",
        "admin_full_name": "Bo Boss",
    }
    fields[option.removeprefix("--").replace("-", "_")] = value

    with pytest.raises(ValidationError) as exc:
        merchant_services.create_merchant(**fields)

    assert exc.value.message_dict[field] == [CARD_NUMBER_MESSAGE]
    assert Merchant.objects.count() == 0


@pytest.mark.django_db
def test_update_settings_refuses_a_card_number_in_the_firm_name(merchant, admin):
    with pytest.raises(ValidationError) as exc:
        merchant_services.update_settings(
            merchant=merchant, actor=admin, name=f"Hale {PAN_16}"
        )

    assert exc.value.message_dict == {"name": [CARD_NUMBER_MESSAGE]}


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["full_name", "email"])
def test_update_user_and_profile_refuse_a_card_number(jo, admin, field):
    values = {"full_name": "Jo Doe", "email": "jo@firm.com"}
    values[field] = {"full_name": f"Jo {PAN_16}", "email": f"{PAN_16}@x.com"}[field]

    with pytest.raises(ValidationError) as by_admin:
        user_services.update_user(
            user=jo, actor=admin, role=jo.role, is_active=True, **values
        )
    with pytest.raises(ValidationError) as by_self:
        user_services.update_profile(user=jo, **values)

    assert by_admin.value.message_dict == {field: [CARD_NUMBER_MESSAGE]}
    assert by_self.value.message_dict == {field: [CARD_NUMBER_MESSAGE]}


# -- Services refuse them too (commands and other callers skip the forms) ----


@pytest.mark.django_db
def test_create_role_service_refuses_a_card_number(merchant, admin):
    from payportal.accounts.services import roles as role_services

    with pytest.raises(ValidationError) as exc:
        role_services.create_role(
            merchant=merchant,
            actor=admin,
            name="Clerks",
            description=f"Card {PAN_16}",
            permissions=[],
        )

    assert exc.value.message_dict == {"description": [CARD_NUMBER_MESSAGE]}
    assert not Role.objects.filter(name="Clerks").exists()


@pytest.mark.django_db
def test_create_refund_service_refuses_a_card_number_in_the_note(merchant, admin):
    from payportal.payments.services import refunds as refund_services

    payment = sandbox_events.payment_succeeded(merchant, amount=10_000)

    with pytest.raises(ValidationError) as exc:
        refund_services.create_refund(
            payment=payment,
            actor=admin,
            amount=1_000,
            reason="other",
            note=f"Refund to {PAN_16}",
            idempotency_key="k-card",
        )

    assert exc.value.message_dict == {"note": [CARD_NUMBER_MESSAGE]}
    assert payment.refunds.count() == 0


@pytest.mark.django_db
def test_save_evidence_service_refuses_a_card_number(merchant, admin):
    from payportal.payments.services import disputes as dispute_services

    payment = sandbox_events.payment_succeeded(merchant, amount=10_000)
    dispute = sandbox_events.dispute_opened(
        payment, due_by=datetime.now(UTC) + timedelta(days=10)
    )

    with pytest.raises(ValidationError) as exc:
        dispute_services.save_evidence(
            dispute=dispute,
            actor=admin,
            service_date=None,
            services_description=f"Paid with {PAN_15}",
        )

    assert exc.value.message_dict == {"services_description": [CARD_NUMBER_MESSAGE]}
    dispute.refresh_from_db()
    assert dispute.services_description == ""
