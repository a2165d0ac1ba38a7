"""The common-password blocklist (ASVS 5.0 6.2.4), offline and case-blind."""

from pathlib import Path

import pytest
from django.contrib.auth.password_validation import get_default_password_validators
from django.core.exceptions import ValidationError

import payportal
from payportal.accounts.models import User
from payportal.accounts.services.users import validate_new_password
from payportal.accounts.tests.factories import UserFactory
from payportal.accounts.validators import (
    BLOCKLIST_PATH,
    CommonPasswordBlocklistValidator,
    blocklist_entries,
)

pytestmark = pytest.mark.django_db

COMMON = "This password is too common."


@pytest.fixture
def mfa_merchant(merchant):
    # The 12-character minimum: the policy at its loosest.
    merchant.require_mfa = True
    merchant.save(update_fields=["require_mfa"])
    return merchant


def refusals(password, user):
    try:
        validate_new_password(password, user)
    except ValidationError as error:
        return error.message_dict["password"]
    return []


def test_blocklist_holds_at_least_3000_entries():
    assert len(blocklist_entries()) >= 3000


def test_blocklist_entries_are_unique_and_lower_case():
    entries = blocklist_entries()

    assert len(set(entries)) == len(entries)
    assert all(entry == entry.lower().strip() for entry in entries)


def test_blocklist_entries_would_otherwise_pass_the_policy(mfa_merchant):
    user = User(
        merchant=mfa_merchant,
        username="zq9",
        full_name="Quentin Zed",
        email="qz@example.org",
    )
    others = [
        v
        for v in get_default_password_validators()
        if not isinstance(v, CommonPasswordBlocklistValidator)
    ]
    refused = []
    for entry in blocklist_entries():
        for validator in others:
            try:
                validator.validate(entry, user)
            except ValidationError:
                refused.append(entry)
                break

    assert refused == []


@pytest.mark.parametrize(
    "password",
    [
        "Password2026!",
        "Welcome@2025!",
        "1qaz2wsx3edc4rfv",
        "Football2024!",
        "PayPortal2026!",
        "LAWFIRM@2025!",
        "SummerPassword2026",
        "  changeme12345!  ",
        # From Django's own list, still refused.
        "password1234",
    ],
)
def test_blocklist_refuses_predictable_passwords_ignoring_case(mfa_merchant, password):
    user = UserFactory(merchant=mfa_merchant, username="zq9", full_name="Quentin Zed")

    assert refusals(password, user) == [COMMON]


def test_blocklist_accepts_an_unpredictable_password(mfa_merchant):
    user = UserFactory(merchant=mfa_merchant, username="zq9", full_name="Quentin Zed")

    assert refusals("Copper-kettle-42-morning", user) == []


def test_blocklist_ships_inside_the_package():
    package = Path(payportal.__file__).resolve().parent

    assert BLOCKLIST_PATH.is_relative_to(package)
    assert BLOCKLIST_PATH.read_text(encoding="utf-8").startswith(
        "# PayPortal's common-password blocklist"
    )
    assert (BLOCKLIST_PATH.parent / "README.md").exists()
