"""Usernames accepted are exactly [A-Za-z0-9]{3,30} (DESIGN §4; issue 4).

Generated strings go through each way a username comes in: the validator
the model and the services share, the Add User form (as a whole, posted
to the page) and ``payportal createmerchant``. Whatever matches is
accepted unless taken (ignoring case); everything else is refused, including
letters and digits outside ASCII such as "é", "٣" or fullwidth "Ａ".
"""

import io
import re
import string

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from payportal.accounts.forms.users import UserAddForm
from payportal.accounts.models import Role, User, username_validator
from payportal.accounts.services.users import validate_username
from payportal.accounts.tests.factories import PASSWORD

VALID = re.compile(r"[A-Za-z0-9]{3,30}")
ASCII_ALNUM = string.ascii_letters + string.digits
# Letters and digits that str.isalnum() accepts but the rule does not.
# (U+212A is the Kelvin sign, which lower-cases to an ASCII "k".)
LOOKALIKES = ["é", "٣", "Ａ", "ß", "ǅ", "\u212a", "İ", "١", "²", "Ⅻ", "𝟗", "ﬁ"]

valid_usernames = st.text(alphabet=ASCII_ALNUM, min_size=3, max_size=30)
any_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=ASCII_ALNUM + "".join(LOOKALIKES) + " \n\t.-_@", max_size=35),
    # Nearly right: a valid name with one character added around it.
    st.builds(
        lambda name, extra, front: extra + name if front else name + extra,
        valid_usernames,
        st.sampled_from(["\n", " ", "\r\n", "\t", "é", "٣", "_", "\x00"]),
        st.booleans(),
    ),
)
examples = [
    "abc",
    "ab",
    "a" * 30,
    "a" * 31,
    "abc\n",
    "\nabc",
    "ab\nc",
    "abc ",
    "ab c",
    "ab_c",
    "ab-c",
    "a@b.co",
    "é12",
    "١٢٣",
    "٣ab",
    "ＡＢＣ",
    "\u212aab",
    "İab",
    "",
]
DB_SETTINGS = settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def with_examples(test):
    for value in examples:
        test = example(value)(test)
    return test


def matches(value: str) -> bool:
    return VALID.fullmatch(value) is not None


def accepts(validator, value: str) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


@settings(max_examples=300)
@with_examples
@given(value=any_text)
def test_username_validator_accepts_exactly_the_pattern(value):
    assert accepts(username_validator, value) is matches(value)


@given(value=valid_usernames)
def test_username_validator_accepts_every_valid_name(value):
    assert accepts(username_validator, value) is True


@pytest.mark.parametrize("letter", LOOKALIKES)
def test_username_validator_refuses_non_ascii_letters_and_digits(letter):
    assert letter.isalnum() is True
    assert accepts(username_validator, f"ab{letter}") is False
    assert accepts(username_validator, f"{letter}ab") is False


@DB_SETTINGS
@with_examples
@given(value=any_text)
def test_validate_username_accepts_exactly_the_pattern(db, value):
    assert accepts(validate_username, value) is matches(value)


@DB_SETTINGS
@given(value=valid_usernames, swap=st.booleans())
def test_validate_username_refuses_a_taken_name_in_any_case(db, merchant, value, swap):
    with transaction.atomic():
        User.objects.create(
            merchant=merchant,
            role=Role.objects.create(merchant=merchant, name="R"),
            username=value,
            full_name="Taken",
            email="taken@example.com",
        )
        other = value.swapcase() if swap else value

        assert accepts(validate_username, other) is False
        transaction.set_rollback(True)


def add_user_form(value: str, role: Role) -> UserAddForm:
    return UserAddForm(
        {
            "role": role.pk,
            "username": value,
            "password_mode": "link",
            "full_name": "New Person",
            "email": "new@example.com",
        },
        roles=Role.objects.filter(pk=role.pk),
    )


@DB_SETTINGS
@with_examples
@given(value=any_text)
def test_add_user_form_accepts_exactly_the_pattern(db, merchant, value):
    # A form field strips surrounding whitespace, as every text input of
    # the portal does: what is checked (and saved) is the stripped value.
    role = Role.objects.get_or_create(merchant=merchant, name="Clerk")[0]

    form = add_user_form(value, role)

    assert form.is_valid() is matches(value.strip()), form.errors
    if form.is_valid():
        assert form.cleaned_data["username"] == value.strip()
    else:
        assert list(form.errors) == ["username"]


def createmerchant(username: str) -> str | None:
    """The error ``payportal createmerchant`` gives for ``username``, if any."""
    try:
        call_command(
            "createmerchant",
            "--name=Firm",
            f"--admin-username={username}",
            "--admin-email=first@example.com",
            f"--admin-password={PASSWORD}",
            stdout=io.StringIO(),
        )
    except CommandError as error:
        return str(error)
    return None


@DB_SETTINGS
@with_examples
@given(value=any_text.filter(lambda v: "\x00" not in v))
def test_createmerchant_accepts_exactly_the_pattern(db, value):
    with transaction.atomic():
        error = createmerchant(value)

        if matches(value):
            assert error is None
            assert User.objects.get().username == value
        else:
            assert error is not None
            assert error.startswith("--admin-username: "), error
            assert User.objects.exists() is False
        transaction.set_rollback(True)


@DB_SETTINGS
@given(value=valid_usernames)
def test_createmerchant_accepts_every_valid_name_unless_taken(db, value):
    with transaction.atomic():
        assert createmerchant(value) is None
        assert User.objects.get().username == value

        error = createmerchant(value.swapcase())

        assert error == (
            "--admin-username: This username is already taken (usernames ignore case)."
        )
        transaction.set_rollback(True)
