"""Errors raised by the audit core; each carries a stable machine-readable code."""

from __future__ import annotations

from warden.domain.errors import WardenError


class AuditError(WardenError):
    code = "audit_error"


class CanonicalJSONError(AuditError):
    """A value that has no single canonical JSON form (NaN, a datetime, a non-string key ...)."""

    code = "audit_non_canonical_value"


class AuditFormatError(AuditError):
    """An audit entry field that is missing, of the wrong type or badly formed."""

    code = "audit_invalid_entry"


class ChainError(AuditError):
    """An append that would break the chain (wrong organisation, bad head)."""

    code = "audit_chain_error"


class CheckpointFormatError(AuditError):
    code = "audit_invalid_checkpoint"


class SigningKeyError(AuditError):
    """A signing or verification key that cannot be created, read or trusted."""

    code = "audit_signing_key"
