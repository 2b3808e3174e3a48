"""Disconnecting an account: credentials forgotten, fetching stopped, reason audited;
admins of the account's organisation only."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, select, update

from warden.auth.credentials import CredentialCipher, Keyring
from warden.auth.keys import generate_key
from warden.auth.redaction import Secret
from warden.storage.tables import AuditEntryRow, SocialAccount
from warden.workers import fetching
from warden.workflow import accounts
from warden.workflow.errors import Forbidden, InvalidState, NotFound, ReasonRequired
from workflow_org import build_org

pytestmark = pytest.mark.db


def test_disconnect_forgets_credentials_and_stops_fetching(db_engine: Engine) -> None:
    org = build_org(db_engine, "north")
    cipher = CredentialCipher(Keyring.from_text(generate_key()))
    with org.sessions.begin() as session:
        session.execute(update(SocialAccount).where(SocialAccount.id == org.corporate).values(
            network="mastodon", settings={"base_url": "https://m.example"}))
    accounts.set_credentials(org.sessions, org.admin, org.corporate, Secret(json.dumps({"access_token": "t"}).encode()),
                             cipher)
    fetching.ensure_sync_rows(org.sessions)
    with pytest.raises(ReasonRequired):
        accounts.disconnect(org.sessions, org.admin, org.corporate, "  ")
    with pytest.raises(Forbidden):
        accounts.disconnect(org.sessions, org.moderator, org.corporate, "Phone stolen")
    accounts.disconnect(org.sessions, org.admin, org.corporate, "Phone stolen")
    with org.sessions() as session:
        account = session.get(SocialAccount, org.corporate)
        assert account is not None and account.credentials is None and account.health == "disconnected"
        [body] = session.execute(select(AuditEntryRow.body).where(
            AuditEntryRow.action == "account.disconnected")).scalars()
    assert json.loads(body)["justification"] == "Phone stolen"
    assert fetching.fetch_due(org.sessions, lambda a: pytest.fail("a disconnected account was fetched"),
                              "w").accounts == 0
    with pytest.raises(InvalidState):
        accounts.disconnect(org.sessions, org.admin, org.corporate, "Again")


def test_another_organisation_cannot_disconnect(db_engine: Engine) -> None:
    north, south = build_org(db_engine, "north"), build_org(db_engine, "south")
    with pytest.raises(NotFound):
        accounts.disconnect(south.sessions, south.admin, north.corporate, "Not yours")
