"""OIDC settings, login state, errors and the JWKS cache, without a network."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc.jwk import OctKey, RSAKey

from warden.auth import oidc_errors
from warden.auth.errors import AuthError, InsecureConfiguration
from warden.auth.oidc import LoginState, OidcClient, OidcProvider
from warden.auth.oidc_http import JwksCache, parse_jwks, require_secure_url
from warden.auth.redaction import Secret

ISSUER = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0"
NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
RSA = RSAKey.generate_key(2048, {"kid": "k1"})


def provider(**changes: Any) -> OidcProvider:
    settings: dict[str, Any] = {"issuer": ISSUER, "client_id": "warden", "client_secret": Secret("shh"), **changes}
    return OidcProvider(**settings)


def login_state(**changes: Any) -> LoginState:
    values: dict[str, Any] = {
        "issuer": ISSUER,
        "state": "st",
        "nonce": "no",
        "code_verifier": Secret("v" * 64),
        "redirect_uri": "https://warden.example/auth/oidc/callback",
        "expires_at": NOW + timedelta(minutes=10),
        **changes,
    }
    return LoginState(**values)


# -- errors -----------------------------------------------------------------------------------

CODES = {
    "SsoFailed": "sso_failed",
    "SsoStateMismatch": "sso_state_mismatch",
    "SsoStateExpired": "sso_state_expired",
    "SsoDenied": "sso_denied",
    "SsoTokenExchangeFailed": "sso_token_exchange_failed",
    "SsoTokenInvalid": "sso_token_invalid",
    "SsoEmailNotAllowed": "sso_email_not_allowed",
    "SsoProviderError": "sso_provider_error",
}


@pytest.mark.parametrize(("name", "code"), sorted(CODES.items()))
def test_stable_codes(name: str, code: str) -> None:
    cls = getattr(oidc_errors, name)
    assert cls.code == code and issubclass(cls, oidc_errors.SsoFailed) and issubclass(cls, AuthError)


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("access_denied", "access_denied"),
        ("login_required", "login_required"),
        ("<x>", "invalid"),
        ("a" * 65, "invalid"),
        (None, "invalid"),
        (["access_denied"], "invalid"),
    ],
)
def test_safe_error_code(raw: object, safe: str) -> None:
    assert oidc_errors.safe_error_code(raw) == safe


# -- settings ---------------------------------------------------------------------------------


def test_defaults() -> None:
    p = provider(allowed_email_domains=frozenset({" Force.Police.UK. "}), group_mapping={"g": "admin"})
    assert p.discovery_url == ISSUER + "/.well-known/openid-configuration"
    assert p.allowed_email_domains == {"force.police.uk"}
    assert p.scopes == ("openid", "email", "profile") and p.id_token_algorithms == ("RS256",)
    assert "shh" not in repr(p)
    with pytest.raises(TypeError):
        p.group_mapping["g"] = "other"  # type: ignore[index]


def test_trailing_slash_issuer() -> None:
    assert (
        provider(issuer="https://idp.example/").discovery_url == "https://idp.example/.well-known/openid-configuration"
    )


@pytest.mark.parametrize(
    "issuer",
    [
        "http://idp.example",
        "http://127.0.0.1:8080",
        "ftp://idp.example",
        "https://user:pw@idp.example",
        "https://idp.example/#x",
        "https://idp.example/?tenant=1",
        "idp.example",
        "https://",
    ],
)
def test_insecure_or_malformed_issuer(issuer: str) -> None:
    with pytest.raises(InsecureConfiguration):
        provider(issuer=issuer)


@pytest.mark.parametrize("issuer", ["http://127.0.0.1:8080", "http://localhost:9000/realm", "http://[::1]:1234"])
def test_loopback_http_only_when_allowed(issuer: str) -> None:
    assert provider(issuer=issuer, allow_insecure_localhost=True).issuer == issuer
    with pytest.raises(InsecureConfiguration):
        require_secure_url("http://idp.example", allow_insecure_localhost=True, what="issuer")


@pytest.mark.parametrize(
    "changes",
    [
        {"client_id": ""},
        {"client_secret": Secret("")},
        {"client_secret": "plain"},
        {"scopes": ("email",)},
        {"token_endpoint_auth_method": "none"},
        {"id_token_algorithms": ()},
        {"id_token_algorithms": ("HS256",)},
        {"leeway": timedelta(minutes=10)},
        {"login_state_lifetime": timedelta(hours=1)},
        {"http_timeout": 0},
        {"max_response_bytes": 100},
    ],
)
def test_refused_settings(changes: dict[str, Any]) -> None:
    with pytest.raises(InsecureConfiguration):
        provider(**changes)


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://warden.example/cb", "https://warden.example/cb#frag", "/relative/cb", "javascript:alert(1)"],
)
def test_refused_redirect_uri(redirect_uri: str) -> None:
    with OidcClient(provider()) as client, pytest.raises(InsecureConfiguration):
        client.begin_login(redirect_uri)  # refused before any network call


def test_naive_now_refused() -> None:
    with OidcClient(provider()) as client, pytest.raises(ValueError, match="timezone-aware"):
        client.complete_login({"state": "st", "code": "c"}, login_state(), datetime(2026, 3, 1))


# -- login state ------------------------------------------------------------------------------


def test_login_state_round_trip() -> None:
    state = login_state()
    data = json.loads(json.dumps(state.to_dict()))
    assert LoginState.from_dict(data) == state
    assert data["code_verifier"] == "v" * 64 and data["v"] == "1"


def test_login_state_keeps_the_verifier_out_of_logs() -> None:
    state = login_state()
    assert "v" * 64 not in repr(state) and "v" * 64 not in f"{state}"
    with pytest.raises(TypeError):
        pickle.dumps(state)


@pytest.mark.parametrize(
    "damage",
    [
        {"v": "2"},
        {"state": ""},
        {"nonce": None},
        {"code_verifier": 7},
        {"expires_at": "yesterday"},
        {"expires_at": "2026-03-01T10:00:00"},
    ],
)
def test_corrupt_login_state(damage: dict[str, Any]) -> None:
    data: dict[str, Any] = {**login_state().to_dict(), **damage}
    with pytest.raises(oidc_errors.SsoStateMismatch):
        LoginState.from_dict(data)


def test_expired_state_checked_before_any_network_call() -> None:
    with OidcClient(provider()) as client, pytest.raises(oidc_errors.SsoStateExpired):
        client.complete_login({"state": "st", "code": "c"}, login_state(), NOW + timedelta(minutes=10))


# -- JWKS -------------------------------------------------------------------------------------


def test_parse_jwks_keeps_only_public_signing_keys() -> None:
    rsa = RSA.as_dict(private=True)
    oct_key = OctKey.generate_key(256, {"kid": "k1"}).as_dict(private=True)  # same kid: a confusion attempt
    enc = {**RSAKey.generate_key(2048, {"kid": "k2"}).as_dict(), "use": "enc"}
    keys = parse_jwks({"keys": [oct_key, enc, rsa, {"kty": "RSA", "kid": "broken"}, "junk"]})
    assert [(k.key_type, k.kid) for k in keys] == [("RSA", "k1")]
    assert not keys[0].is_private


@pytest.mark.parametrize("document", [{}, {"keys": "x"}, {"keys": []}, {"keys": [{"kty": "oct", "k": "AAAA"}]}])
def test_parse_jwks_without_usable_keys(document: dict[str, Any]) -> None:
    with pytest.raises(oidc_errors.SsoProviderError):
        parse_jwks(document)


def test_jwks_cache() -> None:
    fetched: list[int] = []
    ticks = [0.0]
    published = [RSA.as_dict()]

    def fetch() -> dict[str, Any]:
        fetched.append(1)
        return {"keys": list(published)}

    cache = JwksCache(fetch, ttl=3600, min_refresh_interval=30, clock=lambda: ticks[0])
    assert cache.key_for("k1", "RS256").kid == "k1"
    assert cache.key_for(None, "RS256").kid == "k1"  # the only key
    assert len(fetched) == 1
    with pytest.raises(oidc_errors.SsoTokenInvalid):
        cache.key_for("k1", "ES256")  # wrong key type for the algorithm
    with pytest.raises(oidc_errors.SsoTokenInvalid):
        cache.key_for("k9", "RS256")
    assert len(fetched) == 1  # too soon to refetch
    published.append(RSAKey.generate_key(2048, {"kid": "k9"}).as_dict())
    ticks[0] = 30
    assert cache.key_for("k9", "RS256").kid == "k9"
    assert len(fetched) == 2
    with pytest.raises(oidc_errors.SsoTokenInvalid):
        cache.key_for(None, "RS256")  # two keys: which one?
