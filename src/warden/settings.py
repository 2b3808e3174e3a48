"""One settings object, built once at start-up and passed down.

Values come from environment variables prefixed ``WARDEN_`` (for example
``WARDEN_POLICY=/etc/warden/pack.yaml``) or from a ``.env``-style file named
by ``WARDEN_CONFIG``.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from warden.domain.errors import ConfigurationError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WARDEN_", extra="ignore", frozen=True)

    policy: str | None = Field(default=None, description="Policy pack: built-in name or file path.")
    max_text_chars: int = Field(default=65_536, ge=1, le=1_048_576, description="Longest text accepted.")
    workers: int | None = Field(default=None, ge=1, le=64, description="Processes for batch checks.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings(_env_file=os.environ.get("WARDEN_CONFIG"))  # type: ignore[call-arg]
    except ValidationError as exc:
        problems = "; ".join(f"WARDEN_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"invalid settings: {problems}") from exc
