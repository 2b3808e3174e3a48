"""OpenID Connect single sign-on, relying-party side: authorization code flow with PKCE (S256) for a
confidential client (ASVS V2.x, V3.5; OIDC Core 1.0; RFC 6749, 7636, 9207; RFC 9700 guidance).

Framework-independent: the web layer calls two methods and keeps one small object in between.

1. ``client.begin_login(redirect_uri)`` returns the identity provider's authorisation URL (redirect
   the browser there) and a ``LoginState`` with a random ``state``, ``nonce`` and PKCE verifier.
   Keep ``state.to_dict()`` in the server-side session (it holds the PKCE verifier: never put it
   in a cookie the browser can read); it expires after ``login_state_lifetime``.
2. On the callback, take the state out of the session (so it is used once) and call
   ``client.complete_login(dict(request.query_params), stored_state, now)``. It checks ``state`` in
   constant time, turns IdP errors into ``SsoDenied``, exchanges the code at the token endpoint
   with the client secret (``client_secret_basic`` or ``client_secret_post``) and the PKCE
   verifier, validates the ID token (see ``oidc_idtoken``) and returns an ``OidcIdentity``.

Link accounts by ``(identity.issuer, identity.subject)``, never by e-mail address. The e-mail is
only as trustworthy as ``email_verified``; with ``allowed_email_domains`` set, an unverified or
foreign address is refused. Microsoft Entra ID sends no ``email_verified``: use a single-tenant
issuer (``https://login.microsoftonline.com/<tenant-id>/v2.0``, which already limits sign-in to the
force's tenant) and, to trust the e-mail, the optional claim ``xms_edov`` as ``email_verified_claim``.
Group or app-role claims (``groups_claim="roles"`` for Entra app roles) are passed through, or
mapped to Warden role names by ``group_mapping`` (unmapped values are dropped).

All network calls are synchronous (httpx); from async code run them in a worker thread.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from warden.auth._time import require_aware, utc_now
from warden.auth.oidc_errors import (
    SsoDenied,
    SsoEmailNotAllowed,
    SsoFailed,
    SsoProviderError,
    SsoStateExpired,
    SsoStateMismatch,
    SsoTokenExchangeFailed,
    SsoTokenInvalid,
    safe_error_code,
)
from warden.auth.oidc_http import (
    HttpLimits,
    JwksCache,
    ProviderMetadata,
    get_json,
    request_json,
    require_secure_url,
)
from warden.auth.oidc_idtoken import validate_id_token
from warden.auth.oidc_models import AuthMethod, LoginState, OidcIdentity, OidcProvider
from warden.auth.redaction import Secret

__all__ = [
    "AuthMethod",
    "LoginState",
    "OidcClient",
    "OidcClients",
    "OidcIdentity",
    "OidcProvider",
    "SsoDenied",
    "SsoEmailNotAllowed",
    "SsoFailed",
    "SsoProviderError",
    "SsoStateExpired",
    "SsoStateMismatch",
    "SsoTokenExchangeFailed",
    "SsoTokenInvalid",
]


class OidcClient:
    """Talks to one identity provider; safe to share between threads (caches are locked)."""

    def __init__(
        self,
        provider: OidcProvider,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = provider
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(follow_redirects=False)
        self._limits = HttpLimits(timeout=provider.http_timeout, max_bytes=provider.max_response_bytes)
        self._clock = clock
        self._metadata: ProviderMetadata | None = None
        self._metadata_at = 0.0
        self._lock = threading.Lock()
        self._jwks = JwksCache(
            lambda: get_json(self._http, self.metadata().jwks_uri, self._limits, "JWKS"),
            ttl=provider.jwks_ttl.total_seconds(),
            min_refresh_interval=provider.jwks_min_refresh_interval.total_seconds(),
            clock=clock,
        )

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> OidcClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def metadata(self) -> ProviderMetadata:
        """The discovery document (fetched on first use, then every ``metadata_ttl``)."""
        with self._lock:
            now = self._clock()
            if self._metadata is None or now - self._metadata_at >= self.provider.metadata_ttl.total_seconds():
                p = self.provider
                document = get_json(self._http, p.discovery_url, self._limits, "discovery document")
                self._metadata = ProviderMetadata.parse(
                    document,
                    issuer=p.issuer,
                    auth_method=p.token_endpoint_auth_method,
                    allow_insecure_localhost=p.allow_insecure_localhost,
                )
                self._metadata_at = now
            return self._metadata

    def begin_login(
        self,
        redirect_uri: str,
        *,
        now: datetime | None = None,
        prompt: str | None = None,
        login_hint: str | None = None,
        max_age: int | None = None,
    ) -> tuple[str, LoginState]:
        """The authorisation URL to redirect the browser to, and the state to keep in the session.

        ``max_age`` (seconds) asks the identity provider to re-authenticate anyone who signed in
        longer ago, and obliges it to send ``auth_time`` (OIDC Core §3.1.2.1): use 0 for a step-up."""
        # https, or http to a loopback host (what identity providers allow for development)
        require_secure_url(redirect_uri, allow_insecure_localhost=True, what="redirect URI")
        now = require_aware(now, "now") if now is not None else utc_now()
        verifier = secrets.token_urlsafe(48)  # 64 characters, inside RFC 7636's 43..128
        login = LoginState(
            issuer=self.provider.issuer,
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=Secret(verifier),
            redirect_uri=redirect_uri,
            expires_at=(now + self.provider.login_state_lifetime).astimezone(UTC),
        )
        url = prepare_grant_uri(
            self.metadata().authorization_endpoint,
            client_id=self.provider.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=" ".join(self.provider.scopes),
            state=login.state,
            nonce=login.nonce,
            code_challenge=str(create_s256_code_challenge(verifier)),
            code_challenge_method="S256",
            prompt=prompt,
            login_hint=login_hint,
            max_age=str(max_age) if max_age is not None else None,
        )
        return str(url), login

    def complete_login(
        self, callback_params: Mapping[str, str], stored_state: LoginState | None, now: datetime
    ) -> OidcIdentity:
        """Finish the sign-in from the callback's query parameters; raise an ``SsoFailed`` otherwise."""
        now = require_aware(now, "now")
        if stored_state is None:
            raise SsoStateMismatch("no sign-in is in progress in this browser; please start again")
        returned = callback_params.get("state")
        if not isinstance(returned, str) or not hmac.compare_digest(
            returned.encode("utf-8", "surrogatepass"), stored_state.state.encode()
        ):
            raise SsoStateMismatch("the sign-in response does not belong to this browser session")
        if stored_state.issuer != self.provider.issuer:
            raise SsoStateMismatch("the sign-in was started with another identity provider")
        if now >= stored_state.expires_at:
            raise SsoStateExpired("the sign-in took too long; please start again")
        metadata = self.metadata()
        iss = callback_params.get("iss")
        if (iss is not None or metadata.iss_parameter_supported) and iss != self.provider.issuer:
            raise SsoStateMismatch("the sign-in response came from another identity provider")
        if "error" in callback_params:
            idp_error = safe_error_code(callback_params["error"])
            if idp_error == "access_denied":
                raise SsoDenied("sign-in was cancelled or refused at the identity provider", idp_error=idp_error)
            raise SsoDenied(f"the identity provider refused the sign-in ({idp_error})", idp_error=idp_error)
        code = callback_params.get("code")
        if not isinstance(code, str) or not code or len(code) > 4096:
            raise SsoDenied("the identity provider sent no authorisation code", idp_error="invalid_request")

        tokens = self._exchange_code(metadata, code, stored_state)
        claims = validate_id_token(
            tokens["id_token"],
            keys=self._jwks,
            algorithms=self.provider.id_token_algorithms,
            issuer=self.provider.issuer,
            client_id=self.provider.client_id,
            trusted_audiences=self.provider.trusted_audiences,
            nonce=stored_state.nonce,
            access_token=tokens.get("access_token") if isinstance(tokens.get("access_token"), str) else None,
            now=now,
            leeway=self.provider.leeway,
        )
        return self._identity(claims)

    def _exchange_code(self, metadata: ProviderMetadata, code: str, login: LoginState) -> dict[str, Any]:
        p = self.provider
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": login.redirect_uri,
            "code_verifier": login.code_verifier.reveal(),
        }
        headers = {"Accept": "application/json"}
        if p.token_endpoint_auth_method == "client_secret_post":  # noqa: S105 - a method name
            form |= {"client_id": p.client_id, "client_secret": p.client_secret.reveal()}
        else:  # RFC 6749 §2.3.1: form-urlencode each part before base64
            basic = f"{quote(p.client_id, safe='')}:{quote(p.client_secret.reveal(), safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode("ascii")
        status, body = request_json(
            self._http, "POST", metadata.token_endpoint, self._limits, data=form, headers=headers
        )
        if status in (400, 401) and body is not None and "error" in body:
            idp_error = safe_error_code(body["error"])
            raise SsoTokenExchangeFailed(f"the identity provider refused the code ({idp_error})", idp_error=idp_error)
        if status != 200 or body is None:
            raise SsoProviderError(f"the identity provider's token endpoint failed (HTTP {status})")
        if not isinstance(body.get("id_token"), str):
            raise SsoTokenInvalid("the identity provider returned no ID token", reason="missing")
        token_type = body.get("token_type")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise SsoTokenInvalid("the identity provider returned an unexpected token type", reason="token_type")
        return body

    def _identity(self, claims: Mapping[str, Any]) -> OidcIdentity:
        p = self.provider
        subject = claims.get(p.subject_claim)
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            raise SsoTokenInvalid(f"the ID token has no usable {p.subject_claim} claim", reason=p.subject_claim)
        email = _text(claims.get(p.email_claim))
        verified = email is not None and claims.get(p.email_verified_claim) in (True, "true")
        if p.allowed_email_domains:
            domain = email.partition("@")[2].lower().rstrip(".") if email and email.count("@") == 1 else ""
            if not verified or domain not in p.allowed_email_domains:
                raise SsoEmailNotAllowed("this account's e-mail address is not allowed to sign in to Warden")
        auth_time = claims.get("auth_time")
        amr = claims.get("amr")
        return OidcIdentity(
            issuer=p.issuer,
            subject=subject,
            email=email,
            email_verified=verified,
            name=_text(claims.get(p.name_claim)),
            groups=self._groups(claims),
            authenticated_at=_timestamp(auth_time),
            amr=tuple(a for a in amr if isinstance(a, str)) if isinstance(amr, list) else (),
        )

    def _groups(self, claims: Mapping[str, Any]) -> frozenset[str]:
        p = self.provider
        if p.groups_claim is None:
            return frozenset()
        raw = claims.get(p.groups_claim)
        listed = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
        values = [value for value in listed if isinstance(value, str)]
        if p.group_mapping is None:
            return frozenset(values)
        return frozenset(p.group_mapping[v] for v in values if v in p.group_mapping)


class OidcClients:
    """One ``OidcClient`` per key (e.g. an organisation), replaced when its provider settings change,
    all sharing one connection pool (made on first use). Thread-safe."""

    def __init__(self, *, http: httpx.Client | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._http = http
        self._owns_http = http is None
        self._clock = clock
        self._clients: dict[str, OidcClient] = {}
        self._lock = threading.Lock()

    def get(self, key: str, provider: OidcProvider) -> OidcClient:
        """The client for ``key``; a new one (with empty caches) when ``provider`` changed."""
        with self._lock:
            found = self._clients.get(key)
            if found is not None and found.provider == provider:
                return found
            if self._http is None:
                self._http = httpx.Client(follow_redirects=False)
            client = OidcClient(provider, http=self._http, clock=self._clock)
            self._clients[key] = client
            return client

    def forget(self, key: str) -> None:
        with self._lock:
            self._clients.pop(key, None)

    def close(self) -> None:
        with self._lock:
            self._clients.clear()
            if self._owns_http and self._http is not None:
                self._http.close()
                self._http = None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _timestamp(value: object) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 2**36:
        return datetime.fromtimestamp(value, UTC)
    return None
