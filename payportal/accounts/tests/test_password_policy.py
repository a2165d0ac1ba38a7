"""The password policy of DESIGN §4, through validate_new_password."""

import pytest
from django.core.cache import caches
from django.core.exceptions import ValidationError

from payportal.accounts.models import PasswordHistory
from payportal.accounts.services.users import validate_new_password
from payportal.accounts.tests.factories import UserFactory
from payportal.accounts.validators import (
    LetterAndDigitValidator,
    MaximumLengthValidator,
    PasswordHistoryValidator,
)

pytestmark = pytest.mark.django_db

TOO_SHORT = "This password is too short. It must contain at least 12 characters."
TOO_LONG = "This password is too long: use at most 128 characters."
LETTER_AND_DIGIT = "This password needs at least one letter and one digit."
REUSED = "Choose a password you have not used for your last 4 passwords."
COMMON = "This password is too common."


@pytest.fixture(autouse=True)
def _clear_throttle(db):
    caches["throttle"].clear()


@pytest.fixture
def jo(merchant):
    # A firm that requires two-step sign-in: the 12-character minimum.
    # The 15 of firms without it is test_lifecycle.py's.
    merchant.require_mfa = True
    merchant.save(update_fields=["require_mfa"])
    return UserFactory(
        merchant=merchant,
        username="jo2",
        full_name="Josephine Marchbanks",
        email="paralegal.desk@firm.com",
    )


def refusals(password, user):
    try:
        validate_new_password(password, user)
    except ValidationError as error:
        return error.message_dict["password"]
    return []


def change(user, password):
    user.set_password(password)
    user.save()


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Abcdefghij1", [TOO_SHORT]),
        ("Abcdefghijk1", []),
        ("a1" * 64, []),
        ("a1" * 64 + "b", [TOO_LONG]),
        ("Abcdefghijklm", [LETTER_AND_DIGIT]),
        ("123456789012345", [LETTER_AND_DIGIT]),
        ("password1234", [COMMON]),
        ("correct horse 7 battery", []),
        ("Zürich-Café-2026-ñandú", []),
        ("пароль-надёжный-42", []),
        ("        spaces 1", []),
    ],
)
def test_password_policy(jo, password, expected):
    assert refusals(password, jo) == expected


@pytest.mark.parametrize(
    ("password", "attribute"),
    [
        ("JosephineMarchbanks1", "Full Name"),
        ("paralegal.desk@firm1", "Email"),
    ],
)
def test_password_policy_refuses_passwords_like_the_users_details(
    jo, password, attribute
):
    assert refusals(password, jo) == [
        f"The password is too similar to the {attribute}."
    ]


def test_password_policy_refuses_passwords_like_the_username(merchant):
    user = UserFactory(merchant=merchant, username="harbourlight42")

    assert refusals("harbourlight42!", user) == [
        "The password is too similar to the Username."
    ]


def test_password_policy_checks_a_user_not_yet_saved(merchant):
    from payportal.accounts.models import User

    user = User(merchant=merchant, username="newbie7", full_name="N", email="n@x.y")

    assert refusals("Copper-kettle-42", user) == []


def test_password_policy_refuses_the_last_four_passwords(jo, password):
    for n in range(1, 4):
        change(jo, f"Rotating-password-{n}")

    assert refusals(password, jo) == [REUSED]
    for n in range(1, 4):
        assert refusals(f"Rotating-password-{n}", jo) == [REUSED]


def test_password_policy_allows_the_fifth_password_back(jo, password):
    for n in range(1, 5):
        change(jo, f"Rotating-password-{n}")

    assert refusals(password, jo) == []
    assert refusals("Rotating-password-1", jo) == [REUSED]


def test_password_history_keeps_four_hashes_and_no_plain_text(jo):
    for n in range(1, 6):
        change(jo, f"Rotating-password-{n}")

    hashes = list(PasswordHistory.objects.filter(user=jo))
    assert len(hashes) == 4
    assert all(h.password.startswith("argon2$argon2id$") for h in hashes)
    assert hashes[0].password == jo.password


def test_password_history_stamps_password_changed_at(jo):
    before = jo.password_changed_at

    change(jo, "Rotating-password-1")

    jo.refresh_from_db()
    assert jo.password_changed_at is not None
    assert jo.password_changed_at != before


def test_validate_new_password_raises_on_the_password_field(jo):
    with pytest.raises(ValidationError) as exc:
        validate_new_password("short", jo)

    assert list(exc.value.message_dict) == ["password"]


def test_maximum_length_validator_counts_characters_not_bytes():
    MaximumLengthValidator().validate("é1" * 64)

    with pytest.raises(ValidationError) as exc:
        MaximumLengthValidator().validate("é1" * 64 + "x")

    assert exc.value.messages == [TOO_LONG]


def test_letter_and_digit_validator_accepts_any_script():
    LetterAndDigitValidator().validate("日本語のパスワード7")

    with pytest.raises(ValidationError):
        LetterAndDigitValidator().validate("!!!!----1234")


def test_password_history_validator_skips_users_without_a_row():
    PasswordHistoryValidator().validate("anything-1", None)


def test_password_policy_help_texts_describe_each_rule():
    from django.contrib.auth.password_validation import password_validators_help_texts

    assert password_validators_help_texts() == [
        "Your password must contain at least 12 characters, or 15 if your firm "
        "does not require two-step sign-in.",
        "Your password can't be longer than 128 characters.",
        "Your password must contain at least one letter and one digit.",
        "Your password can’t be too similar to your other personal information.",
        "Your password can’t be a commonly used password.",
        "Your password can't be one of your last 4 passwords.",
    ]
