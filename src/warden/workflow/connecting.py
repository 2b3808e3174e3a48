"""Connecting an account with the network's OAuth flow (the protocol is ``connectors.oauth``).

``begin_connect`` keeps the flow on the server (``account_oauth_states``: the PKCE verifier and
the app's client id and secret encrypted at rest, found by the SHA-256 of ``state``), for
ten minutes, bound to the admin who started it and to their browser (a random value whose hash
is stored). ``complete_connect`` takes the row (deleted when first presented: single use), checks
that it has not expired and that the same admin or browser presents it, exchanges the code for
tokens and stores them with ``workflow.accounts.set_credentials`` (which marks the account
connected and resumes fetching). Both halves, and a refusal, are audited; no secret is.

Bluesky has no OAuth here: it takes an app password through the account's credentials.
"""

from __future__ import annotations

import hmac
import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from warden.audit import AuditObject
from warden.auth.credentials import CredentialCipher
from warden.auth.redaction import Secret
from warden.auth.tokens import sha256_hex
from warden.connectors import account_settings, oauth
from warden.connectors.oauth import ConnectFailed, Flow
from warden.domain.errors import InvalidInput
from warden.storage.tables import SocialAccount
from warden.storage.work_tables import AccountOAuthState
from warden.workflow.accounts import credentials_owner, set_credentials, with_expiry
from warden.workflow.errors import Forbidden
from warden.workflow.loading import get_owned, member_principal
from warden.workflow.permissions import Permission, authorize
from warden.workflow.principal import Principal
from warden.workflow.unit import Clock, Unit, utcnow

#: Each call to the network while connecting has this deadline.
NETWORK_TIMEOUT = httpx.Timeout(15.0)
LIFETIME = timedelta(minutes=10)
#: The keys of the app's client id and secret in each network's stored credentials.
CLIENT_KEYS = {"x": ("client_id", "client_secret"), "mastodon": ("client_id", "client_secret"),
               "facebook": ("app_id", "app_secret"), "instagram": ("app_id", "app_secret")}


@dataclass(frozen=True)
class Connected:
    account_id: uuid.UUID
    network: str
    return_to: str


def _flow_owner(state_id: str) -> str:
    return f"account-oauth:{state_id}"


def _object(account: SocialAccount) -> AuditObject:
    return AuditObject(type="account", id=str(account.id), name=f"{account.network}:{account.handle}")


def _stored(account: SocialAccount, cipher: CredentialCipher) -> dict[str, Any]:
    if account.credentials is None:
        return {}
    try:
        loaded = json.loads(cipher.decrypt(account.credentials, credentials_owner(account.id)).reveal())
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def begin_connect(sessions: sessionmaker[Session], principal: Principal, cipher: CredentialCipher,
                  http: httpx.Client, *, account_id: uuid.UUID, redirect_uri: str, browser_binding: str,
                  return_to: str = "/accounts", client_id: str | None = None, client_secret: Secret[str] | None = None,
                  clock: Clock = utcnow) -> str:
    """Start connecting: the network's authorisation URL to send the admin's browser to.

    ``client_id`` / ``client_secret`` are the organisation's app at the network (X: the OAuth 2.0
    client; Facebook/Instagram: the Meta app id and secret); when left out, those already in the
    account's credentials are used. Mastodon registers an app on the instance when none is known.
    """
    authorize(principal, Permission.ACCOUNT_ADMIN)
    if principal.member_id is None:
        raise Forbidden("connecting an account needs a member")
    with sessions() as session:
        account = get_owned(session, SocialAccount, account_id, principal.organisation_id)
        network, settings, handle = account.network, dict(account.settings or {}), account.handle
        stored = _stored(account, cipher)
    if network not in oauth.OAUTH_NETWORKS:
        raise oauth.no_oauth(network)
    missing = account_settings.missing(network, settings)
    if missing:
        raise InvalidInput(f"set the account's {', '.join(missing)} before connecting it")
    id_key, secret_key = CLIENT_KEYS[network]
    chosen_id = client_id or stored.get(id_key)
    chosen_secret = client_secret.reveal() if client_secret is not None else stored.get(secret_key)
    if network == "mastodon" and (client_id is None and stored.get("oauth_redirect_uri") != redirect_uri):
        chosen_id = None  # an app registered for another callback URL would be refused
    if network == "mastodon" and not chosen_id:
        chosen_id, chosen_secret = oauth.register_mastodon_app(http, str(settings["base_url"]), redirect_uri)
    if not isinstance(chosen_id, str) or not chosen_id:
        raise InvalidInput(f"connecting a {network} account needs the app's {id_key} (and {secret_key}): "
                           "send them, or store them in the account's credentials")
    if network in ("facebook", "instagram") and not chosen_secret:
        raise InvalidInput(f"connecting a {network} account needs the Meta app's {secret_key}")
    verifier, _challenge = oauth.pkce_pair()
    flow = Flow(network=network, redirect_uri=redirect_uri, verifier=verifier, client_id=chosen_id,
                client_secret=chosen_secret if isinstance(chosen_secret, str) and chosen_secret else None)
    state = secrets.token_urlsafe(32)
    state_id = sha256_hex(state)
    url = oauth.authorize_url(flow, state, settings)
    sealed = cipher.encrypt(Secret(json.dumps(flow.to_dict()).encode("utf-8")), _flow_owner(state_id))
    now = clock()
    with Unit(sessions, principal, clock) as unit:
        unit.session.execute(delete(AccountOAuthState).where(AccountOAuthState.expires_at <= now))
        account = get_owned(unit.session, SocialAccount, account_id, principal.organisation_id)
        unit.session.add(AccountOAuthState(id=state_id, organisation_id=principal.organisation_id,
                                           account_id=account_id, member_id=principal.member_id,
                                           browser_hash=sha256_hex(browser_binding), flow=sealed, return_to=return_to,
                                           created_at=now, expires_at=now + LIFETIME))
        unit.record("account.connect_started", _object(account),
                    details={"network": network, "handle": handle, "via": "oauth"})
    return url


@dataclass(frozen=True)
class _Pending:
    organisation_id: uuid.UUID
    account_id: uuid.UUID
    member_id: uuid.UUID
    browser_hash: str
    flow: bytes
    return_to: str
    expired: bool


def _take(sessions: sessionmaker[Session], state: str, clock: Clock) -> _Pending:
    state_id = sha256_hex(state)
    with sessions.begin() as session:
        row = session.get(AccountOAuthState, state_id)
        if row is None:
            raise ConnectFailed("no connection is in progress for this answer (or it was used already); "
                                "start connecting again", code="connect_state_invalid", status=400)
        pending = _Pending(row.organisation_id, row.account_id, row.member_id, row.browser_hash, row.flow,
                           row.return_to, clock() >= row.expires_at)
        deleted = session.execute(delete(AccountOAuthState).where(AccountOAuthState.id == state_id))
        if getattr(deleted, "rowcount", 0) != 1:
            raise ConnectFailed("this answer was used already; start connecting again",
                                code="connect_state_invalid", status=400)
    return pending


def _refused(sessions: sessionmaker[Session], principal: Principal, account_id: uuid.UUID, reason: str,
             clock: Clock) -> None:
    with Unit(sessions, principal, clock) as unit:
        account = get_owned(unit.session, SocialAccount, account_id, principal.organisation_id)
        unit.record("account.connect_failed", _object(account), details={"network": account.network,
                                                                         "reason": reason})


def complete_connect(sessions: sessionmaker[Session], cipher: CredentialCipher, http: httpx.Client, *,
                     params: Mapping[str, str], browser_binding: str | None, caller_member_id: uuid.UUID | None,
                     clock: Clock = utcnow) -> Connected:
    """Finish connecting with the network's answer (the callback's query ``params``).

    The answer must come back to the browser that started (``browser_binding``, the value of its
    binding cookie) or be presented by the same member (``caller_member_id``, when the callback
    request is itself authenticated); another admin's answer is refused."""
    state = params.get("state")
    if not state or len(state) > 512:
        raise ConnectFailed("the answer has no state; start connecting again", code="connect_state_invalid",
                            status=400)
    pending = _take(sessions, state, clock)
    same_browser = bool(browser_binding) and hmac.compare_digest(sha256_hex(browser_binding or ""),
                                                                 pending.browser_hash)
    same_member = caller_member_id is not None and caller_member_id == pending.member_id
    if caller_member_id is not None and not same_member:
        raise ConnectFailed("this connection was started by someone else", code="connect_state_mismatch",
                            status=403)
    if not (same_browser or same_member):
        raise ConnectFailed("this answer does not belong to this browser; start connecting again",
                            code="connect_state_mismatch", status=403)
    if pending.expired:
        raise ConnectFailed("connecting took too long; start again", code="connect_state_expired", status=400)
    with sessions() as session:
        principal = member_principal(session, pending.member_id)
    authorize(principal, Permission.ACCOUNT_ADMIN)
    if principal.organisation_id != pending.organisation_id:
        raise Forbidden("this member has no access")
    error = params.get("error")
    code = params.get("code")
    if error is not None or not code or len(code) > 2048:
        reason = oauth.safe_error_code(error) if error is not None else "no_code"
        _refused(sessions, principal, pending.account_id, reason, clock)
        raise ConnectFailed(f"the network did not authorise the account ({reason})", code="connect_denied",
                            status=400)
    flow = Flow.from_dict(json.loads(cipher.decrypt(pending.flow, _flow_owner(sha256_hex(state))).reveal()))
    with sessions() as session:
        account = get_owned(session, SocialAccount, pending.account_id, pending.organisation_id)
        settings, handle = dict(account.settings or {}), account.handle
    try:
        credentials = oauth.exchange(http, flow, code, settings)
        if flow.network == "mastodon":
            credentials["oauth_redirect_uri"] = flow.redirect_uri
            username = oauth.mastodon_username(http, str(settings["base_url"]), credentials["access_token"])
            local = handle.lstrip("@").split("@", 1)[0]
            if username.casefold() != local.casefold():
                raise ConnectFailed(f"the instance authorised @{username[:100]}, not this account ({local}); "
                                    "sign in there as the right account", code="connect_wrong_account", status=409)
    except ConnectFailed as failure:
        _refused(sessions, principal, pending.account_id, failure.code, clock)
        raise
    credentials = with_expiry(credentials, clock())
    set_credentials(sessions, principal, pending.account_id, Secret(json.dumps(credentials).encode("utf-8")),
                    cipher, clock=clock)
    with Unit(sessions, principal, clock) as unit:
        account = get_owned(unit.session, SocialAccount, pending.account_id, pending.organisation_id)
        unit.record("account.connected", _object(account),
                    details={"network": flow.network, "via": "oauth", "scope": credentials.get("scope", "")[:500],
                             "refreshable": "refresh_token" in credentials})
    return Connected(pending.account_id, flow.network, pending.return_to)
