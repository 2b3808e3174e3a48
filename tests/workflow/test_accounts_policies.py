import logging
import uuid

import pytest
from sqlalchemy import select

from warden.auth.credentials import CredentialCipher, Keyring, Secret, generate_key
from warden.domain.errors import InvalidInput, PolicyError
from warden.storage.tables import AuditEntryRow, Draft, SocialAccount
from warden.workflow import accounts, drafts, policies
from warden.workflow.errors import Forbidden, InvalidState, NotFound
from workflow_org import Org

pytestmark = pytest.mark.db
TOKEN = b"oauth-access-token-0123456789abcdef"


def cipher(*keys: str) -> CredentialCipher:
    return CredentialCipher(Keyring.from_text(",".join(keys)))


def test_credentials_are_encrypted_bound_and_rotatable(org: Org, caplog: pytest.LogCaptureFixture) -> None:
    old_key, new_key = generate_key(), generate_key()
    account_id = accounts.add_account(org.sessions, org.admin, team_id=org.team, network="mastodon",
                                      handle="@north@police.example", account_type="corporate")
    with caplog.at_level(logging.DEBUG):
        accounts.set_credentials(org.sessions, org.admin, account_id, Secret(TOKEN), cipher(old_key))
    with org.sessions() as session:
        stored = session.get(SocialAccount, account_id).credentials  # type: ignore[union-attr]
        bodies = " ".join(session.execute(select(AuditEntryRow.body)).scalars())
        assert stored and TOKEN not in stored and TOKEN.decode() not in bodies
        assert accounts.read_credentials(session, org.id, account_id, cipher(old_key)).reveal() == TOKEN
        with pytest.raises(NotFound):
            accounts.read_credentials(session, uuid.uuid4(), account_id, cipher(old_key))
    assert TOKEN.decode() not in caplog.text
    rotated = cipher(new_key, old_key)
    assert accounts.rotate_credentials(org.sessions, org.admin, rotated) == 1
    with org.sessions() as session:
        assert accounts.read_credentials(session, org.id, account_id, cipher(new_key)).reveal() == TOKEN


def test_account_rules(org: Org) -> None:
    with pytest.raises(Forbidden):
        accounts.add_account(org.sessions, org.publisher, team_id=org.team, network="x", handle="a",
                             account_type="corporate")
    with pytest.raises(InvalidInput):
        accounts.add_account(org.sessions, org.admin, team_id=org.team, network="myspace", handle="a",
                             account_type="corporate")
    with pytest.raises(InvalidState):
        accounts.add_account(org.sessions, org.admin, team_id=org.team, network="replay", handle="north_police",
                             account_type="corporate")


PACK = """
id: north-pack
name: North custom pack
version: "1"
rules:
  - id: N1
    title: Mentions the chief by nickname
    direction: outbound
    why: Nicknames for senior officers are disrespectful in public.
    when: {any: [custom.nickname]}
    action: block
patterns:
  - {name: nickname, category: custom.nickname, regex: "big\\\\s+chief"}
"""


def test_policy_pack_and_registers_change_decisions(org: Org) -> None:
    text = "Great to see the Big Chief at Op Kestrel briefing"
    draft_id = drafts.create_draft(org.sessions, org.contributor, team_id=org.team, account_ids=[org.corporate],
                                   text=text)
    drafts.submit_draft(org.sessions, org.contributor, draft_id)
    with org.sessions() as session:
        assert session.get(Draft, draft_id).state == "held"  # type: ignore[union-attr]
    policies.add_register_entry(org.sessions, org.admin, "operations", "Kestrel")
    drafts.edit_draft(org.sessions, org.contributor, draft_id, text + ".", 2)
    with org.sessions() as session:
        assert session.get(Draft, draft_id).state == "blocked"  # type: ignore[union-attr]
        register_entry = session.execute(select(AuditEntryRow.body)
                                         .where(AuditEntryRow.action == "register.added")).scalar_one()
        assert "Kestrel" not in register_entry
    revision = policies.activate_pack(org.sessions, org.admin, PACK)
    assert len(revision) == 16
    with pytest.raises(PolicyError):
        policies.activate_pack(org.sessions, org.admin, PACK.replace("custom.nickname]", "custom.nicknam]"))
    with pytest.raises(Forbidden):
        policies.activate_pack(org.sessions, org.approver, PACK)
    with pytest.raises(InvalidInput):
        policies.add_register_entry(org.sessions, org.admin, "enemies", "Someone")


def test_rotation_re_encrypts_the_single_sign_on_client_secret(org: Org) -> None:
    from warden.storage.tables import OidcProviderRow
    from warden.workflow import organisations

    old_key, new_key = generate_key(), generate_key()
    organisations.configure_sso(org.sessions, org.fresh(org.admin), organisations.SsoSettings(
        issuer="https://login.example.police.uk", client_id="warden"), Secret("client-secret-value"),
        cipher(old_key))
    assert accounts.rotate_credentials(org.sessions, org.admin, cipher(new_key, old_key)) == 1
    with org.sessions() as session:
        row = session.get(OidcProviderRow, org.id)
        assert row is not None
        owner = organisations.sso_secret_owner(org.id)
        assert cipher(new_key).decrypt(row.client_secret, owner).reveal() == b"client-secret-value"
    assert accounts.rotate_credentials(org.sessions, org.admin, cipher(new_key, old_key)) == 0


def test_stored_credentials_are_a_json_object_or_refused(org: Org) -> None:
    key = generate_key()
    account_id = accounts.add_account(org.sessions, org.admin, team_id=org.team, network="x", handle="north",
                                      account_type="corporate")
    with org.sessions() as session:
        assert accounts.stored_credentials(session.get(SocialAccount, account_id), cipher(key)) == {}  # type: ignore[arg-type]
    accounts.set_credentials(org.sessions, org.admin, account_id, Secret(b'{"access_token": "t", "n": 7}'),
                             cipher(key))
    with org.sessions() as session:
        account = session.get(SocialAccount, account_id)
        assert account is not None
        assert accounts.stored_credentials(account, cipher(key)) == {"access_token": "t", "n": "7"}
        with pytest.raises(accounts.UnreadableCredentials):
            accounts.stored_credentials(account, cipher(generate_key()))  # the wrong key
    accounts.set_credentials(org.sessions, org.admin, account_id, Secret(b'["not", "an", "object"]'), cipher(key))
    with org.sessions() as session, pytest.raises(accounts.UnreadableCredentials, match="not a JSON object"):
        accounts.stored_credentials(session.get(SocialAccount, account_id), cipher(key))  # type: ignore[arg-type]
