import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from warden.audit import Verifier, load_entries, verify_chain
from warden.domain.errors import InvalidInput
from warden.storage import audit_log
from warden.storage.tables import AuditEntryRow, Case, FindingVerdict, Message
from warden.workflow import cases, filing, organisations
from warden.workflow.errors import Forbidden, InvalidState, LockedDown, NotFound, ReasonRequired, StaleVersion
from warden.workflow.filing import Incoming
from warden.workflow.principal import system
from workflow_org import Org

pytestmark = pytest.mark.db


def incoming(network_id: str, text: str, thread: str = "t-1") -> Incoming:
    return Incoming(network_id=network_id, thread_key=thread, kind="reply", author_handle="@someone",
                    text=text, sent_at=datetime.now(UTC))


def receive(org: Org, network_id: str, text: str, thread: str = "t-1") -> filing.Received:
    return filing.receive(org.sessions, system(org.id), org.corporate, incoming(network_id, text, thread))


def case_row(org: Org, case_id: uuid.UUID) -> Case:
    with org.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case


def audit_count(org: Org) -> int:
    with org.sessions() as session:
        return session.execute(select(func.count()).select_from(AuditEntryRow)
                               .where(AuditEntryRow.organisation_id == org.id)).scalar_one()


def test_receiving_is_idempotent_and_one_case_per_thread(org: Org) -> None:
    first = receive(org, "n1", "I know where you live and I will kill you")
    assert first.decision == "escalate_urgent" and not first.duplicate
    entries = audit_count(org)
    again = receive(org, "n1", "I know where you live and I will kill you")
    assert again.duplicate and again.message_id == first.message_id and again.case_id == first.case_id
    assert audit_count(org) == entries  # nothing written twice
    other = receive(org, "n2", "and another thing")
    assert other.case_id == first.case_id
    case = case_row(org, first.case_id)
    assert case.severity == 4 and case.sla_due_at is not None and case.state == "new"
    with org.sessions() as session:
        assert session.execute(select(func.count()).select_from(Message)).scalar_one() == 2


def test_new_message_reopens_a_closed_thread(org: Org) -> None:
    first = receive(org, "n1", "My car was stolen, how do I report it?")
    cases.close(org.sessions, org.moderator, first.case_id, case_row(org, first.case_id).version)
    receive(org, "n2", "Hello? Anyone?")
    assert case_row(org, first.case_id).state == "new"


def test_moderator_actions_and_offered_actions(org: Org) -> None:
    got = receive(org, "n1", "That officer lives at 14 Acacia Avenue, go and pay him a visit")
    case = case_row(org, got.case_id)
    offered = cases.available_actions(org.moderator, case, org.team, locked_down=False)
    assert "hide" in offered and "assign" in offered
    assert cases.available_actions(org.contributor, case, org.team, locked_down=False) == []
    assert "hide" not in cases.available_actions(org.moderator, case, org.team, locked_down=True)
    cases.assign(org.sessions, org.moderator, got.case_id, org.moderator.member_id, case.version)  # type: ignore[arg-type]
    cases.act(org.sessions, org.moderator, got.case_id, "hide", case_row(org, got.case_id).version,
              message_id=got.message_id)
    with org.sessions() as session:
        assert session.get(Message, got.message_id).hidden  # type: ignore[union-attr]
    assert case_row(org, got.case_id).state == "actioned"
    with pytest.raises(ReasonRequired):
        cases.act(org.sessions, org.moderator, got.case_id, "unhide", case_row(org, got.case_id).version,
                  message_id=got.message_id)
    cases.act(org.sessions, org.moderator, got.case_id, "unhide", case_row(org, got.case_id).version,
              reason="Appeal upheld: address was a public business", message_id=got.message_id)


def test_permissions_versions_and_tenancy(org: Org, db_engine) -> None:  # type: ignore[no-untyped-def]
    from workflow_org import build_org

    got = receive(org, "n1", "You absolute muppet")
    version = case_row(org, got.case_id).version
    with pytest.raises(Forbidden):
        cases.act(org.sessions, org.contributor, got.case_id, "escalate", version)
    with pytest.raises(InvalidInput):
        cases.act(org.sessions, org.moderator, got.case_id, "nuke", version)
    with pytest.raises(InvalidInput):
        cases.assign(org.sessions, org.moderator, got.case_id, org.contributor.member_id, version)  # type: ignore[arg-type]
    cases.act(org.sessions, org.moderator, got.case_id, "escalate", version)
    with pytest.raises(StaleVersion):
        cases.act(org.sessions, org.moderator, got.case_id, "escalate", version)
    other = build_org(db_engine, "south")
    with pytest.raises(NotFound):
        cases.close(other.sessions, other.moderator, got.case_id, case_row(org, got.case_id).version)
    with pytest.raises(NotFound):
        filing.receive(other.sessions, system(other.id), org.corporate, incoming("x", "hi"))


def test_lockdown_suspends_network_actions_only(org: Org) -> None:
    got = receive(org, "n1", "CLICK HERE for free money, guaranteed returns")
    organisations.set_lockdown(org.sessions, org.fresh(org.admin), locked=True, reason="Credential leak")
    with pytest.raises(LockedDown):
        cases.act(org.sessions, org.moderator, got.case_id, "hide", case_row(org, got.case_id).version,
                  message_id=got.message_id)
    cases.act(org.sessions, org.moderator, got.case_id, "escalate", case_row(org, got.case_id).version)


def test_verdicts_and_hidden_message_views_are_recorded(org: Org) -> None:
    got = receive(org, "n1", "I know where you live")
    cases.verdict(org.sessions, org.moderator, got.message_id, 0, agree=True)
    cases.verdict(org.sessions, org.moderator, got.message_id, 0, agree=False)  # changes, not duplicates
    with org.sessions() as session:
        rows = session.execute(select(FindingVerdict)).scalars().all()
        assert len(rows) == 1 and rows[0].agree is False
    with pytest.raises(InvalidInput):
        cases.verdict(org.sessions, org.moderator, got.message_id, 99, agree=True)
    cases.act(org.sessions, org.moderator, got.case_id, "hide", case_row(org, got.case_id).version,
              message_id=got.message_id)
    before = audit_count(org)
    message = cases.view_message(org.sessions, org.auditor, got.message_id)
    assert message.text == "I know where you live"
    assert audit_count(org) == before + 1


def test_closed_cases_are_final_until_reopened(org: Org) -> None:
    got = receive(org, "n1", "Thanks for your help today")
    cases.close(org.sessions, org.moderator, got.case_id, case_row(org, got.case_id).version)
    with pytest.raises(InvalidState):
        cases.act(org.sessions, org.moderator, got.case_id, "escalate", case_row(org, got.case_id).version)
    cases.reopen(org.sessions, org.moderator, got.case_id, case_row(org, got.case_id).version, "Follow-up needed")
    assert case_row(org, got.case_id).state == "new"


def test_hostile_inbound_is_bounded(org: Org) -> None:
    for bad in (Incoming("", "t", "reply", "@a", "x", datetime.now(UTC)),
                Incoming("n", "t", "shout", "@a", "x", datetime.now(UTC)),
                Incoming("n", "t", "reply", "@" * 500, "x", datetime.now(UTC)),
                Incoming("n", "t", "reply", "@a", "x" * 70_000, datetime.now(UTC))):
        with pytest.raises(InvalidInput):
            filing.receive(org.sessions, system(org.id), org.corporate, bad)


def test_chain_verifies_after_case_work(org: Org) -> None:
    got = receive(org, "n1", "You're a disgrace, I will find you")
    cases.act(org.sessions, org.moderator, got.case_id, "escalate", case_row(org, got.case_id).version)
    with org.sessions() as session:
        report = verify_chain(load_entries(audit_log.stream_rows(session, org.id)), [], Verifier({}))
    assert report.ok, report.summary()
