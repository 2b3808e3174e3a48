"""1,000 random tamperings of a copy of a real SQLite database: verification
detects every one. The chain comes from real workflow actions and is signed
by a checkpoint exported outside the database."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import select

from warden.audit import Checkpoint, Signer, Verifier, canonical_json, generate_key
from warden.storage import audit_checkpoint
from warden.storage.database import make_engine, migrate, session_factory
from warden.storage.tables import Organisation
from warden.workflow import drafts
from workflow_org import build_org

TAMPERINGS = 1000
KINDS = ("edit_body", "edit_column", "delete_middle", "delete_tail", "swap", "insert_middle", "rehash_after_edit",
         "drop_checkpoint_and_edit", "duplicate_seq")


def _build(tmp_path: Path) -> tuple[Path, str, Signer, Checkpoint]:
    path = tmp_path / "golden.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    org = build_org(engine, "north")
    for i in range(12):
        draft_id = drafts.create_draft(org.sessions, org.contributor, team_id=org.team, account_ids=[org.corporate],
                                       text=f"Community surgery number {i} at the library.")
        drafts.submit_draft(org.sessions, org.contributor, draft_id)
    signer = generate_key(tmp_path / "audit.key")
    with session_factory(engine).begin() as session:
        checkpoint = audit_checkpoint.sign_checkpoint(session, org.id, signer, Verifier([]))
    engine.dispose()
    with sqlite3.connect(path) as db:  # fold the write-ahead log into the file we copy
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert checkpoint is not None
    return path, str(org.id), signer, checkpoint


def _rehash_from(db: sqlite3.Connection, start_seq: int) -> None:
    """What an attacker without the signing key can do: recompute every later hash."""
    from warden.audit import AuditEntry, compute_entry_hash

    rows = db.execute("SELECT seq, body FROM audit_entries ORDER BY seq").fetchall()
    prev = None
    for seq, body in rows:
        data = json.loads(body)
        if seq >= start_seq and prev is not None:
            data["prev_hash"] = prev
            entry = AuditEntry.from_dict({**data, "entry_hash": "0" * 64})
            data["entry_hash"] = compute_entry_hash(prev, entry.hashed_fields())
            db.execute("UPDATE audit_entries SET body = ?, entry_hash = ? WHERE seq = ?",
                       (canonical_json(data).decode(), data["entry_hash"], seq))
        prev = data["entry_hash"]


def _tamper(db: sqlite3.Connection, kind: str, rng: random.Random) -> None:
    n = db.execute("SELECT max(seq) FROM audit_entries").fetchone()[0]
    seq = rng.randint(2, n - 1)
    body = json.loads(db.execute("SELECT body FROM audit_entries WHERE seq = ?", (seq,)).fetchone()[0])
    if kind == "edit_body":
        field = rng.choice(["action", "justification", "occurred_at", "details", "actor"])
        if field == "occurred_at":
            body[field] = body[field].replace("20", "19", 1)
        elif field == "details":
            body[field] = {**body[field], "forged": True}
        elif field == "actor":
            body[field] = {**body[field], "name": "Someone Else"}
        else:
            body[field] = "forged"
        db.execute("UPDATE audit_entries SET body = ? WHERE seq = ?", (canonical_json(body).decode(), seq))
    elif kind == "edit_column":
        db.execute("UPDATE audit_entries SET action = 'forged' WHERE seq = ?", (seq,))
    elif kind == "delete_middle":
        db.execute("DELETE FROM audit_entries WHERE seq = ?", (seq,))
    elif kind == "delete_tail":
        db.execute("DELETE FROM audit_entries WHERE seq >= ?", (rng.randint(2, n),))
    elif kind == "swap":
        other = seq + 1
        db.execute("UPDATE audit_entries SET seq = -1 WHERE seq = ?", (seq,))
        db.execute("UPDATE audit_entries SET seq = ? WHERE seq = ?", (seq, other))
        db.execute("UPDATE audit_entries SET seq = ? WHERE seq = -1", (other,))
    elif kind == "insert_middle":
        db.execute("UPDATE audit_entries SET seq = seq + 1000 WHERE seq > ?", (seq,))
        db.execute("INSERT INTO audit_entries SELECT organisation_id, ?, occurred_at, action, actor_id, object_type, "
                   "object_id, entry_hash, body FROM audit_entries WHERE seq = ?", (seq + 1, seq))
        db.execute("UPDATE audit_entries SET seq = seq - 999 WHERE seq > 1000")
    elif kind == "rehash_after_edit":
        body["action"] = "draft.approved"  # a plausible forgery, consistently re-hashed
        db.execute("UPDATE audit_entries SET body = ? WHERE seq = ?", (canonical_json(body).decode(), seq))
        _rehash_from(db, seq)
    elif kind == "drop_checkpoint_and_edit":
        db.execute("DELETE FROM audit_checkpoints")
        body["justification"] = "forged"
        db.execute("UPDATE audit_entries SET body = ? WHERE seq = ?", (canonical_json(body).decode(), seq))
        _rehash_from(db, seq)
    elif kind == "duplicate_seq":
        db.execute("UPDATE audit_entries SET seq = ? WHERE seq = ?", (seq + 1000, seq))
    else:  # pragma: no cover - KINDS is exhaustive
        raise AssertionError(kind)


def test_every_tampering_of_a_database_copy_is_detected(tmp_path: Path) -> None:
    golden, org_id, signer, exported = _build(tmp_path)
    verifier = Verifier([signer._key.public_key()])

    def verify(path: Path) -> bool:
        engine = make_engine(f"sqlite:///{path}")
        try:
            with session_factory(engine)() as session:
                org = session.execute(select(Organisation.id)).scalar_one()
                return audit_checkpoint.verify(session, org, verifier, [exported]).ok
        finally:
            engine.dispose()

    assert verify(golden)
    rng = random.Random(2026)
    missed: list[str] = []
    copy = tmp_path / "copy.sqlite3"
    for i in range(TAMPERINGS):
        kind = KINDS[i % len(KINDS)]
        for stale in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
            stale.unlink(missing_ok=True)
        shutil.copyfile(golden, copy)
        with sqlite3.connect(copy) as db:
            _tamper(db, kind, rng)
        if verify(copy):
            missed.append(f"{i}:{kind}")
    assert missed == [], f"{len(missed)} tamperings undetected: {missed[:10]}"
    assert org_id
