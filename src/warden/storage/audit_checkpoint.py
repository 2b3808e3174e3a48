"""Signing a checkpoint of an organisation's audit chain."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from warden.audit import (
    ChainError,
    Checkpoint,
    IncrementalMerkleTree,
    Signer,
    VerificationReport,
    Verifier,
    load_entries,
    verify_chain,
)
from warden.storage import audit_log


def verify(session: Session, organisation_id: uuid.UUID, verifier: Verifier,
           exported: Iterable[Checkpoint] = ()) -> VerificationReport:
    """Recompute the chain against the stored checkpoints and any exported copies
    (the exported ones count: someone who can write the database can delete rows)."""
    checkpoints = {(c.tree_size, c.root_hash, c.signature): c
                   for c in [*audit_log.stored_checkpoints(session, organisation_id), *exported]
                   if c.organisation_id == str(organisation_id)}
    ordered = sorted(checkpoints.values(), key=lambda c: c.tree_size)
    entries = load_entries(audit_log.stream_rows(session, organisation_id))
    return verify_chain(entries, ordered, verifier, organisation_id=str(organisation_id))


def sign_checkpoint(session: Session, organisation_id: uuid.UUID, signer: Signer, verifier: Verifier,
                    exported: Iterable[Checkpoint] = ()) -> Checkpoint | None:
    """Verify the chain, then sign its current Merkle root and store it; None
    for an empty chain. A chain that does not verify is never signed."""
    report = verify(session, organisation_id, verifier, exported)
    if not report.ok:
        raise ChainError("refusing to sign a checkpoint over a chain that does not verify: " + report.summary())
    tree = IncrementalMerkleTree()
    for body in audit_log.stream_rows(session, organisation_id):
        tree.append(bytes.fromhex(str(body["entry_hash"])))
    if tree.size == 0:
        return None
    checkpoint = signer.sign(str(organisation_id), tree.size, tree.root())
    audit_log.save_checkpoint(session, checkpoint)
    return checkpoint
