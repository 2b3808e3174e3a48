"""One error base class; every error carries a machine-readable code."""

from __future__ import annotations


class WardenError(Exception):
    """Base of every error Warden raises on purpose.

    ``code`` is stable and machine-readable (the web layer and the CLI map it);
    the message is for people.
    """

    code: str = "warden_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidInput(WardenError):
    code = "invalid_input"


class TextTooLong(InvalidInput):
    code = "text_too_long"


class EmptyText(InvalidInput):
    code = "empty_text"


class PolicyError(WardenError):
    """A policy pack that cannot be loaded; the message names the key."""

    code = "invalid_policy"


class LexiconError(WardenError):
    code = "invalid_lexicon"


class ConfigurationError(WardenError):
    code = "invalid_configuration"
