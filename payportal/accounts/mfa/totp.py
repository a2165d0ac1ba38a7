"""TOTP (RFC 6238): 6 digits, 30-second steps, the current step only.

django-otp's ``TOTP`` computes the codes; the portal keeps the secret and
the last used step on its own ``SecondFactor`` rows (models.py), so a
passkey can become another kind of factor beside it.
"""

import base64
import binascii
import secrets
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django_otp.oath import TOTP

STEP = 30
DIGITS = 6
# Tolerance 0: only the code of the current 30-second step is accepted,
# never the one before or after (no drift window).
TOLERANCE = 0
ISSUER = "PayPortal"


def new_secret() -> str:
    """20 random bytes (160 bits, RFC 4226's recommendation) as hex."""
    return secrets.token_hex(20)


def _key(secret: str) -> bytes:
    return binascii.unhexlify(secret)


def base32_secret(secret: str) -> str:
    """The secret as an authenticator app takes it: base32, no padding."""
    return base64.b32encode(_key(secret)).decode("ascii").rstrip("=")


def grouped(text: str, size: int = 4) -> str:
    """``ABCDEFGH`` -> ``ABCD EFGH``: easier to read and type."""
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def current_step() -> int:
    return TOTP(b"", step=STEP).t()


def code_at(secret: str, step: int) -> str:
    """The code of ``step`` (for checking, and for tests)."""
    totp = TOTP(_key(secret), step=STEP, digits=DIGITS, drift=TOLERANCE)
    totp.time = step * STEP
    return f"{totp.token():0{DIGITS}d}"


def matching_step(secret: str, code: str) -> int | None:
    """The current step if ``code`` is its code, else None.

    Whether the step was already used is the caller's check (the row's
    ``last_step``), done atomically in services.mfa.
    """
    code = normalise_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    step = current_step()
    if secrets.compare_digest(code_at(secret, step), code):
        return step
    return None


def normalise_code(code: str) -> str:
    # Apps show "123 456"; people paste it with the space.
    return "".join((code or "").split())


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI that the QR code carries (Key Uri Format)."""
    label = quote(f"{issuer}:{account}", safe=":@")
    query = urlencode(
        {
            "secret": base32_secret(secret),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def qr_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG ``data:`` URI for an ``<img>``.

    Drawn here (no outside service, no Pillow). An ``<img>`` rather than
    inline SVG markup: the CSP allows ``data:`` images, and the SVG's own
    attributes cannot reach the page.
    """
    image = qrcode.make(
        uri,
        image_factory=qrcode.image.svg.SvgPathFillImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    svg = image.to_string(encoding="unicode")
    encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"
