"""Money: integer minor units plus an ISO 4217 currency code. No floats.

``format_money(123456, "USD")`` -> ``"$1,234.56"``; ``parse_amount("12.5",
"USD")`` -> ``1250``. The number of decimals comes from the currency.
"""

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

# ISO 4217 minor-unit exponents that are not 2.
_EXPONENTS = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0,
    "JOD": 3, "JPY": 0, "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3,
    "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0,
    "XOF": 0, "XPF": 0,
}  # fmt: skip
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}
# The characters other than ASCII letters whose upper case is made of ASCII
# letters: exponent() upper-cases, so it reads "\u0131qd" (dotless i) as
# IQD. A test checks this table against every character.
_UPPER_FROM_OTHER = {
    "\u00df": "SS", "\u0131": "I", "\u017f": "S", "\ufb00": "FF", "\ufb01": "FI",
    "\ufb02": "FL", "\ufb03": "FFI", "\ufb04": "FFL", "\ufb05": "ST", "\ufb06": "ST",
}  # fmt: skip


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def spellings(code: str) -> list[str]:
    """Every text whose ``str.upper()`` is ``code`` (capital ASCII letters):
    ``spellings("JP")`` -> ``["JP", "Jp", "jP", "jp"]``."""
    if not code:
        return [""]
    firsts = {code[0]: code[0], code[0].lower(): code[0], **_UPPER_FROM_OTHER}
    return [
        first + rest
        for first, upper in firsts.items()
        if code.startswith(upper)
        for rest in spellings(code[len(upper) :])
    ]


@cache
def currencies_by_exponent() -> dict[int, tuple[str, ...]]:
    """Every currency text ``exponent`` gives other than 2 decimals, by its
    decimals, in every spelling ``exponent`` accepts ("JPY", "jpy", ...):
    for SQL that must agree with it (the transactions export)."""
    texts: dict[int, list[str]] = {}
    for code, places in sorted(_EXPONENTS.items()):
        texts.setdefault(places, []).extend(spellings(code))
    return {places: tuple(found) for places, found in texts.items()}


def format_amount(amount: int, currency: str) -> str:
    """``123456, "USD"`` -> ``"1,234.56"`` (no symbol; for inputs and CSV)."""
    places = exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, minor = divmod(abs(int(amount)), 10**places)
    text = f"{whole:,}"
    if places:
        text += f".{minor:0{places}d}"
    return sign + text


def plain_amount_formatter(currency: str) -> Callable[[int], str]:
    """A fast ``format_amount`` without thousands separators, for one
    currency: ``plain_amount_formatter("USD")(123456)`` -> ``"1234.56"``.
    Exports call it millions of times."""
    places = exponent(currency)
    if not places:
        return str
    width = places + 1

    def text(amount: int) -> str:
        if amount < 0:
            return "-" + text(-amount)
        digits = f"{amount:0{width}d}"
        return f"{digits[:-places]}.{digits[-places:]}"

    # Amounts repeat (fees, retainers, zero refunded): a bounded cache.
    return lru_cache(maxsize=1 << 16)(text)


def format_money(amount: int, currency: str) -> str:
    """``123456, "USD"`` -> ``"$1,234.56"``; unknown symbols get the code."""
    currency = currency.upper()
    text = format_amount(amount, currency)
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    symbol = _SYMBOLS.get(currency)
    if symbol:
        return f"{sign}{symbol}{text}"
    return f"{sign}{text} {currency}"


def parse_amount(text: str, currency: str) -> int:
    """Parse what a person typed ("1,234.5") into minor units.

    Raises ValueError for anything that is not a plain amount or that has
    more decimals than the currency (a cent is the smallest refund).
    """
    cleaned = text.strip().replace(",", "").lstrip(_SYMBOLS.get(currency, "$"))
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:
        raise ValueError("not a number") from error
    if not value.is_finite():
        raise ValueError("not a number")
    minor = value.scaleb(exponent(currency))
    if minor != minor.to_integral_value():
        raise ValueError("too many decimals")
    return int(minor)
