"""Per-network account settings: unknown keys, kinds and required ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from warden.connectors.account_settings import missing, validate
from warden.domain.errors import InvalidInput


def test_x_settings_are_checked_and_normalised() -> None:
    clean = validate("x", {"user_id": " 2244994945 ", "api_url": "https://api.x.example/",
                           "direct_messages": "false", "search_replies": True})
    assert clean == {"user_id": "2244994945", "api_url": "https://api.x.example", "direct_messages": False,
                     "search_replies": True}


@pytest.mark.parametrize(("network", "settings", "message"), [
    ("x", {"base_url": "https://api.x.com"}, "no setting base_url"),
    ("x", {"direct_messages": "yes"}, "true or false"),
    ("x", {"api_url": "https://user:pw@api.x.com"}, "without user information"),
    ("x", {"api_url": "ftp://api.x.com"}, "http"),
    ("replay", {"speed": "fast"}, "number"),
    ("replay", {"speed": 10**6}, "between"),
    ("mastodon", {"base_url": " "}, "1 to 500"),
])
def test_bad_settings_are_refused_with_a_reason(network: str, settings: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        validate(network, settings)


def test_replay_files_are_confined_where_asked(tmp_path: Path) -> None:
    inside = tmp_path / "feeds" / "a.jsonl"
    assert validate("replay", {"file": str(inside)}, files_under=tmp_path / "feeds")["file"] == str(inside)
    with pytest.raises(InvalidInput, match="inside"):
        validate("replay", {"file": str(tmp_path / "elsewhere.jsonl")}, files_under=tmp_path / "feeds")
    with pytest.raises(InvalidInput, match="command line"):
        validate("replay", {"file": str(inside)}, files_allowed=False)


def test_missing_names_what_an_account_needs_before_connecting() -> None:
    assert missing("x", {}) == ["user_id"] and missing("x", {"user_id": "1"}) == []
    assert missing("replay", {"speed": 1}) == ["file"]
