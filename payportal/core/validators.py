"""Keep full card numbers out of everything the portal stores or logs.

PCI DSS 3.3 and 3.4: the portal holds no full card number (PAN) and no
security code. People paste card numbers into whatever box is at hand (a
note, a client's name, dispute evidence), so every free-text field refuses
a run of 13 to 19 digits that passes the Luhn check, typed as people type
them: with single spaces or dashes between the digits. Text from the
processor cannot be refused, so its card numbers are masked instead
(``redact_card_numbers``).

A run is found as groups of digits joined by one space or dash. Every
window of whole groups holding 13 to 19 digits is checked, so "Invoice 2024
4111 1111 1111 1111" is caught although its whole run has 20 digits, while
a 20-digit reference typed in one piece is not a card number and passes.
"""

import re
import unicodedata
from collections.abc import Iterator

from django.core.exceptions import ValidationError

CARD_NUMBER_MESSAGE = (
    "This looks like a card number. Don't enter card numbers here: the "
    "portal never stores them."
)
CARD_NUMBER_CODE = "card_number"
MIN_DIGITS = 13
MAX_DIGITS = 19
MASK = "\N{BULLET}"

# Groups of ASCII digits joined by single separators: a space (or no-break
# space), a hyphen or a dash. Other scripts' digits count too (_normalise).
_SEPARATORS = " \u00a0\u2010\u2011\u2012\u2013\u2014-"
_RUN = re.compile(rf"[0-9]+(?:[{_SEPARATORS}][0-9]+)*")
_GROUP = re.compile(r"[0-9]+")


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check every card number passes."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) in ``text`` of each card-number-like window of groups."""
    for run in _RUN.finditer(text):
        groups = [
            (run.start() + g.start(), run.start() + g.end(), g.group())
            for g in _GROUP.finditer(run.group())
        ]
        for first in range(len(groups)):
            digits = ""
            for last in range(first, len(groups)):
                digits += groups[last][2]
                if len(digits) > MAX_DIGITS:
                    break
                if len(digits) >= MIN_DIGITS and luhn_valid(digits):
                    yield groups[first][0], groups[last][1]


def _normalise(text: str) -> str:
    # Any decimal digit (full-width, Arabic-Indic...) as its ASCII digit,
    # one character for one, so positions in the result are positions in
    # ``text``.
    if text.isascii():
        return text
    return "".join(
        str(unicodedata.decimal(char))
        if unicodedata.decimal(char, None) is not None
        else char
        for char in text
    )


def contains_card_number(value: object) -> bool:
    if not isinstance(value, str) or not value:
        return False
    return next(_card_spans(_normalise(value)), None) is not None


def reject_card_numbers(value: object) -> None:
    """Validator for free-text fields: refuse a card number anywhere in it."""
    if contains_card_number(value):
        raise ValidationError(CARD_NUMBER_MESSAGE, code=CARD_NUMBER_CODE)


def redact_card_numbers(text: str) -> str:
    """``text`` with each card number's digits, but its last four, masked.

    For text that cannot be refused (from the processor). Only digits are
    replaced, one for one, so lengths and separators stay as they were.
    """
    if not text:
        return text
    normalised = _normalise(text)
    spans = list(_card_spans(normalised))
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        digit_positions = [i for i in range(start, end) if normalised[i].isdigit()]
        for i in digit_positions[:-4]:
            chars[i] = MASK
    return "".join(chars)


def card_number_errors(**fields: object) -> dict[str, list[ValidationError]]:
    """The fields among ``fields`` (name=value) that hold a card number,
    each with the message; empty when none does. For services, whose
    callers include commands and other code that skips the forms."""
    errors: dict[str, list[ValidationError]] = {}
    for name, value in fields.items():
        if contains_card_number(value):
            errors[name] = [ValidationError(CARD_NUMBER_MESSAGE, code=CARD_NUMBER_CODE)]
    return errors


def refuse_card_numbers(**fields: object) -> None:
    """Raise a ValidationError keyed by field for any card number in
    ``fields``; nothing when there is none."""
    errors = card_number_errors(**fields)
    if errors:
        raise ValidationError(errors)
