"""The few failures a connector reports; the pipeline has one answer to each."""

from __future__ import annotations

from datetime import datetime

from warden.domain.errors import WardenError


class ConnectorError(WardenError):
    code = "connector_error"


class NotSupported(ConnectorError):
    """The network (or this account type) cannot do this."""

    code = "not_supported"


class AuthFailed(ConnectorError):
    """The token is expired, revoked or lacks a scope: raise a health alert,
    stop polling, backfill from the stored cursor when reconnected."""

    code = "auth_failed"


class RateLimited(ConnectorError):
    """Come back at ``retry_at`` (from Retry-After or the network's reset header)."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class Transient(ConnectorError):
    """A timeout, a connection failure or a 5xx on a request that changed
    nothing (a read): retry with backoff."""

    code = "transient"


class Rejected(ConnectorError):
    """The network refused this request and will refuse it again (a 4xx other
    than 401/429): record the reason, do not retry."""

    code = "rejected"

    def __init__(self, message: str, *, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status  # the HTTP status, where there was one
        self.body = body  # a short excerpt of the network's answer, for telling refusals apart


class OutcomeUnknown(ConnectorError):
    """A write that may or may not have happened (a timeout or 5xx after the
    request was sent). The outbox marks the post UNCONFIRMED and reconciles."""

    code = "outcome_unknown"
