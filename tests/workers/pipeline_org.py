"""An organisation whose corporate account is a replay network in tmp files."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, update

from warden.auth.credentials import CredentialCipher, Keyring
from warden.auth.keys import generate_key
from warden.storage.tables import Draft, SocialAccount
from warden.workers.connecting import Connectors
from warden.workers.pipeline import Pipeline
from warden.workflow import drafts
from workflow_org import Org, build_org


def write_messages(path: Path, messages: Iterable[dict[str, Any]]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        for message in messages:
            handle.write(json.dumps(message) + "\n")


def message(n: int, text: str, **extra: Any) -> dict[str, Any]:
    return {"id": f"m{n}", "text": text, "author": f"@person{n}", "kind": "reply",
            "created_at": datetime(2026, 11, 1, 9, 0, tzinfo=UTC).isoformat(), **extra}


def replay_org(engine: Engine, tmp: Path, slug: str = "north", speed: float = 0) -> tuple[Org, Path]:
    org = build_org(engine, slug)
    feed = tmp / f"{slug}.jsonl"
    feed.touch()
    with org.sessions.begin() as session:
        session.execute(update(SocialAccount).where(SocialAccount.id == org.corporate).values(
            health="connected", settings={"file": str(feed), "speed": speed}))
    return org, feed


def pipeline(org: Org, **options: Any) -> Pipeline:
    cipher = CredentialCipher(Keyring.from_text(generate_key()))
    return Pipeline(org.sessions, Connectors(cipher), **options)


def published(feed: Path) -> list[dict[str, Any]]:
    path = Path(str(feed.with_suffix("")) + ".published.jsonl")
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def scheduled_draft(org: Org, when: datetime,
                    text: str = "The A64 is open again in both directions. Thanks for your patience.") -> uuid.UUID:
    """A clean draft for the corporate account, submitted (allowed at once) and scheduled for ``when``."""
    draft_id = drafts.create_draft(org.sessions, org.publisher, team_id=org.team, account_ids=[org.corporate],
                                   text=text)
    drafts.submit_draft(org.sessions, org.publisher, draft_id)
    with org.sessions() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and draft.state == "allowed"
        version = draft.version
    drafts.schedule(org.sessions, org.publisher, draft_id, version, when)
    return draft_id
