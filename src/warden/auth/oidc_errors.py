"""Errors of OpenID Connect single sign-on; each has a stable machine-readable ``code``.

Messages are for people and never contain secrets, codes, tokens or text chosen by whoever sent
the callback (the ``error_description`` of a callback is attacker-controllable and is dropped).
``idp_error`` keeps the IdP's OAuth error code when it is a well-formed one, for logs and for the
web layer's choice of message.
"""

from __future__ import annotations

import re

from warden.auth.errors import AuthError, TooManyAttempts

_OAUTH_ERROR_CODE = re.compile(r"[a-z0-9_.\-]{1,64}")


def safe_error_code(value: object) -> str:
    """An OAuth ``error`` value fit to log, or ``"invalid"`` when it is not one (RFC 6749 §4.1.2.1)."""
    if isinstance(value, str) and _OAUTH_ERROR_CODE.fullmatch(value):
        return value
    return "invalid"


class SsoFailed(AuthError):
    """Base of every single sign-on failure: the person is not signed in."""

    code = "sso_failed"


class SsoStateMismatch(SsoFailed):
    """The callback's ``state`` is missing or is not the one this browser session started with."""

    code = "sso_state_mismatch"


class SsoStateExpired(SsoStateMismatch):
    """The sign-in started too long ago (or for another identity provider); start again."""

    code = "sso_state_expired"


class SsoDenied(SsoFailed):
    """The identity provider answered with an error, e.g. ``access_denied`` (the person declined)."""

    code = "sso_denied"

    def __init__(self, message: str, *, idp_error: str) -> None:
        super().__init__(message)
        self.idp_error = idp_error


class SsoTokenExchangeFailed(SsoFailed):
    """The token endpoint refused the authorisation code (reused, expired, wrong client or PKCE)."""

    code = "sso_token_exchange_failed"

    def __init__(self, message: str, *, idp_error: str) -> None:
        super().__init__(message)
        self.idp_error = idp_error


class SsoTokenInvalid(SsoFailed):
    """The ID token failed validation; ``reason`` is a stable short word (``signature``, ``iss`` ...)."""

    code = "sso_token_invalid"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class SsoEmailNotAllowed(SsoFailed):
    """The account's e-mail address is missing, unverified or outside the allowed domains."""

    code = "sso_email_not_allowed"


class SsoProviderError(SsoFailed):
    """The identity provider is unreachable, too slow, or answered with something unusable."""

    code = "sso_provider_error"


class SsoUnknownUser(SsoFailed):
    """The identity provider vouched for someone who is not (or no longer) a member of the organisation,
    or whose account there is not linked to a member and may not be linked automatically."""

    code = "sso_unknown_user"


class SsoMfaRequired(SsoFailed):
    """A second factor is required (by the organisation, or because the member enrolled one) and the
    identity provider does not say it used one (``amr`` without ``mfa``)."""

    code = "sso_mfa_required"


class SsoAccountMismatch(SsoFailed):
    """A step-up or a linking came back with another account than the one expected, or an account that
    is already linked to another member."""

    code = "sso_account_mismatch"


class SsoNotReauthenticated(SsoFailed):
    """A step-up at the identity provider came back without a fresh authentication (``auth_time``)."""

    code = "sso_not_reauthenticated"


class SsoTooManyPending(TooManyAttempts):
    """Too many sign-ins started from one client address are still pending (anti-automation, ASVS 11.1.4);
    ``retry_after`` is when the oldest of them expires."""

    code = "sso_too_many_pending"
