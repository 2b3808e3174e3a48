"""OAuth for the networks that have it: building the authorisation URL and
exchanging the code the network sends back for tokens (the protocol only; the
server-side state lives in ``workflow.connecting``).

- **Mastodon**: the app is registered on the account's instance (``POST /api/v1/apps``)
  when no client id is known yet, then ``/oauth/authorize`` with scopes ``read write``
  and PKCE; the code is exchanged at ``/oauth/token``.
- **X**: OAuth 2.0 Authorization Code with PKCE (``https://x.com/i/oauth2/authorize``,
  token at ``<api_url>/2/oauth2/token``; a confidential client authenticates with HTTP
  Basic, a public one sends ``client_id``). ``offline.access`` gives a refresh token:
  ``refresh_x_token`` trades it for a new access token (X's refresh tokens are single use,
  so the caller must store the new pair with ``workflow.accounts.set_credentials``).
- **Facebook / Instagram**: the Facebook Login dialog; the code becomes a short-lived
  user token, that a long-lived one (``fb_exchange_token``), and that the Page's token
  (``/me/accounts``: the Page named by ``page_id``, or the Page whose
  ``instagram_business_account`` is ``ig_user_id``). A Page token obtained from a
  long-lived user token does not expire.
- **Bluesky** has no OAuth here: set an app password through the account's credentials
  (``{"identifier": ..., "app_password": ...}``). Replay needs nothing.

Errors are ``ConnectFailed`` with a stable code; their messages never carry tokens,
codes, secrets or text chosen by the network (only a well-formed OAuth ``error`` code).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from warden.connectors.meta.graph import GRAPH_VERSION, graph_root
from warden.domain.errors import WardenError

OAUTH_NETWORKS = ("mastodon", "x", "facebook", "instagram")
MASTODON_SCOPES = "read write"
X_SCOPES = "tweet.read tweet.write users.read offline.access dm.read mute.write"
X_AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
X_DEFAULT_API = "https://api.x.com"
FACEBOOK_DIALOG_URL = f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth"
META_SCOPES = {
    "facebook": "pages_show_list,pages_read_engagement,pages_read_user_content,pages_manage_posts,"
                "pages_manage_engagement",
    "instagram": "pages_show_list,pages_read_engagement,instagram_basic,instagram_manage_comments,"
                 "instagram_content_publish",
}
CLIENT_NAME = "Warden"
_OAUTH_ERROR = re.compile(r"[a-z0-9_.\-]{1,64}")
_TOKEN = re.compile(r"[\x21-\x7e]{1,4096}")


class ConnectFailed(WardenError):
    """Connecting failed; ``status`` is the HTTP status the API answers with."""

    code = "connect_failed"
    status = 502

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message, code=code)
        if status is not None:
            self.status = status


def no_oauth(network: str) -> ConnectFailed:
    if network == "bluesky":
        return ConnectFailed("Bluesky accounts connect with an app password, not OAuth: set the account's "
                             "credentials to {\"identifier\": ..., \"app_password\": ...}",
                             code="oauth_not_supported", status=422)
    return ConnectFailed(f"{network} accounts do not connect with OAuth", code="oauth_not_supported", status=422)


def safe_error_code(value: object) -> str:
    return value if isinstance(value, str) and _OAUTH_ERROR.fullmatch(value) else "invalid"


def pkce_pair() -> tuple[str, str]:
    """A PKCE ``code_verifier`` and its S256 ``code_challenge`` (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=")
    return verifier, challenge.decode("ascii")


@dataclass
class Flow:
    """What the callback needs, kept encrypted on the server between the two halves."""

    network: str
    redirect_uri: str
    verifier: str
    client_id: str
    client_secret: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"network": self.network, "redirect_uri": self.redirect_uri, "verifier": self.verifier,
                "client_id": self.client_id, "client_secret": self.client_secret, "extra": dict(self.extra)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Flow:
        return cls(network=str(data["network"]), redirect_uri=str(data["redirect_uri"]),
                   verifier=str(data["verifier"]), client_id=str(data["client_id"]),
                   client_secret=None if data.get("client_secret") is None else str(data["client_secret"]),
                   extra={str(k): str(v) for k, v in dict(data.get("extra") or {}).items()})


# ------------------------------------------------------------------------------- HTTP helpers

def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success:
        if not isinstance(body, dict):
            raise ConnectFailed(f"{what}: the network's answer is not a JSON object", code="connect_bad_response")
        return body
    if response.status_code in (400, 401, 403):
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):  # the Graph API's shape
            error = error.get("type")
        raise ConnectFailed(f"{what}: the network refused ({safe_error_code(error)}); start connecting again",
                            code="connect_refused", status=400)
    raise ConnectFailed(f"{what}: the network answered HTTP {response.status_code}; try again later",
                        code="connect_network_error")


def _send(http: httpx.Client, method: str, url: str, what: str, **options: Any) -> dict[str, Any]:
    try:
        response = http.request(method, url, **options)
    except httpx.HTTPError as error:
        raise ConnectFailed(f"{what}: the network could not be reached ({type(error).__name__})",
                            code="connect_network_error") from None
    return _json(response, what)


def _token(body: Mapping[str, Any], name: str, what: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise ConnectFailed(f"{what}: the answer has no usable {name}", code="connect_bad_response")
    return value


def _expires_in(body: Mapping[str, Any]) -> str | None:
    value = body.get("expires_in")
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return str(int(value))
    return None


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")


# -------------------------------------------------------------------------------- Mastodon

def register_mastodon_app(http: httpx.Client, base_url: str, redirect_uri: str) -> tuple[str, str]:
    """Register Warden on the instance; its ``client_id`` and ``client_secret``."""
    body = _send(http, "POST", f"{base_url.rstrip('/')}/api/v1/apps", "registering the app on the instance",
                 data={"client_name": CLIENT_NAME, "redirect_uris": redirect_uri, "scopes": MASTODON_SCOPES})
    client_id = _token(body, "client_id", "registering the app")
    secret = _token(body, "client_secret", "registering the app")
    assert client_id is not None and secret is not None
    return client_id, secret


def authorize_url(flow: Flow, state: str, settings: Mapping[str, Any]) -> str:
    """Where to send the browser."""
    challenge = base64.urlsafe_b64encode(hashlib.sha256(flow.verifier.encode("ascii")).digest()).rstrip(b"=")
    pkce = {"code_challenge": challenge.decode("ascii"), "code_challenge_method": "S256"}
    if flow.network == "mastodon":
        base = str(settings["base_url"]).rstrip("/")
        return f"{base}/oauth/authorize?" + urlencode({
            "response_type": "code", "client_id": flow.client_id, "redirect_uri": flow.redirect_uri,
            "scope": MASTODON_SCOPES, "state": state, **pkce})
    if flow.network == "x":
        return X_AUTHORIZE_URL + "?" + urlencode({
            "response_type": "code", "client_id": flow.client_id, "redirect_uri": flow.redirect_uri,
            "scope": X_SCOPES, "state": state, **pkce})
    if flow.network in META_SCOPES:
        return FACEBOOK_DIALOG_URL + "?" + urlencode({
            "client_id": flow.client_id, "redirect_uri": flow.redirect_uri, "state": state,
            "scope": META_SCOPES[flow.network], "response_type": "code"})
    raise no_oauth(flow.network)


def exchange(http: httpx.Client, flow: Flow, code: str, settings: Mapping[str, Any]) -> dict[str, str]:
    """The account's credentials (a JSON object of strings) for the code the network sent back."""
    if flow.network == "mastodon":
        return _mastodon_exchange(http, flow, code, settings)
    if flow.network == "x":
        return _x_exchange(http, flow, code, settings)
    if flow.network in META_SCOPES:
        return _meta_exchange(http, flow, code, settings)
    raise no_oauth(flow.network)


def _mastodon_exchange(http: httpx.Client, flow: Flow, code: str, settings: Mapping[str, Any]) -> dict[str, str]:
    base = str(settings["base_url"]).rstrip("/")
    what = "exchanging the code at the instance"
    body = _send(http, "POST", f"{base}/oauth/token", what, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": flow.redirect_uri,
        "client_id": flow.client_id, "client_secret": flow.client_secret or "", "code_verifier": flow.verifier,
        "scope": MASTODON_SCOPES})
    token = _token(body, "access_token", what)
    assert token is not None
    credentials = {"access_token": token, "client_id": flow.client_id}
    if flow.client_secret:
        credentials["client_secret"] = flow.client_secret
    scope = body.get("scope")
    if isinstance(scope, str):
        credentials["scope"] = scope[:500]
    return credentials


def mastodon_username(http: httpx.Client, base_url: str, access_token: str) -> str:
    """The username the token belongs to (to check the right account was authorised)."""
    body = _send(http, "GET", f"{base_url.rstrip('/')}/api/v1/accounts/verify_credentials",
                 "reading the authorised account", headers={"Authorization": f"Bearer {access_token}"})
    name = body.get("username")
    if not isinstance(name, str) or not name:
        raise ConnectFailed("reading the authorised account: the answer has no username",
                            code="connect_bad_response")
    return name


# --------------------------------------------------------------------------------------- X

def x_token_url(settings: Mapping[str, Any]) -> str:
    base = settings.get("api_url") or X_DEFAULT_API
    return f"{str(base).rstrip('/')}/2/oauth2/token"


def _x_token_request(http: httpx.Client, settings: Mapping[str, Any], client_id: str, client_secret: str | None,
                     form: dict[str, str], what: str) -> dict[str, str]:
    headers = {}
    if client_secret:  # a confidential client: HTTP Basic
        headers["Authorization"] = _basic(client_id, client_secret)
    else:
        form = {**form, "client_id": client_id}
    body = _send(http, "POST", x_token_url(settings), what, data=form, headers=headers)
    token = _token(body, "access_token", what)
    assert token is not None
    credentials = {"access_token": token, "client_id": client_id}
    if client_secret:
        credentials["client_secret"] = client_secret
    refresh = _token(body, "refresh_token", what, required=False)
    if refresh is not None:
        credentials["refresh_token"] = refresh
    scope = body.get("scope")
    if isinstance(scope, str):
        credentials["scope"] = scope[:500]
    expires = _expires_in(body)
    if expires is not None:
        credentials["expires_in"] = expires
    return credentials


def _x_exchange(http: httpx.Client, flow: Flow, code: str, settings: Mapping[str, Any]) -> dict[str, str]:
    return _x_token_request(http, settings, flow.client_id, flow.client_secret, {
        "grant_type": "authorization_code", "code": code, "redirect_uri": flow.redirect_uri,
        "code_verifier": flow.verifier}, "exchanging the code at X")


def refresh_x_token(http: httpx.Client, settings: Mapping[str, Any], credentials: Mapping[str, str]) -> dict[str, str]:
    """New credentials from the stored ``refresh_token`` (X issues a new refresh token each
    time and the old one stops working: store the result at once with
    ``workflow.accounts.set_credentials``). Other stored keys are kept."""
    refresh = credentials.get("refresh_token")
    client_id = credentials.get("client_id")
    if not refresh or not client_id:
        raise ConnectFailed("this X account has no refresh token (or no client id): connect it again",
                            code="connect_refresh_unavailable", status=409)
    fresh = _x_token_request(http, settings, client_id, credentials.get("client_secret"),
                             {"grant_type": "refresh_token", "refresh_token": refresh}, "refreshing the X token")
    return {**credentials, **fresh}


# ------------------------------------------------------------------------- Facebook / Instagram

def _meta_exchange(http: httpx.Client, flow: Flow, code: str, settings: Mapping[str, Any]) -> dict[str, str]:
    root = f"{graph_root(settings.get('graph_url'))}/{GRAPH_VERSION}"
    secret = flow.client_secret or ""
    what = "exchanging the code at Facebook"
    short = _token(_send(http, "GET", f"{root}/oauth/access_token", what, params={
        "client_id": flow.client_id, "client_secret": secret, "redirect_uri": flow.redirect_uri, "code": code}),
        "access_token", what)
    what = "exchanging for a long-lived token"
    long_lived = _token(_send(http, "GET", f"{root}/oauth/access_token", what, params={
        "grant_type": "fb_exchange_token", "client_id": flow.client_id, "client_secret": secret,
        "fb_exchange_token": short or ""}), "access_token", what)
    what = "reading the Pages this login manages"
    pages = _send(http, "GET", f"{root}/me/accounts", what, params={
        "fields": "id,name,access_token,instagram_business_account", "limit": "100"},
        headers={"Authorization": f"Bearer {long_lived}"})
    data = pages.get("data")
    if not isinstance(data, list):
        raise ConnectFailed(f"{what}: the answer has no list of Pages", code="connect_bad_response")
    wanted = str(settings.get("page_id" if flow.network == "facebook" else "ig_user_id", ""))

    def match(page: Mapping[str, Any]) -> str:
        if flow.network == "facebook":
            return str(page.get("id", ""))
        linked = page.get("instagram_business_account")
        return str(linked.get("id", "")) if isinstance(linked, dict) else ""
    for page in data:
        if isinstance(page, dict) and wanted and match(page) == wanted:
            token = _token(page, "access_token", what)
            assert token is not None
            return {"access_token": token, "app_id": flow.client_id, "app_secret": secret,
                    "page_id": str(page.get("id", ""))}
    setting = "page_id" if flow.network == "facebook" else "ig_user_id"
    raise ConnectFailed(f"the Facebook login does not manage the account's {setting}; sign in as a person who "
                        "manages it and grant the Page", code="connect_wrong_account", status=409)
