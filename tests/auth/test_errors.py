import pytest

from warden.auth import errors
from warden.domain.errors import ConfigurationError, WardenError

EXPECTED = {
    "InvalidCredentials": "invalid_credentials",
    "MfaRequired": "mfa_required",
    "InvalidMfaCode": "invalid_mfa_code",
    "MfaCodeReplayed": "mfa_code_replayed",
    "TooManyAttempts": "too_many_attempts",
    "InvalidToken": "invalid_token",
    "TokenExpired": "token_expired",
    "TokenRevoked": "token_revoked",
    "SessionExpired": "session_expired",
    "CsrfFailed": "csrf_failed",
    "InsufficientScope": "insufficient_scope",
    "UnknownScope": "unknown_scope",
    "StepUpRequired": "step_up_required",
    "InsecureConfiguration": "insecure_configuration",
    "WeakPassword": "weak_password",
    "PasswordHashError": "invalid_password_hash",
    "UnknownCredentialKey": "unknown_credential_key",
    "CredentialDecryptionFailed": "credential_decryption_failed",
}


@pytest.mark.parametrize(("name", "code"), sorted(EXPECTED.items()))
def test_stable_codes(name: str, code: str) -> None:
    cls = getattr(errors, name)
    assert issubclass(cls, WardenError) and cls.code == code


def test_insecure_configuration_is_a_configuration_error() -> None:
    assert issubclass(errors.InsecureConfiguration, ConfigurationError)
