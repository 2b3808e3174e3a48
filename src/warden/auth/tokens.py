"""Bearer secrets: API tokens for integrations, browser session ids, CSRF tokens.

API tokens (ASVS 3.5.2, 3.5.3, 6.3.1, 2.10.x): ``wdn_<prefix>_<secret>`` where ``prefix`` is 12 hex
characters (48 random bits, not secret, used to find the stored record and shown in the UI and
logs) and ``secret`` is 32 random bytes, URL-safe base64 (256 bits). Only the SHA-256 of the whole
token is stored; with 256 random bits a pepper or a slow hash adds nothing, and no server key has
to be rotated with the tokens. Presented tokens are compared with the stored digest in constant
time. Every token carries scopes from ``SCOPES``, an expiry (at most a year) and may be revoked.
Scopes only narrow what the member's roles already allow; the permission check itself lives in
``workflow/permissions``.

Sessions (ASVS 3.2.1, 3.2.2, 3.3.2, 7.1.1): a fresh 256-bit id at every login (never reuse an id
across authentication), kept in a ``__Host-`` cookie (Secure, HttpOnly, SameSite=Lax, Path=/);
only its SHA-256 is stored or logged. L2 lifetime: 30 minutes idle, 12 hours absolute.

CSRF (ASVS 4.2.2): HMAC-based tokens bound to the session: ``<nonce>.<HMAC-SHA256(key, session
digest, nonce)>``. A new nonce per issued token (so each page gets a different token, which also
defeats BREACH-style compression attacks); no server-side state; rotating the session id on login
invalidates every token of the old session.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from warden.auth._time import require_aware
from warden.auth.errors import (
    CsrfFailed,
    InsecureConfiguration,
    InsufficientScope,
    InvalidToken,
    SessionExpired,
    TokenExpired,
    TokenRevoked,
    UnknownScope,
)
from warden.auth.redaction import Secret, reveal

SCOPES: Mapping[str, str] = {
    "drafts:read": "Read drafts and their risk decisions",
    "drafts:write": "Create, edit and submit drafts",
    "approvals:write": "Approve or reject held drafts",
    "inbox:read": "Read inbound messages and cases",
    "inbox:write": "Act on inbound messages and cases",
    "accounts:read": "Read social media accounts and their health",
    "accounts:admin": "Add, change and remove social media accounts and their credentials",
    "audit:read": "Read the audit log (exporting it needs a signed-in session and a step-up)",
    "policy:admin": "Change policy packs and context registers",
    "members:admin": "Add, change and remove members and their roles",
}

API_TOKEN_PREFIX = "wdn"  # noqa: S105 - a public marker, not a secret
API_TOKEN_SECRET_BYTES = 32
DEFAULT_API_TOKEN_LIFETIME = timedelta(days=90)
MAX_API_TOKEN_LIFETIME = timedelta(days=366)
_API_TOKEN = re.compile(r"wdn_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
_BEARER = re.compile(r"Bearer +(\S+)", re.IGNORECASE)


def validate_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """``scopes`` as a frozenset; ``UnknownScope`` names any scope not in ``SCOPES``."""
    wanted = frozenset(scopes)
    unknown = wanted - SCOPES.keys()
    if unknown:
        raise UnknownScope(f"unknown scope(s): {', '.join(sorted(unknown))}")
    return wanted


def require_scopes(granted: frozenset[str], required: Iterable[str]) -> None:
    """Raise ``InsufficientScope`` unless every ``required`` scope was granted."""
    missing = validate_scopes(required) - granted
    if missing:
        raise InsufficientScope(f"the token lacks scope(s): {', '.join(sorted(missing))}", missing=missing)


class StoredApiToken(Protocol):
    """What verification needs from a stored token (an ORM row may satisfy it directly)."""

    @property
    def digest(self) -> str: ...
    @property
    def scopes(self) -> frozenset[str]: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def revoked_at(self) -> datetime | None: ...


StoredT = TypeVar("StoredT", bound=StoredApiToken)
StoredT_co = TypeVar("StoredT_co", bound=StoredApiToken, covariant=True)


class ApiTokenLookup(Protocol[StoredT_co]):
    """Storage's side: find a token by its public prefix (in the caller's organisation)."""

    def find_api_token(self, prefix: str) -> StoredT_co | None: ...


@dataclass(frozen=True)
class ApiTokenRecord:
    """The storable part of a token. ``digest`` is the hex SHA-256 of the whole token."""

    prefix: str
    digest: str = field(repr=False)
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def revoke(self, now: datetime) -> ApiTokenRecord:
        return self if self.revoked_at else replace(self, revoked_at=require_aware(now, "now"))


@dataclass(frozen=True)
class IssuedApiToken:
    """``token`` is shown to its owner once and never stored; ``record`` is stored."""

    token: Secret[str]
    record: ApiTokenRecord


def issue_api_token(
    scopes: Iterable[str], *, now: datetime, lifetime: timedelta = DEFAULT_API_TOKEN_LIFETIME
) -> IssuedApiToken:
    """A new random token with ``scopes`` (validated, at least one) expiring after ``lifetime``."""
    granted = validate_scopes(scopes)
    if not granted:
        raise UnknownScope("a token needs at least one scope")
    if not timedelta(0) < lifetime <= MAX_API_TOKEN_LIFETIME:
        raise ValueError(f"lifetime must be positive and at most {MAX_API_TOKEN_LIFETIME.days} days")
    now = require_aware(now, "now")
    prefix = secrets.token_hex(6)
    token = f"{API_TOKEN_PREFIX}_{prefix}_{_b64(secrets.token_bytes(API_TOKEN_SECRET_BYTES))}"
    record = ApiTokenRecord(
        prefix=prefix, digest=sha256_hex(token), scopes=granted, created_at=now, expires_at=now + lifetime
    )
    return IssuedApiToken(token=Secret(token), record=record)


def api_token_prefix(presented: str | Secret[str]) -> str:
    """The lookup prefix of a well-formed token; ``InvalidToken`` otherwise."""
    match = _API_TOKEN.fullmatch(reveal(presented))
    if match is None:
        raise InvalidToken("the API token is not valid")
    return match.group(1)


def bearer_token(authorization: str | None) -> Secret[str]:
    """The token in an ``Authorization: Bearer ...`` header value; ``InvalidToken`` otherwise."""
    match = _BEARER.fullmatch((authorization or "").strip())
    if match is None:
        raise InvalidToken("expected an Authorization: Bearer token")
    return Secret(match.group(1))


def verify_api_token(
    presented: str | Secret[str],
    stored: StoredT | None,
    *,
    now: datetime,
    required_scopes: Iterable[str] = (),
) -> StoredT:
    """Check ``presented`` against ``stored`` (``None`` when its prefix is unknown); return ``stored``.

    Order: the secret first (``InvalidToken``, the same error for an unknown prefix, a wrong
    secret or a malformed token), then ``TokenRevoked``, ``TokenExpired`` and ``InsufficientScope``.
    """
    now = require_aware(now, "now")
    token = reveal(presented)
    digest = sha256_hex(token)  # computed whatever happens, so that failures take the same time
    expected = stored.digest if stored is not None else "0" * 64
    if not (hmac.compare_digest(digest, expected) and stored is not None and _API_TOKEN.fullmatch(token)):
        raise InvalidToken("the API token is not valid")
    if stored.revoked_at is not None:
        raise TokenRevoked("the API token has been revoked")
    if now >= stored.expires_at:
        raise TokenExpired("the API token has expired")
    require_scopes(stored.scopes, required_scopes)
    return stored


def authenticate_api_token(
    presented: str | Secret[str],
    lookup: ApiTokenLookup[StoredT],
    *,
    now: datetime,
    required_scopes: Iterable[str] = (),
) -> StoredT:
    """Parse, look up by prefix and verify in one call."""
    return verify_api_token(
        presented, lookup.find_api_token(api_token_prefix(presented)), now=now, required_scopes=required_scopes
    )


# ---------------------------------------------------------------------------------------------
# Browser sessions

SESSION_ID_BYTES = 32
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class IssuedSession:
    """``session_id`` goes in the cookie; ``digest`` is what storage keeps and looks up."""

    session_id: Secret[str]
    digest: str


@dataclass(frozen=True)
class SessionLifetime:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


def issue_session() -> IssuedSession:
    """A new random 256-bit session id. Issue one at every login and every privilege change."""
    session_id = _b64(secrets.token_bytes(SESSION_ID_BYTES))
    return IssuedSession(session_id=Secret(session_id), digest=sha256_hex(session_id))


def session_digest(session_id: str | Secret[str]) -> str:
    """The stored form of a presented session id; ``InvalidToken`` if it is malformed."""
    value = reveal(session_id)
    if not _SESSION_ID.fullmatch(value):
        raise InvalidToken("the session is not valid")
    return sha256_hex(value)


def check_session_lifetime(
    *, created_at: datetime, last_seen_at: datetime, now: datetime, lifetime: SessionLifetime | None = None
) -> None:
    """Raise ``SessionExpired`` when the session is past its idle or absolute lifetime."""
    lifetime = lifetime or SessionLifetime()
    now = require_aware(now, "now")
    if now - require_aware(created_at, "created_at") >= lifetime.absolute:
        raise SessionExpired("the session has expired; please sign in again")
    if now - require_aware(last_seen_at, "last_seen_at") >= lifetime.idle:
        raise SessionExpired("the session expired after a period of inactivity; please sign in again")


class CsrfTokens:
    """Issue and verify CSRF tokens bound to a session id.

    ``key`` is at least 32 bytes, e.g. ``keys.derive_subkey(secret_key, "csrf")``.
    """

    def __init__(self, key: bytes | Secret[bytes]) -> None:
        raw = reveal(key)
        if len(raw) < 32:
            raise InsecureConfiguration("the CSRF key must be at least 32 bytes")
        self._key = Secret(raw)

    def issue(self, session_id: str | Secret[str]) -> str:
        nonce = secrets.token_bytes(16)
        return f"{_b64(nonce)}.{_b64(self._mac(session_id, nonce))}"

    def verify(self, session_id: str | Secret[str], token: str | None) -> None:
        """Raise ``CsrfFailed`` unless ``token`` was issued by this key for this session."""
        nonce_text, _, mac_text = (token or "").partition(".")
        try:
            nonce, mac = _unb64(nonce_text), _unb64(mac_text)
            expected = self._mac(session_id, nonce)
        except (InvalidToken, ValueError, binascii.Error):
            raise CsrfFailed("the form has expired or did not come from this site; reload and try again") from None
        if len(nonce) != 16 or not hmac.compare_digest(mac, expected):
            raise CsrfFailed("the form has expired or did not come from this site; reload and try again")

    def _mac(self, session_id: str | Secret[str], nonce: bytes) -> bytes:
        message = b"warden/csrf/v1\x00" + session_digest(session_id).encode() + b"\x00" + nonce
        return hmac.new(self._key.reveal(), message, hashlib.sha256).digest()


def sha256_hex(text: str) -> str:
    """The stored form of a random secret (a session id, a flow's state or browser binding)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not ascii")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
