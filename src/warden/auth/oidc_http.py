"""The network side of OpenID Connect: bounded JSON over HTTPS, discovery and a rotating JWKS cache.

Every request has a timeout and an overall deadline, follows no redirects and reads at most
``max_bytes`` of (decoded) body. Only ``https`` URLs are used, except ``http`` to a loopback host
when the provider sets ``allow_insecure_localhost`` (tests and local development).

The JWKS is cached for ``ttl`` seconds; a token signed with a key id that is not in the cache
triggers one refetch (key rotation), at most once per ``min_refresh_interval`` so that tokens with
made-up key ids cannot make Warden hammer the identity provider.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, Key

from warden.auth.errors import InsecureConfiguration
from warden.auth.oidc_errors import SsoProviderError, SsoTokenInvalid

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
#: Asymmetric JWS algorithms accepted for ID tokens, with the key type each needs.
ASYMMETRIC_ALGORITHMS: Mapping[str, str] = {
    **{f"{family}{bits}": kty for family, kty in (("RS", "RSA"), ("PS", "RSA")) for bits in (256, 384, 512)},
    "ES256": "EC",
    "ES384": "EC",
    "ES512": "EC",
    "EdDSA": "OKP",
}


def require_secure_url(url: str, *, allow_insecure_localhost: bool, what: str) -> str:
    """``url`` if it is an absolute https URL (or http to a loopback host when allowed)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise InsecureConfiguration(f"the {what} is not a valid URL") from None
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        raise InsecureConfiguration(f"the {what} must be an absolute URL without credentials or fragment")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and allow_insecure_localhost and host in LOOPBACK_HOSTS:
        return url
    raise InsecureConfiguration(f"the {what} must use https")


@dataclass(frozen=True)
class HttpLimits:
    timeout: float = 10.0
    max_bytes: int = 512 * 1024


def request_json(
    client: httpx.Client, method: str, url: str, limits: HttpLimits, **kwargs: Any
) -> tuple[int, dict[str, Any] | None]:
    """``(status, body)``; ``body`` is ``None`` when it is not a JSON object.

    Transport failures, timeouts and oversized bodies raise ``SsoProviderError``.
    """
    deadline = time.monotonic() + limits.timeout
    body = bytearray()
    try:
        with client.stream(method, url, timeout=limits.timeout, follow_redirects=False, **kwargs) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limits.max_bytes:
                raise SsoProviderError("the identity provider's response is too large")
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limits.max_bytes:
                    raise SsoProviderError("the identity provider's response is too large")
                if time.monotonic() > deadline:
                    raise SsoProviderError("the identity provider is too slow to answer")
            status = response.status_code
    except httpx.HTTPError as exc:
        raise SsoProviderError(f"cannot reach the identity provider ({type(exc).__name__})") from None
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return status, None
    return status, parsed if isinstance(parsed, dict) else None


def get_json(client: httpx.Client, url: str, limits: HttpLimits, what: str) -> dict[str, Any]:
    status, body = request_json(client, "GET", url, limits, headers={"Accept": "application/json"})
    if status != 200 or body is None:
        raise SsoProviderError(f"the identity provider's {what} is unavailable (HTTP {status})")
    return body


@dataclass(frozen=True)
class ProviderMetadata:
    """What Warden uses from the discovery document (OpenID Connect Discovery 1.0, §3)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    #: RFC 9207: the IdP sends ``iss`` with every authorisation response (mix-up defence).
    iss_parameter_supported: bool = False

    @classmethod
    def parse(
        cls, document: Mapping[str, Any], *, issuer: str, auth_method: str, allow_insecure_localhost: bool
    ) -> ProviderMetadata:
        if document.get("issuer") != issuer:
            raise SsoProviderError("the discovery document names a different issuer than the one configured")

        def url(name: str) -> str:
            value = document.get(name)
            if not isinstance(value, str):
                raise SsoProviderError(f"the discovery document has no {name}")
            return require_secure_url(value, allow_insecure_localhost=allow_insecure_localhost, what=name)

        def supports(name: str, value: str, default: tuple[str, ...] | None) -> bool:
            listed = document.get(name, default)
            return listed is None or (isinstance(listed, list) and value in listed)

        if not supports("response_types_supported", "code", None):
            raise SsoProviderError("the identity provider does not offer the authorization code flow")
        if not supports("code_challenge_methods_supported", "S256", None):
            raise SsoProviderError("the identity provider does not offer PKCE with S256")
        if not supports("token_endpoint_auth_methods_supported", auth_method, ("client_secret_basic",)):
            raise SsoProviderError(f"the identity provider does not accept {auth_method}")
        return cls(
            issuer=issuer,
            authorization_endpoint=url("authorization_endpoint"),
            token_endpoint=url("token_endpoint"),
            jwks_uri=url("jwks_uri"),
            iss_parameter_supported=document.get("authorization_response_iss_parameter_supported") is True,
        )


def parse_jwks(document: Mapping[str, Any]) -> tuple[Key, ...]:
    """The public signing keys of a JWKS; symmetric, encryption and unreadable keys are skipped."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise SsoProviderError("the identity provider's JWKS has no keys")
    keys: list[Key] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") not in {"RSA", "EC", "OKP"}:
            continue
        if entry.get("use", "sig") != "sig":
            continue
        public = {name: value for name, value in entry.items() if name not in {"d", "p", "q", "dp", "dq", "qi"}}
        try:
            key = JWKRegistry.import_key(public)
            key.ensure_kid()
        except (JoseError, ValueError, TypeError):
            continue
        keys.append(key)
    if not keys:
        raise SsoProviderError("the identity provider's JWKS has no usable signing keys")
    return tuple(keys)


class JwksCache:
    """Signing keys by key id, refreshed after ``ttl`` seconds or on an unknown key id."""

    def __init__(
        self,
        fetch: Callable[[], Mapping[str, Any]],
        *,
        ttl: float,
        min_refresh_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch, self._ttl, self._min_interval, self._clock = fetch, ttl, min_refresh_interval, clock
        self._keys: tuple[Key, ...] = ()
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def key_for(self, kid: str | None, alg: str) -> Key:
        """The key that should verify a token with header ``kid`` and ``alg``."""
        with self._lock:
            now = self._clock()
            fetched_at = self._fetched_at
            stale = fetched_at is None or now - fetched_at >= self._ttl
            if stale:
                self._refresh(now)
            key = self._find(kid, alg)
            if key is None and not stale and fetched_at is not None and now - fetched_at >= self._min_interval:
                self._refresh(now)  # perhaps the identity provider rotated its keys
                key = self._find(kid, alg)
        if key is None:
            raise SsoTokenInvalid("the ID token is signed with an unknown key", reason="unknown_kid")
        return key

    def _refresh(self, now: float) -> None:
        self._keys = parse_jwks(self._fetch())
        self._fetched_at = now

    def _find(self, kid: str | None, alg: str) -> Key | None:
        kty = ASYMMETRIC_ALGORITHMS.get(alg)
        usable = [k for k in self._keys if k.key_type == kty and k.get("alg") in (None, alg)]
        if kid is None:
            return usable[0] if len(usable) == 1 else None
        return next((k for k in usable if k.kid == kid), None)
