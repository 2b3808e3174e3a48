"""The whole OIDC sign-in over real HTTP against the local identity provider in ``oidc_idp``.

The browser is played by httpx: it follows the redirect to /authorize by hand and hands the
callback's query parameters to ``complete_login``, as the web layer will.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from oidc_idp import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, LocalIdp

from warden.auth.errors import AuthError, InsecureConfiguration
from warden.auth.oidc import LoginState, OidcClient, OidcIdentity, OidcProvider
from warden.auth.oidc_errors import (
    SsoDenied,
    SsoEmailNotAllowed,
    SsoFailed,
    SsoProviderError,
    SsoStateExpired,
    SsoStateMismatch,
    SsoTokenExchangeFailed,
    SsoTokenInvalid,
)
from warden.auth.redaction import Secret

#: One browser and one connection pool for the relying party per module (an httpx.Client costs ~30 ms).
_shared: dict[str, httpx.Client] = {}


@pytest.fixture(scope="module")
def idp_server() -> Iterator[LocalIdp]:
    server = LocalIdp().start()
    with httpx.Client() as browser, httpx.Client() as rp_http:
        _shared.update(browser=browser, rp_http=rp_http)
        yield server
    _shared.clear()
    server.stop()


@pytest.fixture
def idp(idp_server: LocalIdp) -> Iterator[LocalIdp]:
    idp_server.reset()
    yield idp_server
    idp_server.reset()


def connect(provider: OidcProvider, **options: Any) -> OidcClient:
    """A relying party sharing the module's connection pool, as the web application will."""
    return OidcClient(provider, http=_shared["rp_http"], **options)


def make_provider(idp: LocalIdp, **changes: Any) -> OidcProvider:
    settings: dict[str, Any] = {
        "issuer": idp.issuer,
        "client_id": CLIENT_ID,
        "client_secret": Secret(CLIENT_SECRET),
        "allow_insecure_localhost": True,
        "http_timeout": 2.0,
        **changes,
    }
    return OidcProvider(**settings)


@pytest.fixture
def client(idp: LocalIdp) -> Iterator[OidcClient]:
    with connect(make_provider(idp)) as rp:
        yield rp


def browse(authorization_url: str) -> dict[str, str]:
    """What the browser does: GET the authorisation URL, read the redirect back to Warden."""
    response = _shared["browser"].get(authorization_url, follow_redirects=False)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    return dict(parse_qsl(urlsplit(location).query))


def sign_in(rp: OidcClient, *, now: datetime | None = None) -> OidcIdentity:
    url, state = rp.begin_login(REDIRECT_URI)
    return rp.complete_login(browse(url), state, now or datetime.now(UTC))


def token_error(rp: OidcClient, reason: str) -> SsoTokenInvalid:
    with pytest.raises(SsoTokenInvalid) as info:
        sign_in(rp)
    assert info.value.code == "sso_token_invalid" and info.value.reason == reason
    return info.value


# -- the happy path ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_sign_in(idp: LocalIdp, method: str) -> None:
    with OidcClient(make_provider(idp, token_endpoint_auth_method=method)) as rp:  # its own httpx client
        identity = sign_in(rp)
    assert identity == OidcIdentity(
        issuer=idp.issuer,
        subject="user-0001",
        email="pc.smith@police.example.uk",
        email_verified=True,
        name="PC Jo Smith",
        groups=frozenset(),
        authenticated_at=identity.authenticated_at,
        amr=("pwd", "mfa"),
    )
    assert identity.authenticated_at is not None
    assert idp.client_auth == [method]
    assert idp.requests == ["/.well-known/openid-configuration", "/authorize", "/token", "/jwks"]


def test_authorization_url(client: OidcClient, idp: LocalIdp) -> None:
    url, state = client.begin_login(REDIRECT_URI, prompt="login")
    assert url.startswith(f"{idp.issuer}/authorize?")
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID and params["redirect_uri"] == REDIRECT_URI
    assert params["scope"].split() == ["openid", "email", "profile"]
    assert params["state"] == state.state and params["nonce"] == state.nonce
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["prompt"] == "login"
    assert state.code_verifier.reveal() not in url and "login_hint" not in params
    _, other = client.begin_login(REDIRECT_URI)
    assert (other.state, other.nonce) != (state.state, state.nonce)
    assert other.code_verifier != state.code_verifier


def test_login_state_survives_the_session_store(client: OidcClient) -> None:
    url, state = client.begin_login(REDIRECT_URI)
    stored = json.loads(json.dumps(state.to_dict()))  # what a session store would do
    identity = client.complete_login(browse(url), LoginState.from_dict(stored), datetime.now(UTC))
    assert identity.subject == "user-0001"


def test_groups_mapped_to_roles(idp: LocalIdp) -> None:
    mapping = {"grp-comms": "publisher", "grp-approvers": "approver"}
    with connect(make_provider(idp, groups_claim="groups", group_mapping=mapping)) as rp:
        assert sign_in(rp).groups == {"publisher", "approver"}
    with connect(make_provider(idp, groups_claim="groups")) as rp:
        assert sign_in(rp).groups == {"grp-comms", "grp-approvers", "grp-other"}
    idp.misbehave.extra_claims = {"roles": "Warden.Admin"}  # a single string, as some IdPs send
    with connect(make_provider(idp, groups_claim="roles", group_mapping={"Warden.Admin": "admin"})) as rp:
        assert sign_in(rp).groups == {"admin"}


def test_subject_and_email_from_other_claims(idp: LocalIdp) -> None:
    idp.misbehave.extra_claims = {"oid": "object-id-7", "preferred_username": "jo@force.example.uk", "xms_edov": True}
    idp.user.email_verified = None  # like Microsoft Entra ID
    provider = make_provider(
        idp, subject_claim="oid", email_claim="preferred_username", email_verified_claim="xms_edov"
    )
    with connect(provider) as rp:
        identity = sign_in(rp)
    assert (identity.subject, identity.email, identity.email_verified) == ("object-id-7", "jo@force.example.uk", True)


def test_unverified_email_is_reported(client: OidcClient, idp: LocalIdp) -> None:
    idp.user.email_verified = None
    identity = sign_in(client)
    assert identity.email == "pc.smith@police.example.uk" and identity.email_verified is False


# -- allowed e-mail domains -------------------------------------------------------------------


def test_allowed_email_domain(idp: LocalIdp) -> None:
    with connect(make_provider(idp, allowed_email_domains=frozenset({"Police.Example.UK"}))) as rp:
        assert sign_in(rp).email == "pc.smith@police.example.uk"


@pytest.mark.parametrize(
    ("email", "verified"),
    [
        ("someone@gmail.example", True),
        ("pc.smith@police.example.uk", False),
        ("pc.smith@police.example.uk", None),
        ("x@evil.police.example.uk", True),
        ("no-at-sign", True),
        ("a@b@police.example.uk", True),
    ],
)
def test_refused_email(idp: LocalIdp, email: str, verified: bool | None) -> None:
    idp.user.email, idp.user.email_verified = email, verified
    with (
        connect(make_provider(idp, allowed_email_domains=frozenset({"police.example.uk"}))) as rp,
        pytest.raises(SsoEmailNotAllowed) as info,
    ):
        sign_in(rp)
    assert info.value.code == "sso_email_not_allowed" and isinstance(info.value, SsoFailed)


# -- the callback -----------------------------------------------------------------------------


def test_access_denied(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.deny = "access_denied"
    with pytest.raises(SsoDenied) as info:
        sign_in(client)
    assert info.value.code == "sso_denied" and info.value.idp_error == "access_denied"
    assert isinstance(info.value, SsoFailed) and isinstance(info.value, AuthError)
    assert "script" not in str(info.value)  # the hostile error_description is not repeated
    assert "/token" not in idp.requests


def test_other_idp_error_is_sanitised(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.deny = "<b>weird</b>"
    with pytest.raises(SsoDenied) as info:
        sign_in(client)
    assert info.value.idp_error == "invalid" and "<b>" not in str(info.value)


def test_state_mismatch(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.state = "forged-state"
    with pytest.raises(SsoStateMismatch) as info:
        sign_in(client)
    assert info.value.code == "sso_state_mismatch"
    assert "/token" not in idp.requests


def test_state_checked_before_an_error_is_believed(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.deny, idp.misbehave.state = "access_denied", "forged-state"
    with pytest.raises(SsoStateMismatch):
        sign_in(client)


def test_missing_state_and_missing_session(client: OidcClient) -> None:
    url, state = client.begin_login(REDIRECT_URI)
    params = browse(url)
    with pytest.raises(SsoStateMismatch):
        client.complete_login({k: v for k, v in params.items() if k != "state"}, state, datetime.now(UTC))
    with pytest.raises(SsoStateMismatch):
        client.complete_login(params, None, datetime.now(UTC))


def test_callback_from_another_login(client: OidcClient) -> None:
    url, _ = client.begin_login(REDIRECT_URI)
    _, mine = client.begin_login(REDIRECT_URI)
    with pytest.raises(SsoStateMismatch):  # login CSRF: an attacker's code and state in my browser
        client.complete_login(browse(url), mine, datetime.now(UTC))


def test_expired_login_state(client: OidcClient) -> None:
    url, state = client.begin_login(REDIRECT_URI)
    with pytest.raises(SsoStateExpired) as info:
        client.complete_login(browse(url), state, datetime.now(UTC) + timedelta(minutes=11))
    assert info.value.code == "sso_state_expired" and isinstance(info.value, SsoStateMismatch)


def test_state_for_another_provider(client: OidcClient) -> None:
    url, state = client.begin_login(REDIRECT_URI)
    with pytest.raises(SsoStateMismatch):
        client.complete_login(browse(url), replace(state, issuer="https://other.example"), datetime.now(UTC))


def test_iss_parameter_mix_up_defence(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.authorize_iss = "https://attacker.example"
    with pytest.raises(SsoStateMismatch):
        sign_in(client)
    idp.misbehave.authorize_iss = idp.issuer
    assert sign_in(client).subject == "user-0001"


def test_iss_parameter_required_when_advertised(idp: LocalIdp) -> None:
    idp.misbehave.discovery = {"authorization_response_iss_parameter_supported": True}
    with connect(make_provider(idp)) as rp, pytest.raises(SsoStateMismatch):
        sign_in(rp)


# -- the token endpoint -----------------------------------------------------------------------


def test_code_cannot_be_replayed(client: OidcClient) -> None:
    url, state = client.begin_login(REDIRECT_URI)
    params = browse(url)
    client.complete_login(params, state, datetime.now(UTC))
    with pytest.raises(SsoTokenExchangeFailed) as info:
        client.complete_login(params, state, datetime.now(UTC))
    assert info.value.code == "sso_token_exchange_failed" and info.value.idp_error == "invalid_grant"


def test_pkce_verifier_is_checked(client: OidcClient) -> None:
    url, state = client.begin_login(REDIRECT_URI)
    forged = replace(state, code_verifier=Secret("x" * 64))
    with pytest.raises(SsoTokenExchangeFailed) as info:
        client.complete_login(browse(url), forged, datetime.now(UTC))
    assert info.value.idp_error == "invalid_grant"


def test_wrong_client_secret(idp: LocalIdp) -> None:
    with (
        connect(make_provider(idp, client_secret=Secret("wrong"))) as rp,
        pytest.raises(SsoTokenExchangeFailed) as info,
    ):
        sign_in(rp)
    assert info.value.idp_error == "invalid_client" and "wrong" not in str(info.value)


def test_token_endpoint_error(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.token_error = "invalid_grant"
    with pytest.raises(SsoTokenExchangeFailed):
        sign_in(client)


def test_token_endpoint_too_slow(idp: LocalIdp) -> None:
    idp.misbehave.token_delay = 1.0
    with connect(make_provider(idp, http_timeout=0.2)) as rp, pytest.raises(SsoProviderError) as info:
        sign_in(rp)
    assert info.value.code == "sso_provider_error"


def test_unexpected_token_type(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.token_type = "DPoP"
    token_error(client, "token_type")


# -- the ID token -----------------------------------------------------------------------------


def test_wrong_issuer(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.issuer = "https://login.example/other-tenant"
    token_error(client, "iss")


def test_wrong_audience(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.audience = "another-client"
    token_error(client, "aud")


def test_expired_token(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.exp_offset = -120
    token_error(client, "exp")


def test_expiry_leeway(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.exp_offset = -20  # within the default 60 s leeway
    assert sign_in(client).subject == "user-0001"


def test_issued_in_the_future(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.iat_offset = 600
    token_error(client, "iat")


@pytest.mark.parametrize("claim", ["exp", "iat", "sub"])
def test_missing_required_claim(client: OidcClient, idp: LocalIdp, claim: str) -> None:
    idp.misbehave.omit_claims = {claim}
    token_error(client, claim)


def test_bad_signature(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.signing = "bad_signature"
    token_error(client, "signature")


def test_missing_nonce(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.omit_nonce = True
    token_error(client, "nonce")


def test_wrong_nonce(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.nonce = "replayed-nonce"
    token_error(client, "nonce")


@pytest.mark.parametrize("signing", ["alg_none", "hs256_public_key", "rs384"])
def test_refused_algorithms(client: OidcClient, idp: LocalIdp, signing: str) -> None:
    idp.misbehave.signing = signing
    token_error(client, "alg")
    assert "/jwks" not in idp.requests  # refused before any key was looked at


def test_hs256_refused_even_if_configured_keys_allow_it(idp: LocalIdp) -> None:
    with pytest.raises(InsecureConfiguration):
        make_provider(idp, id_token_algorithms=("RS256", "HS256"))
    with pytest.raises(InsecureConfiguration):
        make_provider(idp, id_token_algorithms=("none",))


def test_token_without_kid_uses_the_only_key(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.signing = "no_kid"
    assert sign_in(client).subject == "user-0001"
    idp.rotate()
    with connect(make_provider(idp)) as rp:
        token_error(rp, "unknown_kid")  # two keys: a token must say which


def test_multiple_audiences_need_azp(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.audience = [CLIENT_ID, "api://warden"]
    token_error(client, "azp")
    idp.misbehave.azp = "someone-else"
    token_error(client, "azp")


def test_multiple_audiences_must_be_trusted(idp: LocalIdp) -> None:
    idp.misbehave.audience, idp.misbehave.azp = [CLIENT_ID, "api://warden"], CLIENT_ID
    with connect(make_provider(idp)) as rp:
        token_error(rp, "aud")
    with connect(make_provider(idp, trusted_audiences=frozenset({"api://warden"}))) as rp:
        assert sign_in(rp).subject == "user-0001"


def test_at_hash_is_checked(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.extra_claims = {"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}
    token_error(client, "at_hash")


# -- keys -------------------------------------------------------------------------------------


def test_unknown_kid(client: OidcClient, idp: LocalIdp) -> None:
    idp.misbehave.signing = "unknown_kid"
    token_error(client, "unknown_kid")
    assert idp.count("/jwks") == 1  # fetched just now; not refetched at once


def test_key_rotation_refreshes_the_jwks(idp: LocalIdp) -> None:
    ticks = [0.0]
    with connect(make_provider(idp), clock=lambda: ticks[0]) as rp:
        sign_in(rp)
        sign_in(rp)
        assert idp.count("/jwks") == 1  # cached
        idp.rotate(drop_old=True)
        ticks[0] += 31  # past the minimum refresh interval, well inside the cache lifetime
        assert sign_in(rp).subject == "user-0001"
        assert idp.count("/jwks") == 2  # refetched once for the new kid
        sign_in(rp)
        assert idp.count("/jwks") == 2


def test_unknown_kid_refresh_is_rate_limited(idp: LocalIdp) -> None:
    ticks = [0.0]
    with connect(make_provider(idp), clock=lambda: ticks[0]) as rp:
        sign_in(rp)
        idp.misbehave.signing = "unknown_kid"
        ticks[0] += 31
        for _ in range(3):
            token_error(rp, "unknown_kid")
        assert idp.count("/jwks") == 2  # one refetch, not one per forged token
        ticks[0] += 31
        token_error(rp, "unknown_kid")
        assert idp.count("/jwks") == 3


def test_jwks_expires_from_the_cache(idp: LocalIdp) -> None:
    ticks = [0.0]
    with connect(make_provider(idp), clock=lambda: ticks[0]) as rp:
        sign_in(rp)
        ticks[0] += 3601
        sign_in(rp)
    assert idp.count("/jwks") == 2


# -- discovery --------------------------------------------------------------------------------


def test_discovery_issuer_must_match(idp: LocalIdp) -> None:
    idp.misbehave.discovery = {"issuer": "https://login.example/impostor"}
    with connect(make_provider(idp)) as rp, pytest.raises(SsoProviderError):
        rp.begin_login(REDIRECT_URI)


def test_discovery_endpoints_must_be_https(idp: LocalIdp) -> None:
    idp.misbehave.discovery = {"token_endpoint": "http://idp.example/token"}
    with connect(make_provider(idp)) as rp, pytest.raises(InsecureConfiguration):
        rp.begin_login(REDIRECT_URI)


@pytest.mark.parametrize(
    "discovery",
    [
        {"code_challenge_methods_supported": ["plain"]},
        {"response_types_supported": ["id_token"]},
        {"token_endpoint_auth_methods_supported": ["private_key_jwt"]},
        {"jwks_uri": None},
    ],
)
def test_discovery_must_offer_what_warden_needs(idp: LocalIdp, discovery: dict[str, Any]) -> None:
    idp.misbehave.discovery = discovery
    with connect(make_provider(idp)) as rp, pytest.raises(SsoProviderError):
        rp.begin_login(REDIRECT_URI)


def test_discovery_size_limit(idp: LocalIdp) -> None:
    idp.misbehave.discovery_padding = 20_000
    with connect(make_provider(idp, max_response_bytes=16_384)) as rp, pytest.raises(SsoProviderError):
        rp.begin_login(REDIRECT_URI)


def test_provider_unreachable(idp: LocalIdp) -> None:
    provider = make_provider(idp, issuer="http://127.0.0.1:9")  # discard port: nothing listens
    with connect(provider) as rp, pytest.raises(SsoProviderError):
        rp.begin_login(REDIRECT_URI)


def test_discovery_is_cached(client: OidcClient, idp: LocalIdp) -> None:
    for _ in range(3):
        sign_in(client)
    assert idp.count("/.well-known/openid-configuration") == 1


# -- one client per organisation ---------------------------------------------------------------


def test_clients_are_kept_per_key_and_replaced_when_the_settings_change(idp: LocalIdp) -> None:
    from warden.auth.oidc import OidcClients

    clients = OidcClients(http=_shared["rp_http"])
    first = clients.get("org-1", make_provider(idp))
    assert clients.get("org-1", make_provider(idp)) is first  # equal settings: the same client and caches
    assert clients.get("org-2", make_provider(idp)) is not first
    changed = clients.get("org-1", make_provider(idp, client_secret=Secret("rotated")))
    assert changed is not first and changed.provider.client_secret == Secret("rotated")
    clients.forget("org-1")
    assert clients.get("org-1", make_provider(idp, client_secret=Secret("rotated"))) is not changed
    clients.close()  # a shared pool is not closed
    assert sign_in(connect(make_provider(idp))).subject == "user-0001"


def test_step_up_asks_for_a_fresh_sign_in(client: OidcClient) -> None:
    url, _ = client.begin_login(REDIRECT_URI, prompt="login", max_age=0)
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["prompt"] == "login" and params["max_age"] == "0"
    assert "max_age" not in dict(parse_qsl(urlsplit(client.begin_login(REDIRECT_URI)[0]).query))


def test_multi_factor_is_read_from_amr(client: OidcClient, idp: LocalIdp) -> None:
    assert sign_in(client).multi_factor is True
    idp.misbehave.extra_claims = {"amr": ["pwd"]}
    assert sign_in(client).multi_factor is False
