"""A software WebAuthn authenticator for tests (tests only).

One EC P-256 key pair per authenticator. ``register`` answers the options
of ``navigator.credentials.create`` as a browser would (``none``
attestation, flags UP|UV|AT, the attested credential data, CBOR); ``assert_``
answers ``navigator.credentials.get`` (authenticatorData and
SHA-256(clientDataJSON) signed with ES256). The answers are the JSON the
page's script posts, so py_webauthn checks them as it would a real one.
"""

import hashlib
import json
import os
import struct
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

UP = 0x01
UV = 0x04
AT = 0x40


class SoftAuthenticator:
    def __init__(self, *, sign_count: int = 0) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.sign_count = sign_count

    @property
    def id(self) -> str:
        return bytes_to_base64url(self.credential_id)

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    @staticmethod
    def _client_data(kind: str, options: dict[str, Any], origin: str) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": options["challenge"],
                "origin": origin,
                "crossOrigin": False,
            }
        ).encode()

    def register(self, options_json: str, *, origin: str) -> str:
        options = json.loads(options_json)
        rp_id = options["rp"]["id"]
        client_data = self._client_data("webauthn.create", options, origin)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([UP | UV | AT])
            + struct.pack(">I", self.sign_count)
            + bytes(16)  # AAGUID: none
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self._cose_key()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps(
            {
                "id": self.id,
                "rawId": self.id,
                "type": "public-key",
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "attestationObject": bytes_to_base64url(attestation),
                },
                "clientExtensionResults": {},
            }
        )

    def assert_(
        self, options_json: str, *, origin: str, rp_id: str | None = None
    ) -> str:
        """Sign the options' challenge; the counter goes up by one."""
        options = json.loads(options_json)
        self.sign_count += 1
        client_data = self._client_data("webauthn.get", options, origin)
        auth_data = (
            hashlib.sha256((rp_id or options["rpId"]).encode()).digest()
            + bytes([UP | UV])
            + struct.pack(">I", self.sign_count)
        )
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(),
            ec.ECDSA(hashes.SHA256()),
        )
        return json.dumps(
            {
                "id": self.id,
                "rawId": self.id,
                "type": "public-key",
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "authenticatorData": bytes_to_base64url(auth_data),
                    "signature": bytes_to_base64url(signature),
                },
                "clientExtensionResults": {},
            }
        )


def challenge_of(options_json: str) -> bytes:
    return base64url_to_bytes(json.loads(options_json)["challenge"])
