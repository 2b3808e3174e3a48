"""Encryption at rest of network credentials (OAuth tokens, app passwords) with rotatable keys.

Cipher (ASVS 6.2.1, 6.2.2, 6.2.3, 6.2.5, 6.2.4): AES-256-GCM from ``cryptography``, a random
96-bit nonce per encryption, and a 9-byte header ``version (1) | key id (8)`` so that every
ciphertext names the key that made it. The associated data binds each ciphertext to its owner
and purpose (e.g. ``"account:42:oauth"``): it is authenticated but not stored, so a ciphertext
copied into another row fails to decrypt. The header is authenticated too.

Keys (ASVS 6.4.1, 6.4.2, 2.10.4): a keyring of 256-bit keys, the first one current; the key id is
a truncated hash of the key, so operators only ever handle key values. Keys come from
``WARDEN_CREDENTIAL_KEYS`` (comma-separated base64) or from a keyring file (one key per line,
``#`` comments, readable by its owner only), never from the database or the source code.

Rotation: put a new key first, keep the old ones after it; everything stays readable; call
``rotate`` on each stored ciphertext (``needs_rotation`` says which) and, once none is left under
an old key, remove it from the keyring. With random nonces one key should not encrypt more than
2^32 values (NIST SP 800-38D), far more than any organisation's credentials.

Decrypted values come back wrapped in ``Secret`` so they cannot be logged by accident (ASVS 7.1.1).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from warden.auth.errors import CredentialDecryptionFailed, InsecureConfiguration, UnknownCredentialKey
from warden.auth.keys import KEY_BYTES, decode_key, generate_key, key_id
from warden.auth.redaction import MASK, RedactingFilter, Secret, redact, redact_text, reveal

__all__ = [
    "ENV_VAR",
    "MASK",
    "CredentialCipher",
    "Keyring",
    "RedactingFilter",
    "Secret",
    "generate_key",
    "redact",
    "redact_text",
]

ENV_VAR = "WARDEN_CREDENTIAL_KEYS"
FORMAT_VERSION = 1
_HEADER_BYTES = 1 + 8
_NONCE_BYTES = 12
_TAG_BYTES = 16
_AAD_PREFIX = b"warden/credential/v1\x00"


class Keyring:
    """An ordered set of 256-bit keys; the first encrypts, all decrypt."""

    def __init__(self, keys: Sequence[bytes | Secret[bytes]]) -> None:
        if not keys:
            raise InsecureConfiguration(f"no credential encryption keys configured (set {ENV_VAR})")
        self._keys: dict[bytes, Secret[bytes]] = {}
        for position, key in enumerate(keys, start=1):
            raw = reveal(key)
            if len(raw) != KEY_BYTES:
                raise InsecureConfiguration(f"credential key {position} must be {KEY_BYTES} bytes")
            kid = key_id(raw)
            if kid in self._keys:
                raise InsecureConfiguration(f"credential key {position} is listed twice")
            self._keys[kid] = Secret(raw)
        self.current_id: bytes = next(iter(self._keys))

    @property
    def ids(self) -> tuple[str, ...]:
        """Key ids (hex), current first: safe to log and show to operators."""
        return tuple(kid.hex() for kid in self._keys)

    def key(self, kid: bytes) -> Secret[bytes]:
        try:
            return self._keys[kid]
        except KeyError:
            raise UnknownCredentialKey(
                f"the credential was encrypted with key {kid.hex()}, which is not in the keyring "
                f"(known: {', '.join(self.ids)}); was an old key removed before rotation finished?"
            ) from None

    def __repr__(self) -> str:
        return f"Keyring(ids={list(self.ids)!r})"

    @classmethod
    def from_text(cls, text: str, *, source: str = ENV_VAR) -> Keyring:
        """Keys separated by commas or new lines; blank entries and ``#`` comment lines are ignored."""
        lines = (line.split("#", 1)[0] for line in text.splitlines())
        entries = [entry.strip() for line in lines for entry in line.split(",") if entry.strip()]
        if not entries:
            raise InsecureConfiguration(f"no credential encryption keys in {source}")
        return cls([decode_key(entry, what=f"{source} key {n}") for n, entry in enumerate(entries, start=1)])

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, name: str = ENV_VAR) -> Keyring:
        environ = os.environ if environ is None else environ
        return cls.from_text(environ.get(name, ""), source=name)

    @classmethod
    def from_file(cls, path: Path) -> Keyring:
        """Read a keyring file, refusing one that group or others may read or write (POSIX)."""
        info = path.stat()
        if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise InsecureConfiguration(f"{path} must be readable by its owner only (chmod 600 {path})")
        return cls.from_text(path.read_text("utf-8"), source=str(path))


class CredentialCipher:
    """Authenticated encryption of credentials, bound to their owner by associated data."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CredentialCipher:
        return cls(Keyring.from_env(environ))

    @classmethod
    def from_file(cls, path: Path) -> CredentialCipher:
        return cls(Keyring.from_file(path))

    def encrypt(self, plaintext: bytes | Secret[bytes], associated: str) -> bytes:
        """``header | nonce | ciphertext+tag`` under the current key, bound to ``associated``."""
        header = bytes([FORMAT_VERSION]) + self.keyring.current_id
        nonce = os.urandom(_NONCE_BYTES)
        cipher = AESGCM(self.keyring.key(self.keyring.current_id).reveal())
        return header + nonce + cipher.encrypt(nonce, reveal(plaintext), _aad(header, associated))

    def decrypt(self, ciphertext: bytes, associated: str) -> Secret[bytes]:
        """The plaintext, wrapped. ``UnknownCredentialKey`` names a key id missing from the keyring;
        ``CredentialDecryptionFailed`` covers tampering, truncation and the wrong ``associated``."""
        header, nonce, body = _split(ciphertext)
        cipher = AESGCM(self.keyring.key(header[1:]).reveal())
        try:
            return Secret(cipher.decrypt(nonce, body, _aad(header, associated)))
        except InvalidTag:
            raise CredentialDecryptionFailed(
                "the credential could not be decrypted: it was altered or belongs to another record"
            ) from None

    def key_id_of(self, ciphertext: bytes) -> str:
        """The hex id of the key that made ``ciphertext`` (not secret)."""
        return _split(ciphertext)[0][1:].hex()

    def needs_rotation(self, ciphertext: bytes) -> bool:
        return _split(ciphertext)[0][1:] != self.keyring.current_id

    def rotate(self, ciphertext: bytes, associated: str) -> bytes:
        """``ciphertext`` re-encrypted under the current key (returned unchanged, after checking,
        when it already is)."""
        plaintext = self.decrypt(ciphertext, associated)
        if not self.needs_rotation(ciphertext):
            return ciphertext
        return self.encrypt(plaintext, associated)


def _aad(header: bytes, associated: str) -> bytes:
    if not associated:
        raise ValueError("associated data must name the credential's owner (e.g. 'account:42:oauth')")
    return _AAD_PREFIX + header + b"\x00" + associated.encode("utf-8")


def _split(ciphertext: bytes) -> tuple[bytes, bytes, bytes]:
    if len(ciphertext) < _HEADER_BYTES + _NONCE_BYTES + _TAG_BYTES:
        raise CredentialDecryptionFailed("the stored credential is truncated")
    if ciphertext[0] != FORMAT_VERSION:
        raise CredentialDecryptionFailed(f"unknown credential format version {ciphertext[0]}")
    header = ciphertext[:_HEADER_BYTES]
    return header, ciphertext[_HEADER_BYTES : _HEADER_BYTES + _NONCE_BYTES], ciphertext[_HEADER_BYTES + _NONCE_BYTES :]
