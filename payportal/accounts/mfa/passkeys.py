"""Passkeys (WebAuthn) as a second factor: the ceremony's options, the
single-use challenges kept in the session, and the checks by py_webauthn.

No database writes here: services.mfa stores and updates the passkeys.
The relying party is the host the request came to (its id without the
port), and the expected origin is the request's scheme and host.
"""

from dataclasses import dataclass

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

RP_NAME = "PayPortal"
# Session keys of the pending challenges: each is taken out when used.
REGISTRATION_CHALLENGE = "payportal_passkey_registration"
AUTHENTICATION_CHALLENGE = "payportal_passkey_authentication"
TIMEOUT_MS = 120_000


class PasskeyError(Exception):
    """The browser's answer did not verify (any reason)."""


@dataclass(frozen=True)
class Relying:
    rp_id: str
    origin: str


def relying_party(request: HttpRequest) -> Relying:
    host = request.get_host()
    rp_id = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return Relying(rp_id=rp_id, origin=f"{request.scheme}://{host}")


def _descriptors(credential_ids: list[str]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=base64url_to_bytes(cid))
        for cid in credential_ids
    ]


def registration_options(
    session: SessionBase,
    *,
    relying: Relying,
    username: str,
    display_name: str,
    existing: list[str],
) -> str:
    """The options for ``navigator.credentials.create`` as JSON; the
    challenge is kept in the session (replacing any earlier one)."""
    options = generate_registration_options(
        rp_id=relying.rp_id,
        rp_name=RP_NAME,
        user_name=username,
        user_display_name=display_name or username,
        exclude_credentials=_descriptors(existing),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        timeout=TIMEOUT_MS,
    )
    session[REGISTRATION_CHALLENGE] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def authentication_options(
    session: SessionBase, *, relying: Relying, credential_ids: list[str]
) -> str:
    """The options for ``navigator.credentials.get`` as JSON; the
    challenge is kept in the session (replacing any earlier one)."""
    options = generate_authentication_options(
        rp_id=relying.rp_id,
        allow_credentials=_descriptors(credential_ids),
        user_verification=UserVerificationRequirement.PREFERRED,
        timeout=TIMEOUT_MS,
    )
    session[AUTHENTICATION_CHALLENGE] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def pop_challenge(session: SessionBase, key: str) -> bytes | None:
    """The pending challenge, removed: each one is answered at most once."""
    value = session.pop(key, None)
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64url_to_bytes(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class NewPasskey:
    credential_id: str
    public_key: bytes
    sign_count: int


def verify_registration(
    *, credential: str, challenge: bytes, relying: Relying
) -> NewPasskey:
    """Raises PasskeyError unless ``credential`` answers ``challenge``."""
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=relying.rp_id,
            expected_origin=relying.origin,
            require_user_verification=False,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyError(str(error)) from error
    return NewPasskey(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
    )


def credential_id_of(credential: str) -> str | None:
    """The credential id the browser's assertion names, or None."""
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return None
    return bytes_to_base64url(parsed.raw_id)


def verify_assertion(
    *,
    credential: str,
    challenge: bytes,
    relying: Relying,
    public_key: bytes,
    sign_count: int,
) -> int:
    """The authenticator's new counter; raises PasskeyError unless
    ``credential`` is a valid signature over ``challenge`` by the key."""
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=relying.rp_id,
            expected_origin=relying.origin,
            credential_public_key=public_key,
            credential_current_sign_count=sign_count,
            require_user_verification=False,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyError(str(error)) from error
    return verified.new_sign_count
