"""One settings object, built once at start-up and passed down.

Values come from environment variables prefixed ``WARDEN_`` (for example
``WARDEN_POLICY=/etc/warden/pack.yaml``) or from a ``.env``-style file named
by ``WARDEN_CONFIG``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from warden.domain.errors import ConfigurationError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WARDEN_", extra="ignore", frozen=True)

    policy: str | None = Field(default=None, description="Policy pack: built-in name or file path.")
    max_text_chars: int = Field(default=65_536, ge=1, le=1_048_576, description="Longest text accepted.")
    workers: int | None = Field(default=None, ge=1, le=64, description="Processes for batch checks.")

    # The platform (``warden serve``).
    environment: Literal["development", "production"] = Field(
        default="production", description="'development' allows a missing secret key (an ephemeral one is made).")
    database_url: str = Field(default="sqlite:///warden.sqlite3", description="SQLAlchemy URL: SQLite or PostgreSQL.")
    secret_key: SecretStr | None = Field(
        default=None, description="At least 32 bytes (base64 or text); signs CSRF tokens and keys the hashes of "
        "client addresses and user names kept for throttling (every process of an installation needs the same "
        "one). Required in production.")
    credential_keys: SecretStr | None = Field(
        default=None, description="Comma-separated base64 keys encrypting credentials and TOTP secrets, current "
                                  "first. Required in production.")
    cookie_secure: bool = Field(
        default=True, description="Secure cookies (__Host- prefix); turn off only for http://127.0.0.1 development.")
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60, description="Idle session lifetime.")
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 7, description="Absolute session lifetime.")
    replay_dir: str | None = Field(
        default=None, description="Directory whose JSONL files replay accounts added through the API may read; "
                                  "unset: replay accounts are added from the command line only.")
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576, description="Largest request body.")
    public_url: str | None = Field(
        default=None, description="Warden's address as browsers see it (https://warden.example.police.uk); the "
                                  "single sign-on callback is <public_url>/api/v1/auth/sso/callback. Unset: taken "
                                  "from each request.")
    oidc_allow_insecure_localhost: bool = Field(
        default=False, description="Allow an http:// identity provider on 127.0.0.1 (tests and development only).")
    throttle_store: Literal["database", "memory"] = Field(
        default="database", description="Where login-throttling counts live: 'database' (shared by every "
                                        "`warden serve` and worker process) or 'memory' (one process only).")
    sso_pending_per_address: int = Field(
        default=50, ge=1, le=100_000, description="Single sign-ons one client address (an IPv4 address, an IPv6 "
        "/64) may have started and not yet finished or let expire (10 minutes); more are refused with 429. Staff "
        "of a whole force may sign in from one office address: raise it there rather than lower it.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings(_env_file=os.environ.get("WARDEN_CONFIG"))  # type: ignore[call-arg]
    except ValidationError as exc:
        problems = "; ".join(f"WARDEN_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"invalid settings: {problems}") from exc
