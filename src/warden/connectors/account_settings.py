"""The non-secret settings each network's accounts carry, checked when an
account is added (secrets go in the encrypted credentials instead)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warden.domain.errors import InvalidInput

URL, TEXT, NUMBER, FILE, FLAG = "url", "text", "number", "file", "flag"

SETTINGS: dict[str, dict[str, str]] = {
    "x": {"user_id": TEXT, "api_url": URL, "direct_messages": FLAG, "search_replies": FLAG},
    "facebook": {"page_id": TEXT, "graph_url": URL},
    "instagram": {"ig_user_id": TEXT, "graph_url": URL},
    "mastodon": {"base_url": URL},
    "bluesky": {"service_url": URL, "did": TEXT},
    "replay": {"file": FILE, "speed": NUMBER, "backlog": NUMBER, "published_file": FILE},
}
#: Needed before the account can connect (an account may be registered first, set up later).
REQUIRED: dict[str, tuple[str, ...]] = {
    "x": ("user_id",), "facebook": ("page_id",), "instagram": ("ig_user_id",), "mastodon": ("base_url",),
    "bluesky": (), "replay": ("file",),
}
#: The setting that names the account in a network's webhook deliveries.
WEBHOOK_KEY = {"x": "user_id", "facebook": "page_id", "instagram": "ig_user_id"}


def validate(network: str, settings: Mapping[str, Any], *, files_under: Path | None = None,
             files_allowed: bool = True) -> dict[str, Any]:
    """The settings, checked and normalised. ``files_under`` confines replay
    files to one directory (the API); the CLI, run on the server, may name any."""
    known = SETTINGS.get(network, {})
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise InvalidInput(f"{network} accounts have no setting {', '.join(unknown)}; "
                           f"known: {', '.join(known) or 'none'}")
    clean: dict[str, Any] = {}
    for key, value in settings.items():
        kind = known[key]
        if kind == FLAG:
            if value not in (True, False, "true", "false"):
                raise InvalidInput(f"{key} must be true or false")
            clean[key] = value in (True, "true")
            continue
        if kind == NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise InvalidInput(f"{key} must be a number")
            try:
                number = float(value)
            except ValueError:
                raise InvalidInput(f"{key} must be a number") from None
            if not 0 <= number <= 100_000:
                raise InvalidInput(f"{key} must be between 0 and 100000")
            clean[key] = number
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > 500:
            raise InvalidInput(f"{key} must be text of 1 to 500 characters")
        value = value.strip()
        if kind == URL:
            parts = urlsplit(value)
            if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
                raise InvalidInput(f"{key} must be an http(s) URL without user information")
            value = value.rstrip("/")
        elif kind == FILE:
            if not files_allowed:
                raise InvalidInput("replay files can only be set from the command line on the server")
            path = Path(value).expanduser().resolve()
            if files_under is not None and not path.is_relative_to(files_under.resolve()):
                raise InvalidInput(f"{key} must be inside {files_under}")
            value = str(path)
        clean[key] = value
    return clean


def missing(network: str, settings: Mapping[str, Any]) -> list[str]:
    return [key for key in REQUIRED.get(network, ()) if settings.get(key) in (None, "")]
