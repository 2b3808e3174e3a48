"""Batch filing: a message joining a thread moves its case's clock and version without an
audit entry of its own (``message.received`` names the case); raising or reopening a case
is audited with its before and after."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from warden.audit import Verifier, load_entries, verify_chain
from warden.domain.enums import InboundAction
from warden.domain.messages import Incoming
from warden.storage import audit_log
from warden.storage.tables import AuditEntryRow, Case, DecisionRow, Message, SocialAccount
from warden.storage.work_tables import InboxItem
from warden.workflow import filing, inbox
from warden.workflow.filing import SEVERITY
from workflow_org import Org, build_org

pytestmark = pytest.mark.db

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def arrive(org: Org, network_id: str, text: str, thread: str = "t1") -> None:
    with org.sessions.begin() as session:
        account = session.get(SocialAccount, org.corporate)
        assert account is not None
        inbox.accept(session, account, [Incoming(network_id=network_id, thread_key=thread, kind="reply",
                                                 author_handle="@resident", text=text, sent_at=T0)], "poll")


def the_case(org: Org) -> Case:
    with org.sessions() as session:
        return session.execute(select(Case).where(Case.organisation_id == org.id)).scalar_one()


def audit(org: Org) -> list[tuple[str, dict[str, object]]]:
    with org.sessions() as session:
        rows = session.execute(select(AuditEntryRow.action, AuditEntryRow.body).where(
            AuditEntryRow.organisation_id == org.id, AuditEntryRow.action.in_(
                ["message.received", "case.opened", "case.updated"])).order_by(AuditEntryRow.seq)).all()
    return [(action, json.loads(body)) for action, body in rows]


def test_joining_moves_the_case_and_raising_it_is_audited(db_engine: Engine) -> None:
    org = build_org(db_engine, "north")
    arrive(org, "m1", "When does the A64 reopen?")
    assert inbox.file_pending(org.sessions, org.id, clock=lambda: T0).filed == 1
    opened = the_case(org)

    arrive(org, "m2", "Thanks, that helps")
    later = T0 + timedelta(minutes=5)
    assert inbox.file_pending(org.sessions, org.id, clock=lambda: later).filed == 1
    joined = the_case(org)
    assert joined.updated_at == later and joined.version == opened.version + 1
    assert joined.severity == opened.severity
    assert [a for a, _ in audit(org)] == ["message.received", "case.opened", "message.received"]
    assert audit(org)[-1][1]["details"]["case"] == str(opened.id)  # type: ignore[index]

    arrive(org, "m3", "I know where you live and I will find you")
    latest = later + timedelta(minutes=5)
    inbox.file_pending(org.sessions, org.id, clock=lambda: latest)
    raised = the_case(org)
    assert raised.severity > joined.severity and raised.updated_at == latest
    assert [a for a, _ in audit(org)][-2:] == ["message.received", "case.updated"]
    entry = audit(org)[-1][1]
    assert entry["before_hash"] != entry["after_hash"]


def test_many_messages_of_one_thread_in_one_batch(db_engine: Engine) -> None:
    org = build_org(db_engine, "north")
    for n in range(30):
        arrive(org, f"m{n}", f"Question number {n} about the road closure")
    assert inbox.file_pending(org.sessions, org.id, clock=lambda: T0).filed == 30
    case = the_case(org)
    assert case.updated_at == T0
    assert [a for a, _ in audit(org)].count("message.received") == 30


def test_two_workers_filing_into_the_same_threads_file_each_message_once(db_engine: Engine,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers overlap everywhere but the last step (the threads' cases, then the chain head): on PostgreSQL
    two filing at once into the same threads lose nothing, double nothing and keep the chain whole, and no
    batch fails on the other's rows (a conflict would send it to the slow one-by-one path)."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with its database lock: nothing overlaps to test")
    org = build_org(db_engine, "north")
    fell_back: list[int] = []
    one_by_one = inbox._file_one_by_one

    def counted(*args: Any) -> inbox.Filed:
        fell_back.append(1)
        return one_by_one(*args)
    monkeypatch.setattr(inbox, "_file_one_by_one", counted)
    with org.sessions.begin() as session:
        account = session.get(SocialAccount, org.corporate)
        assert account is not None
        inbox.accept(session, account, [
            Incoming(network_id=f"m{n}", thread_key=f"t{n % 7}", kind="reply", author_handle=f"@r{n}",
                     text="I know where you live" if n % 11 == 0 else f"When does the road reopen? #{n}", sent_at=T0)
            for n in range(600)], "poll")
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def work() -> None:
        start.wait()
        try:
            while inbox.file_pending(org.sessions, org.id, limit=40).filed:
                pass
        except BaseException as error:
            failures.append(error)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not failures, failures[0]
    assert not fell_back
    with org.sessions() as session:
        assert session.execute(select(func.count()).select_from(Message)).scalar_one() == 600
        assert set(session.execute(select(InboxItem.state)).scalars()) == {"filed"}
        cases = session.execute(select(Case).where(Case.organisation_id == org.id)).scalars().all()
        assert sorted(c.thread_key for c in cases) == [f"t{n}" for n in range(7)]
        threat = session.execute(select(DecisionRow.action).join(Message, Message.decision_id == DecisionRow.id)
                                 .where(Message.network_id == "m0")).scalar_one()
        raised = SEVERITY[InboundAction(threat)]
        assert raised > 0 and all(c.severity == raised for c in cases)  # every thread had a threat (n % 11 == 0)
        report = verify_chain(load_entries(audit_log.stream_rows(session, org.id)), [], Verifier({}))
    assert report.ok, report.summary()
    assert [a for a, _ in audit(org)].count("message.received") == 600


def test_two_workers_opening_the_same_new_thread_at_once_share_one_case(db_engine: Engine,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Both batches reach the case step for the same brand-new threads together: the second waits for the
    first's case and joins it, instead of failing on the unique key and falling back to one-by-one filing."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with its database lock: nothing overlaps to test")
    org = build_org(db_engine, "north")
    with org.sessions.begin() as session:
        account = session.get(SocialAccount, org.corporate)
        assert account is not None
        inbox.accept(session, account, [
            Incoming(network_id=f"m{n}", thread_key=f"new{n % 3}", kind="reply", author_handle=f"@r{n}",
                     text="I know where you live" if n == 5 else f"Is the road open? #{n}", sent_at=T0)
            for n in range(12)], "poll")
    together = threading.Barrier(2, timeout=30)
    lock_cases = filing.Filing.lock_cases

    def meeting(self: filing.Filing, *args: Any) -> None:
        together.wait()  # both batches have checked and stored their messages; neither has a case yet
        lock_cases(self, *args)
    monkeypatch.setattr(filing.Filing, "lock_cases", meeting)
    fell_back: list[int] = []
    monkeypatch.setattr(inbox, "_file_one_by_one", lambda *args: fell_back.append(1) or inbox.Filed(0, 0))
    results: list[inbox.Filed] = []
    workers = [threading.Thread(target=lambda: results.append(inbox.file_pending(org.sessions, org.id, limit=6)))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not fell_back and sorted(r.filed for r in results) == [6, 6]
    with org.sessions() as session:
        opened = session.execute(select(Case).where(Case.organisation_id == org.id)).scalars().all()
    assert sorted(c.thread_key for c in opened) == ["new0", "new1", "new2"]
    threat = {c.thread_key: c.severity for c in opened}
    assert threat["new2"] > threat["new0"] == threat["new1"]  # m5 (thread new2) raised its case, wherever filed
    actions = [a for a, _ in audit(org)]
    assert actions.count("case.opened") == 3 and actions.count("message.received") == 12
