"""What a candidate register entry, word or pack would have done to the last 30 days of messages: the
messages it would treat more strictly (counted, the newest returned with the candidate's own reasons),
those it would treat less strictly (counted), a capped scan, hidden messages' text withheld, nothing
changed but one audit entry that names the kind of candidate and never the name."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from warden.domain.errors import InvalidInput
from warden.domain.messages import Incoming
from warden.storage.tables import AuditEntryRow, Message, RegisterEntry
from warden.workflow import backtest, filing, policies
from warden.workflow.backtest import Candidate
from warden.workflow.errors import Forbidden
from warden.workflow.principal import system
from workflow_org import Org, build_org

pytestmark = pytest.mark.db
NAME = "Imogen Fairweather"
NAMING = f"Everyone round here knows it was {NAME} who went to the police about him"
PARADE = "Will the Remembrance parade go past the church on Sunday?"
THANKS = "Thank you to the officers who helped my dad yesterday"


def receive(org: Org, text: str, *, days_ago: float = 0, account: str = "corporate") -> filing.Received:
    got = filing.receive(org.sessions, system(org.id), getattr(org, account), Incoming(
        network_id=uuid.uuid4().hex, thread_key=uuid.uuid4().hex, kind="reply", author_handle="@someone",
        author_name="Some One", text=text, sent_at=datetime.now(UTC)))
    if days_ago:
        with org.sessions.begin() as session:
            session.execute(update(Message).where(Message.id == got.message_id).values(
                received_at=datetime.now(UTC) - timedelta(days=days_ago)))
    return got


def runs(org: Org) -> list[dict[str, object]]:
    with org.sessions() as session:
        bodies = session.execute(select(AuditEntryRow.body).where(
            AuditEntryRow.organisation_id == org.id, AuditEntryRow.action == "policy.backtested")
            .order_by(AuditEntryRow.seq)).scalars()
        return [json.loads(b) for b in bodies]


def test_a_register_entry_would_newly_hide_the_messages_naming_the_person(org: Org) -> None:
    named = receive(org, NAMING)
    receive(org, THANKS)
    receive(org, NAMING, days_ago=31)  # outside the window
    result = backtest.backtest(org.sessions, org.admin, Candidate("register", f"  {NAME} ", register="anonymity"))
    assert (result.in_window, result.scanned, result.skipped, result.capped) == (2, 2, 0, False)
    assert (result.stricter, result.weaker, dict(result.by_action)) == (1, 0, {"hide": 1})
    [change] = result.changes
    assert change.message_id == named.message_id and change.case_id == named.case_id
    # before: what the message was decided as when it came in (the learned tier may have asked for a look)
    assert named.decision in ("none", "review")
    assert (change.before, change.after, change.text, change.hidden) == (named.decision, "hide", NAMING, False)
    assert "IN-victim-id" in [r["rule"] for r in change.reasons]
    assert NAME in [e["text"] for r in change.reasons for e in r["evidence"]]  # type: ignore[union-attr]
    assert result.candidate_revision == result.policy_revision  # the same pack, another register
    with org.sessions() as session:  # nothing was added
        assert session.execute(select(RegisterEntry.id)).first() is None
    [run] = runs(org)
    assert run["details"] == {"candidate": "register:anonymity", "candidate_revision": result.policy_revision,
                              "window_days": 30, "in_window": 2, "scanned": 2, "stricter": 1, "weaker": 0,
                              "shown": 1, "hidden_withheld": 0}
    assert NAME not in json.dumps(run)


def test_a_name_on_the_register_already_is_refused(org: Org) -> None:
    policies.add_register_entry(org.sessions, org.admin, "active_proceedings", NAME)
    with pytest.raises(InvalidInput, match="already"):
        backtest.backtest(org.sessions, org.admin, Candidate("register", NAME.upper(), register="active_proceedings"))
    for bad in (Candidate("register", "x", register="anonymity"), Candidate("register", NAME, register="friends"),
                Candidate("word", "a"), Candidate("word", "parade", action="delete"), Candidate("pack", " "),
                Candidate("pack", "rules: [oops"), Candidate("guess", "x")):
        with pytest.raises(InvalidInput):
            backtest.backtest(org.sessions, org.admin, bad)
    assert runs(org) == []


def test_a_phrase_is_matched_as_whole_words_and_capped_scans_say_so(org: Org) -> None:
    first = receive(org, PARADE)
    receive(org, "The REMEMBRANCE   Parade was lovely", account="personal")
    receive(org, "Remembrance paraded is not the phrase")
    receive(org, THANKS)
    result = backtest.backtest(org.sessions, org.admin, Candidate("word", "remembrance parade", action="review"))
    assert (result.scanned, result.stricter, dict(result.by_action)) == (4, 2, {"review": 2})
    assert [c.account for c in result.changes] == ["north_pc_jones", "north_police"]  # newest first
    assert result.changes[1].message_id == first.message_id
    assert [r["rule"] for r in result.changes[1].reasons] == ["CANDIDATE-phrase"]
    assert result.candidate_revision != result.policy_revision
    capped = backtest.backtest(org.sessions, org.admin, Candidate("word", "parade"), scan_limit=3, show_limit=1)
    assert (capped.in_window, capped.scanned, capped.capped) == (4, 3, True)
    assert capped.stricter == 1 and len(capped.changes) == 1 and capped.changes[0].after == "hide"
    assert [r["details"]["candidate"] for r in runs(org)] == ["word:review", "word:hide"]  # type: ignore[index]


def test_a_hidden_message_is_counted_but_its_text_is_withheld(org: Org) -> None:
    got = receive(org, NAMING)
    with org.sessions.begin() as session:
        session.execute(update(Message).where(Message.id == got.message_id).values(hidden=True))
    result = backtest.backtest(org.sessions, org.admin, Candidate("register", NAME, register="anonymity"))
    [change] = result.changes
    assert change.hidden and change.text is None
    assert all(not r["evidence"] for r in change.reasons)
    assert NAME not in repr(change)
    assert runs(org)[0]["details"]["hidden_withheld"] == 1  # type: ignore[index]


PACK = """
id: lenient
name: Lenient pack
version: "1"
rules:
  - id: L1
    title: Parades
    direction: inbound
    why: Questions about parades go to the events team.
    when: {any: [custom.parade]}
    action: review
patterns:
  - {name: parade, category: custom.parade, regex: "\\\\bparade\\\\b"}
"""


def test_a_whole_pack_can_be_stricter_and_weaker_at_once(org: Org) -> None:
    receive(org, PARADE)
    receive(org, "I know where you live and I will find you")  # urgent today; nothing under the lenient pack
    result = backtest.backtest(org.sessions, org.admin, Candidate("pack", PACK))
    assert (result.stricter, result.weaker) == (1, 1)
    assert result.changes[0].after == "review" and result.changes[0].reasons[0]["rule"] == "L1"


def test_only_policy_administrators_and_only_their_own_organisation(org: Org, db_engine: object) -> None:
    south = build_org(db_engine, "south")  # type: ignore[arg-type]
    receive(south, NAMING)
    for principal in (org.moderator, org.auditor, org.publisher):
        with pytest.raises(Forbidden):
            backtest.backtest(org.sessions, principal, Candidate("register", NAME, register="anonymity"))
    result = backtest.backtest(org.sessions, org.admin, Candidate("register", NAME, register="anonymity"))
    assert (result.in_window, result.stricter) == (0, 0)
    assert len(runs(org)) == 1
