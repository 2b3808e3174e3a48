"""AT Protocol identifiers: record keys, at:// URIs, DIDs and handles.

Record keys for posts must be TIDs (13 base32-sortable characters holding a
63-bit number). Warden derives them from its own ids so that a second attempt
at the same post, block or threadgate names the same record and the PDS
refuses to make a second one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_PATTERN = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
# Derived TIDs carry a timestamp inside 2023-2024 so that they look like the
# past (never the future) to anything that reads the time out of a TID.
_TID_EPOCH_US = 1_672_531_200_000_000
_TID_WINDOW_US = 1 << 45
DID_PATTERN = re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]{1,2000}$")
HANDLE_PATTERN = re.compile(
    r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
NSID_PATTERN = re.compile(r"^[a-zA-Z]([a-zA-Z0-9-]{0,62})?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})?)+$")
RKEY_PATTERN = re.compile(r"^[A-Za-z0-9._:~-]{1,512}$")


def tid_from(value: int) -> str:
    """Encode a 63-bit number as a TID."""
    if not 0 <= value < 1 << 63:
        raise ValueError("a TID holds a 63-bit number")
    chars = []
    for _ in range(13):
        chars.append(TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def derived_tid(namespace: str, key: str) -> str:
    """The same valid TID for the same (namespace, key), different otherwise."""
    digest = hashlib.sha256(f"warden:{namespace}\x00{key}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    micros = _TID_EPOCH_US + (number >> 10) % _TID_WINDOW_US
    return tid_from((micros << 10) | (number & 0x3FF))


def is_did(value: str) -> bool:
    return len(value) <= 2048 and DID_PATTERN.match(value) is not None


def is_handle(value: str) -> bool:
    return len(value) <= 253 and HANDLE_PATTERN.match(value) is not None


def actor(value: str) -> str | None:
    """A DID or a handle from what a person or a message gave (``@name.bsky.social``), or None."""
    value = value.strip().removeprefix("@")
    if is_did(value):
        return value
    return value.lower() if is_handle(value) else None


@dataclass(frozen=True)
class AtUri:
    repo: str
    collection: str
    rkey: str

    def __str__(self) -> str:
        return f"at://{self.repo}/{self.collection}/{self.rkey}"


def parse_uri(value: object) -> AtUri | None:
    """A record's at:// URI with a DID authority, or None for anything else."""
    if not isinstance(value, str) or len(value) > 8192 or not value.startswith("at://"):
        return None
    parts = value[5:].split("/")
    if len(parts) != 3:
        return None
    repo, collection, rkey = parts
    if not is_did(repo) or not NSID_PATTERN.match(collection) or not RKEY_PATTERN.match(rkey) or rkey in (".", ".."):
        return None
    return AtUri(repo, collection, rkey)
