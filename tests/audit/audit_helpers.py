"""Builders shared by the audit tests: a realistic chain, a fixed signing key, checkpoints."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from warden.audit import (
    Actor,
    ActorKind,
    AuditEntry,
    AuditObject,
    Checkpoint,
    IncrementalMerkleTree,
    Signer,
    next_entry,
    state_hash,
)

ORG = "org-7f3a"
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

ACTORS = (
    Actor(id="m-1", name="PC Jo Smith", kind=ActorKind.MEMBER),
    Actor(id="m-2", name="Sgt. Åsa Øberg-Müller", kind=ActorKind.MEMBER),
    Actor(id="system:publisher", name="Publisher", kind=ActorKind.SYSTEM),
    Actor(id="tok-9", name="CAD integration", kind=ActorKind.API_TOKEN),
)
ACTIONS = ("draft.submitted", "draft.approved", "draft.rejected", "case.hidden", "case.escalated",
           "export.downloaded", "message.viewed", "lockdown.started")


def signer(seed: int = 1) -> Signer:
    return Signer(Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


def make_entry(previous: AuditEntry | None, i: int, rng: random.Random, org: str = ORG) -> AuditEntry:
    when = (previous.occurred_at if previous else T0) + timedelta(microseconds=rng.randrange(1, 90_000_000))
    state = {"text": f"Road closed on the A{i} 🚧", "version": i}
    return next_entry(
        previous,
        organisation_id=org,
        occurred_at=when,
        actor=rng.choice(ACTORS),
        action=rng.choice(ACTIONS),
        object=AuditObject(type=rng.choice(("draft", "case", "account")), id=f"obj-{i % 37}",
                           name=f"Draft \"{i}\" — ünïcode\n"),
        justification=rng.choice((None, "Approved: matches the force policy §4.2", "")),
        before_hash=None if i % 3 == 0 else state_hash(state),
        after_hash=state_hash({**state, "version": i + 1}),
        policy_revision=None if i % 4 == 0 else "pack-uk-policing@3f2a",
        detector_versions=None if i % 5 == 0 else {"pii": "1.2.0", "lexicon": "2024.05"},
        details={"n": i, "ratio": i / 7, "tags": ["a", "b", i], "nested": {"ok": i % 2 == 0, "none": None}},
    )


def make_chain(n: int, seed: int = 7, org: str = ORG) -> list[AuditEntry]:
    rng = random.Random(seed)
    entries: list[AuditEntry] = []
    for i in range(n):
        entries.append(make_entry(entries[-1] if entries else None, i, rng, org))
    return entries


def sign_every(entries: Sequence[AuditEntry], every: int, key: Signer) -> list[Checkpoint]:
    tree = IncrementalMerkleTree()
    checkpoints = []
    for position, entry in enumerate(entries, start=1):
        tree.append(bytes.fromhex(entry.entry_hash))
        if position % every == 0:
            checkpoints.append(key.sign(entry.organisation_id, position, tree.root(),
                                        created_at=entry.occurred_at + timedelta(seconds=1)))
    return checkpoints
