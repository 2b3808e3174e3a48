"""What a running API holds (``app.state.warden``): built once by ``create_app``, no globals.

Key material comes from the settings: ``secret_key`` (CSRF tokens) and
``credential_keys`` (TOTP secrets, network credentials, single sign-on client
secrets). Outside development a missing one refuses to start; in development an
ephemeral secret key is made (sessions end at restart) and the credential key is
derived from it.

Login throttling counts live in the database by default (``settings.throttle_store``), so that
several processes share them; tests pass an in-memory store.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from warden.auth.credentials import CredentialCipher, Keyring
from warden.auth.errors import InsecureConfiguration
from warden.auth.keys import decode_key, derive_subkey
from warden.auth.oidc import OidcClients
from warden.auth.passwords import PasswordHasher
from warden.auth.throttle import BackoffPolicy, InMemoryThrottleStore, LoginThrottle, Throttle, ThrottleStore
from warden.auth.throttle_sql import SqlThrottleStore
from warden.auth.tokens import CsrfTokens, SessionLifetime
from warden.settings import Settings
from warden.workflow.unit import Clock, utcnow

log = logging.getLogger("warden.web")

SESSION_COOKIE_SECURE = "__Host-warden_session"
SESSION_COOKIE_PLAIN = "warden_session"
CSRF_HEADER = "X-CSRF-Token"


@dataclass
class WebState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    hasher: PasswordHasher
    csrf: CsrfTokens
    cipher: CredentialCipher
    login_throttle: LoginThrottle
    stepup_throttle: LoginThrottle
    mfa_throttle: Throttle
    #: Keys the hashes of client addresses kept in the database (``auth.throttle.identifier_hash``).
    identifier_key: bytes
    lifetime: SessionLifetime
    clock: Clock = utcnow
    #: Single sign-on relying parties, one per organisation with a provider (``web.oidc``).
    oidc: OidcClients = field(default_factory=OidcClients)

    @property
    def cookie_name(self) -> str:
        return SESSION_COOKIE_SECURE if self.settings.cookie_secure else SESSION_COOKIE_PLAIN

    def now(self) -> datetime:
        return self.clock()


def get_state(request: Request) -> WebState:
    state: WebState = request.app.state.warden
    return state


def secret_key(settings: Settings) -> bytes:
    """The application secret; refuses to run without one outside development."""
    if settings.secret_key is None or not settings.secret_key.get_secret_value().strip():
        if settings.environment != "development":
            raise InsecureConfiguration(
                "WARDEN_SECRET_KEY is not set; generate one with "
                "`python -c \"from warden.auth.keys import generate_key; print(generate_key())\"` "
                "(or set WARDEN_ENVIRONMENT=development to run with an ephemeral key)")
        log.warning("no WARDEN_SECRET_KEY: using an ephemeral key (development only; sessions end at restart)")
        return secrets.token_bytes(32)
    text = settings.secret_key.get_secret_value().strip()
    try:
        return decode_key(text, what="WARDEN_SECRET_KEY")
    except InsecureConfiguration:
        raw = text.encode("utf-8")
        if len(raw) < 32:
            raise InsecureConfiguration("WARDEN_SECRET_KEY must be at least 32 bytes") from None
        return raw


def credential_cipher(settings: Settings, master: bytes) -> CredentialCipher:
    if settings.credential_keys is not None and settings.credential_keys.get_secret_value().strip():
        return CredentialCipher(Keyring.from_text(settings.credential_keys.get_secret_value(),
                                                  source="WARDEN_CREDENTIAL_KEYS"))
    if settings.environment != "development":
        raise InsecureConfiguration("WARDEN_CREDENTIAL_KEYS is not set (comma-separated base64 keys, current "
                                    "first); it encrypts second-factor secrets and network credentials")
    return CredentialCipher(Keyring([derive_subkey(master, "credentials")]))


def make_throttle_store(settings: Settings, engine: Engine, clock: Clock = utcnow) -> ThrottleStore:
    """The store ``settings.throttle_store`` names: shared in the database, or this process's memory."""
    if settings.throttle_store == "memory":
        return InMemoryThrottleStore(clock=clock)
    return SqlThrottleStore(engine, clock=clock)


def build_state(settings: Settings, engine: Engine, sessions: sessionmaker[Session], *,
                hasher: PasswordHasher | None = None, clock: Clock = utcnow,
                throttle_store: ThrottleStore | None = None) -> WebState:
    master = secret_key(settings)
    store = throttle_store or make_throttle_store(settings, engine, clock)
    identifiers = derive_subkey(master, "client-identifiers")
    return WebState(
        settings=settings, engine=engine, sessions=sessions, hasher=hasher or PasswordHasher(),
        csrf=CsrfTokens(derive_subkey(master, "csrf")), cipher=credential_cipher(settings, master),
        login_throttle=LoginThrottle(store, clock=clock, key=identifiers),
        stepup_throttle=LoginThrottle(store, clock=clock, namespace="stepup", key=identifiers),
        mfa_throttle=Throttle(store, BackoffPolicy(free_failures=5), clock=clock), identifier_key=identifiers,
        lifetime=SessionLifetime(idle=timedelta(minutes=settings.session_idle_minutes),
                                 absolute=timedelta(hours=settings.session_absolute_hours)),
        clock=clock,
    )
