"""Social media accounts and their network credentials, encrypted at rest.

Credentials are encrypted bound to their account's id (a ciphertext copied
into another row does not decrypt), never returned by the API, never logged,
and never written to the audit log: only the fact that they changed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from warden.audit import AuditObject
from warden.auth.credentials import CredentialCipher
from warden.auth.redaction import Secret
from warden.connectors import account_settings
from warden.domain.enums import AccountType
from warden.domain.errors import InvalidInput
from warden.storage.tables import OidcProviderRow, SocialAccount, Team
from warden.storage.work_tables import AccountSync
from warden.workflow.errors import InvalidState, ReasonRequired
from warden.workflow.loading import get_owned
from warden.workflow.organisations import sso_secret_owner
from warden.workflow.permissions import Permission, authorize
from warden.workflow.principal import Principal, system
from warden.workflow.unit import Clock, Unit, utcnow

NETWORKS = ("x", "facebook", "instagram", "mastodon", "bluesky", "replay")
MAX_HANDLE = 200


def credentials_owner(account_id: uuid.UUID) -> str:
    """The associated data that binds an account's credentials to its row."""
    return f"account:{account_id}:credentials"


def _object(account: SocialAccount) -> AuditObject:
    return AuditObject(type="account", id=str(account.id), name=f"{account.network}:{account.handle}")


def add_account(sessions: sessionmaker[Session], principal: Principal, *, team_id: uuid.UUID, network: str,
                handle: str, account_type: str, display_name: str = "", settings: Mapping[str, Any] | None = None,
                files_under: Path | None = None, files_allowed: bool = False, clock: Clock = utcnow) -> uuid.UUID:
    """A new account; ``settings`` are the network's non-secret settings (see
    ``connectors.account_settings``). Replay accounts need no credentials, so
    they start connected; the others connect when credentials are set."""
    authorize(principal, Permission.ACCOUNT_ADMIN)
    if network not in NETWORKS:
        raise InvalidInput(f"unknown network {network!r}; networks are {', '.join(NETWORKS)}")
    clean = account_settings.validate(network, settings or {}, files_under=files_under, files_allowed=files_allowed)
    if account_type not in AccountType.__members__.values():
        raise InvalidInput(f"unknown account type {account_type!r}; types are "
                           f"{', '.join(a.value for a in AccountType)}")
    handle = handle.strip()
    if not handle or len(handle) > MAX_HANDLE or any(c.isspace() for c in handle):
        raise InvalidInput(f"handle must be 1 to {MAX_HANDLE} characters without spaces")
    if len(display_name) > MAX_HANDLE:
        raise InvalidInput(f"display name is longer than {MAX_HANDLE} characters")
    with Unit(sessions, principal, clock) as unit:
        get_owned(unit.session, Team, team_id, principal.organisation_id)
        duplicate = unit.session.execute(select(SocialAccount.id).where(
            SocialAccount.organisation_id == principal.organisation_id, SocialAccount.network == network,
            SocialAccount.handle == handle)).first()
        if duplicate:
            raise InvalidState(f"the {network} account {handle} is already registered")
        account = SocialAccount(organisation_id=principal.organisation_id, team_id=team_id, network=network,
                                handle=handle, display_name=display_name, account_type=account_type,
                                settings=clean, health="connected" if network == "replay" else "disconnected",
                                created_at=clock())
        unit.session.add(account)
        unit.session.flush()
        unit.record("account.added", _object(account),
                    after={"network": network, "handle": handle, "account_type": account_type, "team": str(team_id),
                           "settings": {k: str(v) for k, v in clean.items()}})
        return account.id


def set_credentials(sessions: sessionmaker[Session], principal: Principal, account_id: uuid.UUID,
                    credentials: Secret[bytes], cipher: CredentialCipher, clock: Clock = utcnow) -> None:
    authorize(principal, Permission.ACCOUNT_ADMIN)
    if not credentials.reveal():
        raise InvalidInput("credentials are empty")
    with Unit(sessions, principal, clock) as unit:
        account = get_owned(unit.session, SocialAccount, account_id, principal.organisation_id, lock=True)
        replaced = account.credentials is not None
        account.credentials = cipher.encrypt(credentials, credentials_owner(account.id))
        account.health, account.health_detail = "connected", ""
        # Fetching resumes at once from the stored cursor, backfilling any gap.
        unit.session.execute(update(AccountSync).where(AccountSync.account_id == account.id).values(
            next_fetch_at=clock(), failures=0, last_error=""))
        unit.record("account.credentials_set", _object(account),
                    details={"replaced": replaced, "key_id": cipher.key_id_of(account.credentials)})


def disconnect(sessions: sessionmaker[Session], principal: Principal, account_id: uuid.UUID, reason: str,
               clock: Clock = utcnow) -> None:
    """Forget the account's credentials and stop fetching it (a stolen or retired account).

    Posts already scheduled for it stay queued: connecting it again lets them go out within the
    policy's late window, otherwise they end missed and alerted, never silently dropped."""
    authorize(principal, Permission.ACCOUNT_ADMIN)
    reason = reason.strip()
    if not reason:
        raise ReasonRequired("say why the account is disconnected")
    with Unit(sessions, principal, clock) as unit:
        account = get_owned(unit.session, SocialAccount, account_id, principal.organisation_id, lock=True)
        if account.credentials is None and account.health == "disconnected":
            raise InvalidState("the account is not connected")
        account.credentials = None
        account.health, account.health_detail = "disconnected", f"Disconnected by {principal.name[:100]}"
        unit.session.execute(update(AccountSync).where(AccountSync.account_id == account.id).values(
            lease_owner=None, lease_until=None, last_error=""))
        unit.record("account.disconnected", _object(account), justification=reason[:2000],
                    details={"network": account.network})


def read_credentials(session: Session, organisation_id: uuid.UUID, account_id: uuid.UUID,
                     cipher: CredentialCipher) -> Secret[bytes]:
    """For connectors only (never the API): the decrypted credentials, wrapped."""
    account = get_owned(session, SocialAccount, account_id, organisation_id)
    if account.credentials is None:
        raise InvalidState("this account has no credentials")
    return cipher.decrypt(account.credentials, credentials_owner(account.id))


class UnreadableCredentials(InvalidState):
    code = "unreadable_credentials"


def stored_credentials(account: SocialAccount, cipher: CredentialCipher) -> dict[str, str]:
    """For connectors and webhooks only: the account's secrets, a JSON object of strings ({} when none).
    ``UnreadableCredentials`` when they cannot be read (a missing key, a tampered blob, not an object)."""
    if account.credentials is None:
        return {}
    try:
        loaded = json.loads(cipher.decrypt(account.credentials, credentials_owner(account.id)).reveal())
    except Exception as error:  # the reason stays here; callers say only that they cannot be read
        raise UnreadableCredentials(f"the stored credentials cannot be read ({type(error).__name__})") from None
    if not isinstance(loaded, dict):
        raise UnreadableCredentials("the stored credentials are not a JSON object")
    return {str(k): str(v) for k, v in loaded.items()}


def rotate_credentials(sessions: sessionmaker[Session], principal: Principal, cipher: CredentialCipher,
                       clock: Clock = utcnow) -> int:
    """Re-encrypt every credential of the organisation under the current key; the number re-encrypted."""
    authorize(principal, Permission.ACCOUNT_ADMIN)
    with Unit(sessions, principal, clock) as unit:
        accounts = unit.session.execute(select(SocialAccount).where(
            SocialAccount.organisation_id == principal.organisation_id,
            SocialAccount.credentials.is_not(None)).with_for_update()).scalars().all()
        rotated = 0
        for account in accounts:
            assert account.credentials is not None
            if cipher.needs_rotation(account.credentials):
                account.credentials = cipher.rotate(account.credentials, credentials_owner(account.id))
                unit.record("account.credentials_rotated", _object(account),
                            details={"key_id": cipher.key_id_of(account.credentials)})
                rotated += 1
        provider = unit.session.execute(select(OidcProviderRow).where(
            OidcProviderRow.organisation_id == principal.organisation_id).with_for_update()).scalar_one_or_none()
        if provider is not None and cipher.needs_rotation(provider.client_secret):
            provider.client_secret = cipher.rotate(provider.client_secret,
                                                   sso_secret_owner(principal.organisation_id))
            unit.record("sso.client_secret_rotated", AuditObject(type="sso_provider", id=str(principal.organisation_id),
                                                                name=provider.issuer[:120]),
                        details={"key_id": cipher.key_id_of(provider.client_secret)})
            rotated += 1
        return rotated


# ------------------------------------------------------------------ expiring access tokens

#: Refresh this long before the network says the access token expires.
REFRESH_MARGIN = timedelta(minutes=5)

Refresher = Callable[[Mapping[str, str]], dict[str, str]]


def with_expiry(credentials: Mapping[str, str], now: datetime) -> dict[str, str]:
    """Credentials with the network's relative ``expires_in`` made an absolute ``expires_at``
    (a relative lifetime means nothing once stored)."""
    stored = {k: v for k, v in credentials.items() if k != "expires_in"}
    seconds = credentials.get("expires_in", "")
    if seconds.isdigit():
        stored["expires_at"] = (now + timedelta(seconds=int(seconds))).isoformat()
    return stored


def needs_refresh(credentials: Mapping[str, str], now: datetime) -> bool:
    """An access token that expires within the margin and can be refreshed."""
    if "refresh_token" not in credentials or "expires_at" not in credentials:
        return False
    try:
        expires_at = datetime.fromisoformat(credentials["expires_at"])
    except ValueError:
        return True  # an unreadable expiry: refreshing is the safe side
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    return expires_at - now <= REFRESH_MARGIN


def refresh_credentials(sessions: sessionmaker[Session], account_id: uuid.UUID, cipher: CredentialCipher,
                        refresher: Refresher, clock: Clock = utcnow) -> dict[str, str]:
    """The account's credentials, refreshed first when the access token is about to expire.

    The account row stays locked across the refresh: X refresh tokens are single use, so two
    workers refreshing at once would leave one holding a dead token. The second waits, then
    finds fresh credentials and does not refresh. A refusal (``ConnectFailed``) propagates
    and the caller treats the account as needing reconnection."""
    with sessions() as session:
        organisation_id = session.execute(select(SocialAccount.organisation_id)
                                          .where(SocialAccount.id == account_id)).scalar_one()
    with Unit(sessions, system(organisation_id, "Warden credentials"), clock) as unit:
        account = unit.session.execute(select(SocialAccount).where(SocialAccount.id == account_id)
                                       .with_for_update()).scalar_one()
        credentials = stored_credentials(account, cipher)
        now = clock()
        if not needs_refresh(credentials, now):
            return credentials
        fresh = with_expiry(refresher(credentials), now)
        account.credentials = cipher.encrypt(Secret(json.dumps(fresh).encode("utf-8")), credentials_owner(account.id))
        unit.record("account.credentials_refreshed", _object(account),
                    details={"network": account.network, "expires_at": fresh.get("expires_at", ""),
                             "key_id": cipher.key_id_of(account.credentials)})
        return fresh
