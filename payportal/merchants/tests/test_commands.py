import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from payportal.accounts.models import Role, User
from payportal.audit.models import AuditEvent
from payportal.merchants.models import Merchant

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createmerchant_prints_generated_temporary_password():
    output = run(
        "createmerchant",
        "--name",
        "Hale & Stone LLP",
        "--admin-username",
        "mstone",
        "--admin-email",
        "mstone@halestone.example",
        "--admin-full-name",
        "Margaret Stone",
    )

    password = re.search(r"Temporary password: (\S+)", output).group(1)
    user = User.objects.get(username="mstone")
    assert user.check_password(password) is True
    assert user.must_change_password is True
    assert user.full_name == "Margaret Stone"
    assert user.merchant.name == "Hale & Stone LLP"
    assert "Username:           mstone" in output


def test_createmerchant_creates_only_administrator_role():
    run(
        "createmerchant",
        "--name",
        "Firm",
        "--admin-username",
        "first",
        "--admin-email",
        "first@example.com",
    )

    merchant = Merchant.objects.get(name="Firm")
    roles = list(
        Role.objects.filter(merchant=merchant).values_list("name", "is_administrator")
    )
    assert roles == [("Administrator", True)]
    user = User.objects.get(username="first")
    assert user.full_name == "first"
    assert user.can("users.manage") is True


def test_createmerchant_with_given_password_does_not_print_it():
    output = run(
        "createmerchant",
        "--name",
        "Firm",
        "--admin-username",
        "first",
        "--admin-email",
        "first@example.com",
        "--admin-password",
        "Granite-castle-42",
    )

    assert "Granite-castle-42" not in output
    user = User.objects.get(username="first")
    assert user.check_password("Granite-castle-42") is True
    assert user.must_change_password is True


def test_createmerchant_records_audit_events():
    run(
        "createmerchant",
        "--name",
        "Firm",
        "--admin-username",
        "first",
        "--admin-email",
        "first@example.com",
    )

    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["merchant.created", "user.created"]


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--admin-username", "jo@firm.com", "--admin-username: Usernames are 3 to 30"),
        (
            "--admin-email",
            "not-an-email",
            "--admin-email: Enter a valid email address.",
        ),
        ("--admin-password", "short1", "--admin-password: This password is too short."),
    ],
)
def test_createmerchant_rejects_bad_input_and_saves_nothing(flag, value, message):
    args = {
        "--name": "Firm",
        "--admin-username": "first",
        "--admin-email": "first@example.com",
    }
    args[flag] = value

    with pytest.raises(CommandError) as exc:
        run("createmerchant", *[item for pair in args.items() for item in pair])

    assert message in str(exc.value)
    assert Merchant.objects.count() == 0
    assert User.objects.count() == 0


def test_createmerchant_rejects_taken_username_ignoring_case(admin):
    with pytest.raises(CommandError) as exc:
        run(
            "createmerchant",
            "--name",
            "Firm 2",
            "--admin-username",
            "ADMIN",
            "--admin-email",
            "x@example.com",
        )

    assert "already taken" in str(exc.value)
    assert Merchant.objects.filter(name="Firm 2").exists() is False
