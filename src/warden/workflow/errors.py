"""Why a workflow action was refused; the web layer maps each code to HTTP once."""

from __future__ import annotations

from warden.domain.errors import WardenError


class Forbidden(WardenError):
    code = "forbidden"


class NotFound(WardenError):
    code = "not_found"


class InvalidState(WardenError):
    """The object is not in a state where this action is possible."""

    code = "invalid_state"


class StaleVersion(WardenError):
    """Someone changed the object since the caller last saw it."""

    code = "stale_version"


class ReasonRequired(WardenError):
    code = "reason_required"


class LockedDown(WardenError):
    code = "locked_down"
