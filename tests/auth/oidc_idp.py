"""A small, real OpenID Connect identity provider for the tests, served over HTTP on 127.0.0.1.

Standard library ``http.server`` in a thread plus joserfc for keys and signatures; no network
beyond the loopback interface. It implements discovery, the JWKS (RS256 keys generated at start;
``rotate()`` adds a new signing key), ``/authorize`` (auto-approves ``user`` and redirects back with
``code`` and ``state``, remembering the nonce and the PKCE challenge) and ``/token`` (checks client
authentication, the code, ``redirect_uri`` and the PKCE verifier; issues an RS256 ID token).

``misbehave`` holds knobs for negative tests; ``reset()`` puts everything back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "warden-test-client"
CLIENT_SECRET = "s3cret/with:odd+chars"  # exercises the form-encoding of client_secret_basic
REDIRECT_URI = "http://127.0.0.1:8000/auth/oidc/callback"


@dataclass
class User:
    sub: str = "user-0001"
    email: str = "pc.smith@police.example.uk"
    email_verified: bool | None = True
    name: str = "PC Jo Smith"
    groups: list[str] = field(default_factory=lambda: ["grp-comms", "grp-approvers", "grp-other"])


@dataclass
class Misbehaviour:
    deny: str | None = None  # /authorize redirects back with error=<deny>
    state: str | None = None  # /authorize sends back this state instead
    authorize_iss: str | None = None  # /authorize adds iss=<value> (RFC 9207)
    token_error: str | None = None  # /token answers 400 {"error": <token_error>}
    token_delay: float = 0.0
    token_type: str = "Bearer"
    discovery: dict[str, Any] = field(default_factory=dict)  # merged into the discovery document
    discovery_padding: int = 0  # bytes of junk added to the discovery document
    issuer: str | None = None  # iss claim of the ID token
    audience: str | list[str] | None = None
    azp: str | None = None
    exp_offset: int = 300
    iat_offset: int = 0
    nonce: str | None = None
    omit_nonce: bool = False
    omit_claims: set[str] = field(default_factory=set)
    extra_claims: dict[str, Any] = field(default_factory=dict)
    # "ok", "bad_signature", "alg_none", "hs256_public_key", "unknown_kid", "no_kid", "rs384"
    signing: str = "ok"


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    challenge: str
    used: bool = False


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class LocalIdp:
    def __init__(self) -> None:
        self._initial_key = RSAKey.generate_key(2048, {"kid": "key-1", "use": "sig", "alg": "RS256"})
        self.user = User()
        self.misbehave = Misbehaviour()
        self.keys: list[RSAKey] = [self._initial_key]
        #: The one redirect URI registered for the client (the web tests register Warden's callback).
        self.redirect_uri = REDIRECT_URI
        self._rotations = 0
        self.requests: list[str] = []
        self.client_auth: list[str] = []
        self.authorize_params: list[dict[str, str]] = []
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._spare_keys: list[RSAKey] = []  # keys made by rotate(), reused after reset() to save time
        self._unpublished = RSAKey.generate_key(2048, {"kid": "never-published", "alg": "RS256"})

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> LocalIdp:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        with self._lock:
            self.user, self.misbehave = User(), Misbehaviour()
            self.redirect_uri = REDIRECT_URI
            self.keys = [self._initial_key]
            self._rotations = 0
            self.requests.clear()
            self.client_auth.clear()
            self.authorize_params.clear()
            self._grants.clear()

    def rotate(self, *, drop_old: bool = False) -> RSAKey:
        """A new signing key, published in the JWKS (with the old ones unless ``drop_old``)."""
        with self._lock:
            if self._rotations == len(self._spare_keys):
                kid = f"key-{len(self._spare_keys) + 2}"
                self._spare_keys.append(RSAKey.generate_key(2048, {"kid": kid, "use": "sig", "alg": "RS256"}))
            key = self._spare_keys[self._rotations]
            self._rotations += 1
            self.keys = [key] if drop_old else [*self.keys, key]
        return key

    def count(self, path: str) -> int:
        return sum(1 for p in self.requests if p == path)

    # -- endpoints --------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            **self.misbehave.discovery,
        }
        if self.misbehave.discovery_padding:
            doc["padding"] = "x" * self.misbehave.discovery_padding
        return doc

    def jwks(self) -> dict[str, Any]:
        return dict(KeySet(list(self.keys)).as_dict(private=False))

    def authorize(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if params.get("client_id") != CLIENT_ID or params.get("redirect_uri") != self.redirect_uri:
            return 400, {}, b"unknown client or redirect_uri"  # never redirect to an unregistered URI
        back: dict[str, str] = {}
        m = self.misbehave
        if m.deny:
            back = {"error": m.deny, "error_description": "<script>alert('user declined')</script>"}
        elif (
            params.get("response_type") != "code"
            or "openid" not in params.get("scope", "").split()
            or params.get("code_challenge_method") != "S256"
            or not params.get("code_challenge")
        ):
            back = {"error": "invalid_request"}
        else:
            code = secrets.token_urlsafe(24)
            with self._lock:
                self._grants[code] = _Grant(CLIENT_ID, self.redirect_uri, params.get("nonce"), params["code_challenge"])
                self.authorize_params.append(dict(params))
            back = {"code": code}
        if "state" in params or m.state is not None:
            back["state"] = m.state if m.state is not None else params["state"]
        if m.authorize_iss is not None:
            back["iss"] = m.authorize_iss
        return 302, {"Location": f"{self.redirect_uri}?{urlencode(back)}"}, b""

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        m = self.misbehave
        if m.token_delay:
            time.sleep(m.token_delay)
        client_id, secret = self._client_auth(form, authorization)
        if client_id != CLIENT_ID or not hmac.compare_digest(secret.encode(), CLIENT_SECRET.encode()):
            return 401, {"error": "invalid_client"}
        if m.token_error:
            return 400, {"error": m.token_error, "error_description": "configured to fail"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._grants.get(form.get("code", ""))
            if grant is None or grant.used:
                return 400, {"error": "invalid_grant"}
            grant.used = True
        if form.get("redirect_uri") != grant.redirect_uri or form.get("client_id", client_id) != grant.client_id:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        if not 43 <= len(verifier) <= 128 or _b64(hashlib.sha256(verifier.encode()).digest()) != grant.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        access_token = secrets.token_urlsafe(32)
        return 200, {
            "access_token": access_token,
            "token_type": m.token_type,
            "expires_in": 3600,
            "id_token": self.id_token(grant.nonce, access_token),
        }

    def _client_auth(self, form: dict[str, str], authorization: str | None) -> tuple[str, str]:
        if authorization and authorization.startswith("Basic "):
            if "client_secret" in form:
                return "", ""  # RFC 6749 §2.3: one method at a time
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, secret = decoded.partition(":")
            self.client_auth.append("client_secret_basic")
            return unquote(client_id), unquote(secret)
        self.client_auth.append("client_secret_post")
        return form.get("client_id", ""), form.get("client_secret", "")

    def id_token(self, nonce: str | None, access_token: str | None = None) -> str:
        m, now = self.misbehave, int(time.time())
        claims: dict[str, Any] = {
            "iss": m.issuer or self.issuer,
            "sub": self.user.sub,
            "aud": m.audience if m.audience is not None else CLIENT_ID,
            "exp": now + m.exp_offset,
            "iat": now + m.iat_offset,
            "auth_time": now - 5,
            "amr": ["pwd", "mfa"],
            "email": self.user.email,
            "name": self.user.name,
            "groups": self.user.groups,
        }
        if self.user.email_verified is not None:
            claims["email_verified"] = self.user.email_verified
        if m.azp is not None:
            claims["azp"] = m.azp
        if nonce is not None and not m.omit_nonce:
            claims["nonce"] = m.nonce if m.nonce is not None else nonce
        claims.update(m.extra_claims)
        for name in m.omit_claims:
            claims.pop(name, None)
        return self._sign(claims)

    def _sign(self, claims: dict[str, Any]) -> str:
        key, mode = self.keys[-1], self.misbehave.signing
        if mode == "alg_none":
            return f"{_b64(json.dumps({'alg': 'none'}).encode())}.{_b64(json.dumps(claims).encode())}."
        if mode == "hs256_public_key":  # the classic key-confusion attack: HMAC keyed with the public key
            signing_input = (
                f"{_b64(json.dumps({'alg': 'HS256', 'kid': key.kid}).encode())}.{_b64(json.dumps(claims).encode())}"
            )
            mac = hmac.new(key.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
            return f"{signing_input}.{_b64(mac)}"
        if mode == "unknown_kid":
            key = self._unpublished
        if mode == "rs384":  # the published key, without its "alg" restriction
            key = RSAKey.import_key({k: v for k, v in key.as_dict(private=True).items() if k != "alg"})
        header: dict[str, Any] = {"alg": "RS384" if mode == "rs384" else "RS256", "kid": key.kid}
        if mode == "no_kid":
            del header["kid"]
        token = jwt.encode(header, claims, key, algorithms=[header["alg"]])
        if mode == "bad_signature":
            head, body, signature = token.split(".")
            middle = len(signature) // 2
            flipped = "A" if signature[middle] != "A" else "B"
            token = f"{head}.{body}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"
        return token


def _handler(idp: LocalIdp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            idp.requests.append(url.path)
            if url.path == "/.well-known/openid-configuration":
                self._json(200, idp.discovery())
            elif url.path == "/jwks":
                self._json(200, idp.jwks())
            elif url.path == "/authorize":
                status, headers, body = idp.authorize(dict(parse_qsl(url.query)))
                self._send(status, headers, body)
            else:
                self._send(404, {}, b"not found")

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            idp.requests.append(url.path)
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(parse_qsl(self.rfile.read(length).decode()))
            if url.path == "/token":
                status, body = idp.token(form, self.headers.get("Authorization"))
                self._json(status, body)
            else:
                self._send(404, {}, b"not found")

        def _json(self, status: int, body: dict[str, Any]) -> None:
            headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
            self._send(status, headers, json.dumps(body).encode())

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            try:
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

    return Handler
