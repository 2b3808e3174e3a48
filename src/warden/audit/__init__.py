"""Tamper-evident audit log: entries, hash chain, RFC 9162 Merkle checkpoints, verification.

Pure (no database): the storage layer appends with :func:`next_entry`, signs checkpoints with a
:class:`Signer` over an :class:`IncrementalMerkleTree` root, and verifies with :func:`verify_chain`.
"""

from warden.audit.canonical import JsonValue, canonical_json, state_hash
from warden.audit.chain import (
    ChainHead,
    compute_entry_hash,
    draft_entry,
    genesis_hash,
    link,
    next_entry,
    recompute_entry_hash,
)
from warden.audit.checkpoints import (
    Checkpoint,
    Signer,
    Verifier,
    dump_checkpoints,
    generate_key,
    load_checkpoints,
    load_public_key,
)
from warden.audit.entry import Actor, ActorKind, AuditEntry, AuditObject, format_timestamp, parse_timestamp
from warden.audit.errors import (
    AuditError,
    AuditFormatError,
    CanonicalJSONError,
    ChainError,
    CheckpointFormatError,
    SigningKeyError,
)
from warden.audit.merkle import IncrementalMerkleTree, merkle_root
from warden.audit.report import Problem, ProblemKind, Severity, VerificationReport
from warden.audit.verify import MalformedEntry, load_entries, verify_chain

__all__ = [
    "Actor",
    "ActorKind",
    "AuditEntry",
    "AuditError",
    "AuditFormatError",
    "AuditObject",
    "CanonicalJSONError",
    "ChainError",
    "ChainHead",
    "Checkpoint",
    "CheckpointFormatError",
    "IncrementalMerkleTree",
    "JsonValue",
    "MalformedEntry",
    "Problem",
    "ProblemKind",
    "Severity",
    "Signer",
    "SigningKeyError",
    "VerificationReport",
    "Verifier",
    "canonical_json",
    "compute_entry_hash",
    "draft_entry",
    "dump_checkpoints",
    "format_timestamp",
    "generate_key",
    "genesis_hash",
    "link",
    "load_checkpoints",
    "load_entries",
    "load_public_key",
    "merkle_root",
    "next_entry",
    "parse_timestamp",
    "recompute_entry_hash",
    "state_hash",
    "verify_chain",
]
