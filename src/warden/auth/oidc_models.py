"""The settings and values of OpenID Connect sign-in: ``OidcProvider`` (one identity provider and
Warden's registration with it), ``LoginState`` (kept in the session between the two halves of a
sign-in) and ``OidcIdentity`` (who signed in). The flow itself is in ``warden.auth.oidc``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal

from warden.auth._time import require_aware
from warden.auth.errors import InsecureConfiguration
from warden.auth.oidc_errors import SsoStateMismatch
from warden.auth.oidc_http import ASYMMETRIC_ALGORITHMS, require_secure_url
from warden.auth.redaction import Secret

AuthMethod = Literal["client_secret_basic", "client_secret_post"]


@dataclass(frozen=True)
class OidcProvider:
    """One identity provider and Warden's registration with it (settings, not state)."""

    issuer: str
    client_id: str
    client_secret: Secret[str]
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    token_endpoint_auth_method: AuthMethod = "client_secret_basic"  # noqa: S105 - a method name
    subject_claim: str = "sub"
    email_claim: str = "email"
    email_verified_claim: str = "email_verified"
    name_claim: str = "name"
    groups_claim: str | None = None
    group_mapping: Mapping[str, str] | None = None
    allowed_email_domains: frozenset[str] = frozenset()
    trusted_audiences: frozenset[str] = frozenset()
    id_token_algorithms: tuple[str, ...] = ("RS256",)
    leeway: timedelta = timedelta(seconds=60)
    login_state_lifetime: timedelta = timedelta(minutes=10)
    http_timeout: float = 10.0
    max_response_bytes: int = 512 * 1024
    metadata_ttl: timedelta = timedelta(hours=24)
    jwks_ttl: timedelta = timedelta(hours=1)
    jwks_min_refresh_interval: timedelta = timedelta(seconds=30)
    allow_insecure_localhost: bool = False

    def __post_init__(self) -> None:
        require_secure_url(self.issuer, allow_insecure_localhost=self.allow_insecure_localhost, what="issuer")
        if "?" in self.issuer:
            raise InsecureConfiguration("the issuer must not have a query")
        if not isinstance(self.client_secret, Secret):
            raise InsecureConfiguration("the OIDC client secret must be wrapped in Secret(...)")
        if not self.client_id or not self.client_secret.reveal():
            raise InsecureConfiguration("the OIDC client id and client secret are required")
        if "openid" not in self.scopes:
            raise InsecureConfiguration("the scopes must include openid")
        if self.token_endpoint_auth_method not in ("client_secret_basic", "client_secret_post"):
            raise InsecureConfiguration("token_endpoint_auth_method must be client_secret_basic or client_secret_post")
        if not self.id_token_algorithms or not set(self.id_token_algorithms) <= ASYMMETRIC_ALGORITHMS.keys():
            raise InsecureConfiguration("ID tokens must be signed with asymmetric algorithms (RS256, ES256 ...)")
        if not timedelta(0) <= self.leeway <= timedelta(minutes=5):
            raise InsecureConfiguration("the clock leeway must be between 0 and 5 minutes")
        if not 0 < self.http_timeout <= 60 or self.max_response_bytes < 4096:
            raise InsecureConfiguration("the HTTP timeout must be 0-60 s and the response limit at least 4 KiB")
        if not timedelta(0) < self.login_state_lifetime <= timedelta(minutes=30):
            raise InsecureConfiguration("the login state lifetime must be positive and at most 30 minutes")
        if isinstance(self.allowed_email_domains, str):
            raise InsecureConfiguration("allowed_email_domains must be a set of domains, not one string")
        domains = frozenset(d.strip().lower().rstrip(".") for d in self.allowed_email_domains)
        object.__setattr__(self, "allowed_email_domains", domains)
        if self.group_mapping is not None:
            object.__setattr__(self, "group_mapping", MappingProxyType(dict(self.group_mapping)))

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


@dataclass(frozen=True)
class LoginState:
    """What the web layer keeps in the session between ``begin_login`` and ``complete_login``."""

    issuer: str
    state: str
    nonce: str
    code_verifier: Secret[str]
    redirect_uri: str
    expires_at: datetime

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready dict (it holds the PKCE verifier: keep it server-side)."""
        return {
            "v": "1",
            "issuer": self.issuer,
            "state": self.state,
            "nonce": self.nonce,
            "code_verifier": self.code_verifier.reveal(),
            "redirect_uri": self.redirect_uri,
            "expires_at": self.expires_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoginState:
        """The state back from ``to_dict()``; ``SsoStateMismatch`` if it is not one."""
        names = ("issuer", "state", "nonce", "code_verifier", "redirect_uri", "expires_at")
        if data.get("v") != "1" or not all(isinstance(data.get(name), str) and data[name] for name in names):
            raise SsoStateMismatch("the sign-in state is missing or corrupt; please start again")
        try:
            expires_at = require_aware(datetime.fromisoformat(data["expires_at"]), "expires_at")
        except ValueError:
            raise SsoStateMismatch("the sign-in state is missing or corrupt; please start again") from None
        return cls(
            issuer=data["issuer"],
            state=data["state"],
            nonce=data["nonce"],
            code_verifier=Secret(data["code_verifier"]),
            redirect_uri=data["redirect_uri"],
            expires_at=expires_at,
        )


@dataclass(frozen=True)
class OidcIdentity:
    """Who signed in. ``(issuer, subject)`` is the stable key; the rest may change at the IdP."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    groups: frozenset[str] = frozenset()
    authenticated_at: datetime | None = None
    amr: tuple[str, ...] = ()

    @property
    def multi_factor(self) -> bool:
        """The identity provider says it used more than one factor (``amr`` has ``mfa``, RFC 8176)."""
        return "mfa" in self.amr
