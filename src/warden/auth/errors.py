"""Errors raised by the security primitives; each has a stable machine-readable ``code``.

The web layer maps codes to HTTP statuses in one place. Messages never contain secret values.
Where telling an attacker *why* something failed would help them (unknown user versus wrong
password, unknown token versus wrong secret), the same error is raised for every case.
"""

from __future__ import annotations

from datetime import timedelta

from warden.domain.errors import ConfigurationError, InvalidInput, WardenError


class AuthError(WardenError):
    """Base of every authentication and authorisation failure."""

    code = "auth_error"


class InvalidCredentials(AuthError):
    """Wrong or unknown user name or password (deliberately indistinguishable)."""

    code = "invalid_credentials"


class WeakPassword(InvalidInput):
    """A new password that the password policy refuses; ``reasons`` lists stable reason codes."""

    code = "weak_password"

    def __init__(self, message: str, *, reasons: tuple[str, ...]) -> None:
        super().__init__(message)
        self.reasons = reasons


class PasswordHashError(WardenError):
    """A stored password hash that cannot be parsed (corrupt data, not a user error)."""

    code = "invalid_password_hash"


class MfaRequired(AuthError):
    """The password was right but a second factor is still needed."""

    code = "mfa_required"


class InvalidMfaCode(AuthError):
    """A TOTP or recovery code that does not verify."""

    code = "invalid_mfa_code"


class MfaCodeReplayed(InvalidMfaCode):
    """A TOTP code for a time step that was already used (ASVS 2.8.4)."""

    code = "mfa_code_replayed"


class TooManyAttempts(AuthError):
    """Throttled: try again after ``retry_after``."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: timedelta) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds, rounded up, for a ``Retry-After`` header."""
        seconds = self.retry_after.total_seconds()
        return max(1, int(seconds) + (0 if seconds == int(seconds) else 1))


class InvalidToken(AuthError):
    """A malformed, unknown or wrong API token, session id or CSRF token."""

    code = "invalid_token"


class TokenExpired(InvalidToken):
    code = "token_expired"


class TokenRevoked(InvalidToken):
    code = "token_revoked"


class SessionExpired(InvalidToken):
    """A browser session past its idle or absolute lifetime (ASVS 3.3.2)."""

    code = "session_expired"


class CsrfFailed(AuthError):
    """A missing or mismatched CSRF token (ASVS 4.2.2)."""

    code = "csrf_failed"


class InsufficientScope(AuthError):
    """A valid API token that lacks a scope the operation needs."""

    code = "insufficient_scope"

    def __init__(self, message: str, *, missing: frozenset[str]) -> None:
        super().__init__(message)
        self.missing = missing


class UnknownScope(InvalidInput):
    """A scope name that is not in ``tokens.SCOPES``."""

    code = "unknown_scope"


class StepUpRequired(AuthError):
    """A sensitive action needs a fresh re-authentication (ASVS 3.7.1)."""

    code = "step_up_required"

    def __init__(self, message: str, *, mfa: bool) -> None:
        super().__init__(message)
        self.mfa = mfa


class SessionRequired(AuthError):
    """The action needs a signed-in browser session (with a recent sign-in), not an API token."""

    code = "session_required"


class InsecureConfiguration(ConfigurationError):
    """Missing, weak or exposed key material, or parameters below the security floor."""

    code = "insecure_configuration"


class CredentialError(WardenError):
    """A stored network credential that cannot be decrypted."""

    code = "credential_error"


class UnknownCredentialKey(CredentialError):
    """The ciphertext names a key id that is not in the keyring."""

    code = "unknown_credential_key"


class CredentialDecryptionFailed(CredentialError):
    """Authentication of the ciphertext failed: tampered, truncated or bound to another owner."""

    code = "credential_decryption_failed"
