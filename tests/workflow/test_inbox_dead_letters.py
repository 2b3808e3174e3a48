"""One poison message never holds up the rest: it is retried alone, then set aside as a dead
letter with an alert, listed without its text, and re-queued by an admin after a fix."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from warden.domain.messages import Incoming
from warden.storage.tables import Alert, AuditEntryRow, Message, SocialAccount
from warden.storage.work_tables import InboxItem
from warden.workflow import filing, inbox
from warden.workflow.errors import Forbidden
from workflow_org import Org, build_org

pytestmark = pytest.mark.db

SENT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def arrive(org: Org, *texts: str) -> None:
    with org.sessions.begin() as session:
        account = session.get(SocialAccount, org.corporate)
        assert account is not None
        inbox.accept(session, account, [Incoming(network_id=f"m{n}", thread_key=f"m{n}", kind="reply",
                                                 author_handle=f"@person{n}", text=text, sent_at=SENT)
                                        for n, text in enumerate(texts)], "poll")


def states(org: Org) -> dict[str, str]:
    with org.sessions() as session:
        return dict(session.execute(select(InboxItem.network_id, InboxItem.state)
                                    .where(InboxItem.organisation_id == org.id)).all())  # type: ignore[arg-type]


def poison(monkeypatch: pytest.MonkeyPatch, network_id: str) -> None:
    """Filing this one message fails, as a bug in filing would."""
    real = filing.store_message

    def failing(unit: Any, account: Any, incoming: Incoming, *args: Any) -> Any:
        if incoming.network_id == network_id:
            raise RuntimeError("filing broke on this message")
        return real(unit, account, incoming, *args)
    monkeypatch.setattr(filing, "store_message", failing)


def test_a_poison_message_is_set_aside_and_the_rest_filed(db_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    org = build_org(db_engine, "north")
    arrive(org, "Thanks for the update", "Road closed near the school?", "Great work today")
    poison(monkeypatch, "m1")
    first = inbox.file_pending(org.sessions, org.id)
    assert first.filed == 2 and states(org) == {"m0": "filed", "m1": "pending", "m2": "filed"}
    for _ in range(inbox.MAX_ATTEMPTS - 1):
        inbox.file_pending(org.sessions, org.id)
    assert states(org)["m1"] == "dead"
    with org.sessions() as session:
        alerts = session.execute(select(Alert.kind).where(Alert.organisation_id == org.id)).scalars().all()
        assert "inbox_dead_letter" in alerts

    [letter] = inbox.dead_letters(org.sessions, org.admin)
    assert letter.network_id == "m1" and letter.attempts == inbox.MAX_ATTEMPTS
    assert "filing broke" in letter.error and "Road closed" not in repr(letter)

    monkeypatch.undo()  # the fix is deployed
    assert inbox.retry_dead(org.sessions, org.admin) == 1
    assert inbox.file_pending(org.sessions, org.id).filed == 1
    assert set(states(org).values()) == {"filed"}
    with org.sessions() as session:
        assert session.execute(select(Message.id).where(Message.organisation_id == org.id)).all().__len__() == 3
        retried = session.execute(select(AuditEntryRow.actor_id).where(
            AuditEntryRow.action == "inbox.dead_letters_retried")).scalars().all()
    assert retried == [str(org.admin.member_id)]


def test_an_unreadable_payload_is_dead_at_once(db_engine: Engine) -> None:
    org = build_org(db_engine, "north")
    with org.sessions.begin() as session:
        session.add(InboxItem(organisation_id=org.id, account_id=org.corporate, network_id="bad",
                              payload={"network_id": "bad"}, source="webhook"))
    assert inbox.file_pending(org.sessions, org.id).dead == 1
    assert states(org) == {"bad": "dead"}


def test_only_admins_of_the_organisation_retry_chosen_letters(db_engine: Engine) -> None:
    north, south = build_org(db_engine, "north"), build_org(db_engine, "south")
    for org in (north, south):
        with org.sessions.begin() as session:
            session.add_all([InboxItem(organisation_id=org.id, account_id=org.corporate, network_id=f"bad{n}",
                                       payload={}, source="webhook") for n in range(2)])
        inbox.file_pending(org.sessions, org.id)
    with pytest.raises(Forbidden):
        inbox.retry_dead(north.sessions, north.moderator)
    with pytest.raises(Forbidden):
        inbox.dead_letters(north.sessions, north.contributor)
    chosen = [letter.id for letter in inbox.dead_letters(north.sessions, north.admin)][:1]
    south_ids = [letter.id for letter in inbox.dead_letters(south.sessions, south.admin)]
    assert inbox.retry_dead(north.sessions, north.admin, chosen + south_ids) == 1  # another's ids do nothing
    assert sorted(states(north).values()) == ["dead", "pending"]
    assert set(states(south).values()) == {"dead"}
