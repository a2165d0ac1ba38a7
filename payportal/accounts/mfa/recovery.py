"""Recovery codes: 10 single-use codes, kept only as SHA-256 hashes."""

import hashlib
import secrets

COUNT = 10
# Lower-case letters and digits without look-alikes (no 0/o, 1/l/i).
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
LENGTH = 12  # 12 of 31 symbols: about 59 bits each
GROUP = 4


def new_codes() -> list[str]:
    """``COUNT`` fresh codes, shown once as ``abcd-efgh-jkmn``."""
    codes = []
    for _ in range(COUNT):
        raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        codes.append("-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP)))
    return codes


def normalise(code: str) -> str:
    """What is hashed: no spaces or dashes, lower case."""
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise(code).encode("utf-8")).hexdigest()


def looks_like_code(code: str) -> bool:
    text = normalise(code)
    return len(text) == LENGTH and all(ch in ALPHABET for ch in text)
