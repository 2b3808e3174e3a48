"""Key material: generation, text encoding and per-purpose derivation (ASVS 6.2.2, 6.3.1, 6.4.1).

Keys are 32 random bytes written as URL-safe base64 (the same shape as a Fernet key, so the usual
tools can produce one: ``python -c "from warden.auth.keys import generate_key; print(generate_key())"``).
One application secret can feed several purposes through ``derive_subkey`` (HKDF-SHA256 with the
purpose as ``info``), so a CSRF key, say, is never the same bytes as anything else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from warden.auth.errors import InsecureConfiguration

KEY_BYTES = 32
MIN_MASTER_KEY_BYTES = 32


def generate_key() -> str:
    """A new random 256-bit key, URL-safe base64 (with padding)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def decode_key(text: str, *, what: str = "key") -> bytes:
    """Decode a base64 key (URL-safe or standard alphabet, padding optional) of exactly 32 bytes.

    The error message never contains the key text.
    """
    cleaned = "".join(text.split())
    if not cleaned:
        raise InsecureConfiguration(f"{what} is empty")
    padded = cleaned + "=" * (-len(cleaned) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise InsecureConfiguration(f"{what} is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise InsecureConfiguration(f"{what} must decode to {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def derive_subkey(master: bytes, purpose: str, *, length: int = KEY_BYTES) -> bytes:
    """An independent key for ``purpose`` (e.g. ``"csrf"``) from the application secret."""
    if len(master) < MIN_MASTER_KEY_BYTES:
        raise InsecureConfiguration(f"the secret key must be at least {MIN_MASTER_KEY_BYTES} bytes")
    if not purpose:
        raise ValueError("purpose must not be empty")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=b"warden/v1/" + purpose.encode())
    return hkdf.derive(master)


def key_id(key: bytes) -> bytes:
    """A stable, non-secret 8-byte identifier of ``key`` (a truncated, domain-separated SHA-256)."""
    return hashlib.sha256(b"warden/key-id/v1\x00" + key).digest()[:8]
