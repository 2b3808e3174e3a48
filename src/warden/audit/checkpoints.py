"""Signed checkpoints of an audit chain (signed tree heads) and the Ed25519 keys that sign them.

A checkpoint states "organisation O's chain had ``tree_size`` entries whose RFC 9162 Merkle
root is ``root_hash``", signed with an Ed25519 key kept **outside** the database (a file
readable only by Warden's service user). Anyone holding the public key and the exported
checkpoints can later prove the stored chain was not rewritten up to those sizes.

The signature covers this UTF-8 text, exactly (every line ends with ``\\n``)::

    warden.audit.checkpoint.v1
    organisation <organisation_id>
    tree-size <decimal>
    root-hash <64 lower-case hex>
    created-at <YYYY-MM-DDTHH:MM:SS.ffffffZ>
    key-id <key_id>

``key_id`` is ``ed25519-`` followed by the first 16 hex characters of SHA-256 of the raw
32-byte public key, so keys can rotate: a :class:`Verifier` holds every public key ever used.
Checkpoints travel as JSON lines (one canonical JSON object each, signature in base64).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from warden.audit.canonical import canonical_json
from warden.audit.entry import format_timestamp, hex_hash, identifier, parse_timestamp, utc
from warden.audit.errors import AuditFormatError, CheckpointFormatError, SigningKeyError

__all__ = [
    "CHECKPOINT_HEADER",
    "Checkpoint",
    "Signer",
    "Verifier",
    "dump_checkpoints",
    "generate_key",
    "key_id_for",
    "load_checkpoints",
    "load_public_key",
]

CHECKPOINT_HEADER = "warden.audit.checkpoint.v1"
_JSON_KEYS = frozenset({"v", "organisation_id", "tree_size", "root_hash", "created_at", "key_id", "signature"})


def key_id_for(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519-" + hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint:
    organisation_id: str
    tree_size: int
    root_hash: str
    created_at: datetime
    key_id: str
    signature: bytes

    def __post_init__(self) -> None:
        try:
            identifier(self.organisation_id, "organisation_id")
            identifier(self.key_id, "key_id")
            hex_hash(self.root_hash, "root_hash")
            object.__setattr__(self, "created_at", utc(self.created_at))
        except AuditFormatError as exc:
            raise CheckpointFormatError(f"checkpoint: {exc.message}") from exc
        if type(self.tree_size) is not int or self.tree_size < 1:
            raise CheckpointFormatError(f"checkpoint tree_size must be an integer >= 1, not {self.tree_size!r}")
        if not isinstance(self.signature, bytes):
            raise CheckpointFormatError("checkpoint signature must be bytes")

    def signed_text(self) -> str:
        """The exact text the signature covers (see the module docstring)."""
        return signed_text(self.organisation_id, self.tree_size, self.root_hash, self.created_at, self.key_id)

    def to_json(self) -> str:
        """One canonical JSON line (no trailing newline)."""
        return canonical_json({
            "v": 1, "organisation_id": self.organisation_id, "tree_size": self.tree_size,
            "root_hash": self.root_hash, "created_at": format_timestamp(self.created_at), "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }).decode("utf-8")

    @classmethod
    def from_json(cls, line: str) -> Checkpoint:
        try:
            data: Any = json.loads(line)
        except ValueError as exc:
            raise CheckpointFormatError(f"checkpoint is not JSON: {exc}") from exc
        if not isinstance(data, dict) or data.keys() != _JSON_KEYS or data["v"] != 1:
            raise CheckpointFormatError(f"checkpoint JSON must hold exactly the keys {sorted(_JSON_KEYS)} with v=1")
        if not isinstance(data["created_at"], str) or not isinstance(data["signature"], str):
            raise CheckpointFormatError("checkpoint created_at and signature must be strings")
        try:
            created_at = parse_timestamp(data["created_at"])
            signature = base64.b64decode(data["signature"], validate=True)
        except (AuditFormatError, binascii.Error) as exc:
            raise CheckpointFormatError(f"checkpoint: {exc}") from exc
        return cls(organisation_id=data["organisation_id"], tree_size=data["tree_size"], root_hash=data["root_hash"],
                   created_at=created_at, key_id=data["key_id"], signature=signature)


def signed_text(organisation_id: str, tree_size: int, root_hash: str, created_at: datetime, key_id: str) -> str:
    return (f"{CHECKPOINT_HEADER}\norganisation {organisation_id}\ntree-size {tree_size}\n"
            f"root-hash {root_hash}\ncreated-at {format_timestamp(created_at)}\nkey-id {key_id}\n")


def dump_checkpoints(checkpoints: Iterable[Checkpoint], stream: IO[str]) -> int:
    """Write checkpoints as JSON lines; returns how many."""
    count = 0
    for checkpoint in checkpoints:
        stream.write(checkpoint.to_json() + "\n")
        count += 1
    return count


def load_checkpoints(stream: Iterable[str]) -> Iterator[Checkpoint]:
    """Read JSON lines written by :func:`dump_checkpoints` (blank lines skipped; errors name the line)."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield Checkpoint.from_json(line)
        except CheckpointFormatError as exc:
            raise CheckpointFormatError(f"line {number}: {exc.message}") from exc


def _read_private_key(data: bytes, password: bytes | None) -> Ed25519PrivateKey:
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(data, password=password)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"cannot read the PEM private key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError("the private key is not an Ed25519 key")
        return key
    if len(data) == 32:
        return Ed25519PrivateKey.from_private_bytes(data)
    raise SigningKeyError("a signing key file must hold a PEM (PKCS#8) Ed25519 key or its 32 raw bytes")


def load_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM (SubjectPublicKeyInfo) file or 32 raw bytes."""
    data = Path(path).read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError as exc:
            raise SigningKeyError(f"cannot read the PEM public key {path}: {exc}") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError(f"{path} is not an Ed25519 public key")
        return key
    if len(data) == 32:
        return Ed25519PublicKey.from_public_bytes(data)
    raise SigningKeyError(f"{path} holds neither a PEM Ed25519 public key nor its 32 raw bytes")


class Signer:
    """Signs checkpoints with one Ed25519 private key, normally read from a file outside the database."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.key_id = key_id_for(private_key.public_key())

    def __repr__(self) -> str:  # never show key material
        return f"Signer(key_id={self.key_id!r})"

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, password: bytes | None = None,
                  allow_shared_permissions: bool = False) -> Signer:
        """Load a PEM (PKCS#8, optionally encrypted) or raw 32-byte key.

        On POSIX a file that group or others may read or write is refused unless
        ``allow_shared_permissions`` (e.g. a secret mounted read-only by an orchestrator).
        """
        file = Path(path)
        try:
            mode = file.stat().st_mode
            data = file.read_bytes()
        except OSError as exc:
            raise SigningKeyError(f"cannot read the audit signing key {file}: {exc.strerror}") from exc
        if os.name == "posix" and mode & 0o077 and not allow_shared_permissions:
            raise SigningKeyError(f"the audit signing key {file} is accessible to other users "
                                  f"(mode {stat.filemode(mode)}); chmod 600 it")
        return cls(_read_private_key(data, password))

    def public_key(self) -> Ed25519PublicKey:
        return self._key.public_key()

    def public_key_pem(self) -> bytes:
        return self._key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, organisation_id: str, tree_size: int, root_hash: str | bytes,
             created_at: datetime | None = None) -> Checkpoint:
        """A checkpoint of ``organisation_id``'s chain at ``tree_size`` (root as hex or 32 raw bytes)."""
        root = root_hash.hex() if isinstance(root_hash, bytes) else root_hash
        moment = created_at or datetime.now(UTC)
        unsigned = Checkpoint(organisation_id=organisation_id, tree_size=tree_size, root_hash=root,
                              created_at=moment, key_id=self.key_id, signature=b"")
        signature = self._key.sign(unsigned.signed_text().encode("utf-8"))
        return Checkpoint(organisation_id=organisation_id, tree_size=tree_size, root_hash=root,
                          created_at=moment, key_id=self.key_id, signature=signature)


def generate_key(path: str | os.PathLike[str]) -> Signer:
    """Create a new signing key file (PEM PKCS#8, mode 0600); an existing file is never overwritten."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise SigningKeyError(f"{os.fspath(path)} already exists; refusing to overwrite a signing key") from exc
    except OSError as exc:
        raise SigningKeyError(f"cannot create the signing key {os.fspath(path)}: {exc.strerror}") from exc
    with os.fdopen(descriptor, "wb") as file:
        if os.name == "posix":
            os.fchmod(file.fileno(), 0o600)
        file.write(pem)
    return Signer(key)


class Verifier:
    """Checks checkpoint signatures against every public key the organisation has used (rotation)."""

    def __init__(self, public_keys: Iterable[Ed25519PublicKey]) -> None:
        self._keys = {key_id_for(key): key for key in public_keys}

    @classmethod
    def from_files(cls, paths: Iterable[str | os.PathLike[str]]) -> Verifier:
        return cls(load_public_key(path) for path in paths)

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def knows(self, key_id: str) -> bool:
        return key_id in self._keys

    def is_valid(self, checkpoint: Checkpoint) -> bool:
        """True when a known key made ``checkpoint.signature`` over its signed text."""
        key = self._keys.get(checkpoint.key_id)
        if key is None:
            return False
        try:
            key.verify(checkpoint.signature, checkpoint.signed_text().encode("utf-8"))
        except InvalidSignature:
            return False
        return True
