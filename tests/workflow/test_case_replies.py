"""Replies from a case: checked as outbound posts of the case's account, moved through the draft workflow,
published through the outbox as replies to the message they answer."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select

from warden.audit import Verifier, load_entries, verify_chain
from warden.domain.errors import InvalidInput
from warden.storage import audit_log
from warden.storage.tables import AuditEntryRow, Case, Draft
from warden.storage.work_tables import OutboxPost
from warden.workflow import case_replies, cases, draft_review, drafts, filing, organisations
from warden.workflow.errors import Forbidden, InvalidState, LockedDown, NotFound, StaleVersion
from warden.workflow.filing import Incoming
from warden.workflow.loading import member_principal
from warden.workflow.principal import Principal, system
from workflow_org import HASHER, Org, build_org

pytestmark = pytest.mark.db
CLEAN = "Thank you for letting us know. Our team will look into it today."
RISKY = "Thanks for the feedback, you muppet."
BLOCKED = "PNC shows he has been stopped before."
WARN_PERSONAL = "Off my face after shift last night"


def receive(org: Org, network_id: str, text: str = "My bike was stolen from the station", *, kind: str = "reply",
            account: str = "corporate", thread: str = "t-1") -> filing.Received:
    incoming = Incoming(network_id=network_id, thread_key=thread, kind=kind, author_handle="@someone", text=text,
                        sent_at=datetime.now(UTC))
    return filing.receive(org.sessions, system(org.id), getattr(org, account), incoming)


def version(org: Org, case_id: uuid.UUID) -> int:
    with org.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.version


def case_state(org: Org, case_id: uuid.UUID) -> str:
    with org.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.state


def draft_row(org: Org, draft_id: uuid.UUID) -> Draft:
    with org.sessions() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        return draft


def outbox(org: Org, draft_id: uuid.UUID) -> list[OutboxPost]:
    with org.sessions() as session:
        return list(session.execute(select(OutboxPost).where(OutboxPost.draft_id == draft_id)).scalars())


def entries(org: Org) -> list[AuditEntryRow]:
    with org.sessions() as session:
        return list(session.execute(select(AuditEntryRow).where(AuditEntryRow.organisation_id == org.id)
                                    .order_by(AuditEntryRow.seq)).scalars())


def details(entry: AuditEntryRow) -> dict[str, object]:
    found: dict[str, object] = json.loads(entry.body)["details"]
    return found


def reply(org: Org, who: Principal, got: filing.Received, text: str, **options: bool) -> case_replies.Replied:
    return case_replies.reply(org.sessions, who, got.case_id, got.message_id, text, version(org, got.case_id),
                              **options)


def moderating_approver(org: Org) -> Principal:
    member_id = organisations.add_member(org.sessions, org.fresh(org.admin), email="mara@north.example.com",
                                         display_name="Mara", password=None,
                                         roles={org.team: ("moderator", "approver")}, hasher=HASHER)
    with org.sessions() as session:
        return member_principal(session, member_id)


def test_an_allowed_reply_is_scheduled_at_once_as_a_reply_to_the_message(org: Org) -> None:
    got = receive(org, "n1")
    before = len(entries(org))
    done = reply(org, org.moderator, got, CLEAN)
    assert done.state == "scheduled" and done.decision.action.value == "allow"
    draft = draft_row(org, done.draft_id)
    assert (draft.reply_to_message_id, draft.in_reply_to, draft.account_ids) == (got.message_id, "n1",
                                                                                  [str(org.corporate)])
    assert draft.author_id == org.moderator.member_id and draft.scheduled_for is not None
    [post] = outbox(org, done.draft_id)
    assert (post.state, post.in_reply_to, post.account_id, post.text) == ("pending", "n1", org.corporate, CLEAN)
    assert case_state(org, got.case_id) == "actioned"
    written = entries(org)[before:]
    assert [e.action for e in written] == ["draft.created", "draft.submitted", "draft.scheduled", "case.replied"]
    replied = written[-1]
    assert replied.object_id == str(got.case_id)
    assert details(replied)["draft"] == str(done.draft_id) and details(replied)["message"] == str(got.message_id)
    assert details(replied)["draft_state"] == "scheduled"
    assert details(written[0])["reply_to"] == {"message": str(got.message_id), "network_id": "n1",
                                               "account": "north_police"}
    [seen] = case_replies.replies(org.sessions, org.moderator, got.case_id)
    assert (seen.draft_id, seen.state, seen.message_id, seen.in_reply_to) == (done.draft_id, "scheduled",
                                                                              got.message_id, "n1")
    assert case_replies.replies(org.sessions, org.auditor, got.case_id)[0].draft_id == done.draft_id


def test_a_risky_reply_waits_for_another_approver_and_is_queued_only_then(org: Org) -> None:
    mara = moderating_approver(org)
    got = receive(org, "n1")
    done = reply(org, mara, got, RISKY)
    assert done.state == "held" and done.decision.action.value == "hold"
    assert outbox(org, done.draft_id) == []
    assert case_state(org, got.case_id) == "actioned"
    held = draft_row(org, done.draft_id)
    with pytest.raises(Forbidden):  # never one's own reply, as for any draft
        draft_review.approve(org.sessions, mara, done.draft_id, held.version)
    with pytest.raises(Forbidden):  # moderators do not approve
        draft_review.approve(org.sessions, org.moderator, done.draft_id, held.version)
    assert outbox(org, done.draft_id) == []
    target = case_replies.reply_target(org.sessions, org.approver2, done.draft_id)
    assert target is not None and target.message_id == got.message_id and target.case_id == got.case_id
    assert target.text == "My bike was stolen from the station" and target.account_handle == "north_police"
    assert case_replies.reply_target(org.sessions, org.contributor, done.draft_id) is not None  # drafts readers see it
    draft_review.approve(org.sessions, org.approver2, done.draft_id, held.version)
    assert draft_row(org, done.draft_id).state == "scheduled"
    [post] = outbox(org, done.draft_id)
    assert (post.state, post.in_reply_to) == ("pending", "n1")
    assert [e.action for e in entries(org)][-2:] == ["draft.approved", "draft.scheduled"]


def test_a_blocked_reply_goes_out_only_after_an_override(org: Org) -> None:
    got = receive(org, "n1")
    done = reply(org, org.moderator, got, BLOCKED)
    assert done.state == "blocked" and outbox(org, done.draft_id) == []
    with pytest.raises(InvalidState):
        draft_review.approve(org.sessions, org.approver2, done.draft_id, draft_row(org, done.draft_id).version)
    draft_review.override_block(org.sessions, org.fresh(org.approver2), done.draft_id,
                                draft_row(org, done.draft_id).version, "Checked with the PNC bureau: already public")
    assert draft_row(org, done.draft_id).state == "scheduled"
    assert [p.in_reply_to for p in outbox(org, done.draft_id)] == ["n1"]


def test_a_warned_reply_goes_out_once_acknowledged(org: Org) -> None:
    got = receive(org, "p1", account="personal")
    done = reply(org, org.moderator, got, WARN_PERSONAL)
    assert done.state == "warned" and outbox(org, done.draft_id) == []
    drafts.acknowledge_warning(org.sessions, org.moderator, done.draft_id, draft_row(org, done.draft_id).version)
    assert draft_row(org, done.draft_id).state == "scheduled"
    assert [p.in_reply_to for p in outbox(org, done.draft_id)] == ["p1"]
    again = reply(org, org.moderator, receive(org, "p2", account="personal", thread="t-2"), WARN_PERSONAL,
                  acknowledge_warnings=True)
    assert again.state == "scheduled"
    assert [e.action for e in entries(org)][-3:] == ["draft.warning_acknowledged", "draft.scheduled", "case.replied"]


def test_a_reply_edited_after_changes_were_requested_is_checked_again(org: Org) -> None:
    got = receive(org, "n1")
    done = reply(org, org.moderator, got, RISKY)
    draft_review.request_changes(org.sessions, org.approver2, done.draft_id, draft_row(org, done.draft_id).version,
                                 "Please do not call people names")
    assert (case_replies.replies(org.sessions, org.moderator, got.case_id)[0].review_reason
            == "Please do not call people names")
    drafts.edit_draft(org.sessions, org.moderator, done.draft_id, CLEAN, draft_row(org, done.draft_id).version)
    assert draft_row(org, done.draft_id).state == "scheduled"
    assert [p.text for p in outbox(org, done.draft_id)] == [CLEAN]


def test_replies_are_refused_while_locked_down(org: Org) -> None:
    got = receive(org, "n1")
    held = reply(org, org.moderator, got, RISKY)
    organisations.set_lockdown(org.sessions, org.fresh(org.admin), locked=True, reason="Credential leak")
    with pytest.raises(LockedDown):
        reply(org, org.moderator, got, CLEAN)
    # approving during a lockdown publishes nothing: the reply waits, approved
    draft_review.approve(org.sessions, org.approver2, held.draft_id, draft_row(org, held.draft_id).version)
    assert draft_row(org, held.draft_id).state == "approved" and outbox(org, held.draft_id) == []
    organisations.set_lockdown(org.sessions, org.fresh(org.admin), locked=False, reason="Passwords rotated")
    when = datetime.now(UTC)
    drafts.schedule(org.sessions, org.approver2, held.draft_id, draft_row(org, held.draft_id).version, when)
    assert [p.in_reply_to for p in outbox(org, held.draft_id)] == ["n1"]


def test_direct_messages_cannot_be_answered_through_a_public_reply(org: Org) -> None:
    got = receive(org, "d1", "Can you help me privately?", kind="dm", thread="dm-1")
    with pytest.raises(InvalidState, match="direct message"):
        reply(org, org.moderator, got, CLEAN)
    with org.sessions() as session:
        assert session.execute(select(func.count()).select_from(Draft)).scalar_one() == 0
    assert case_state(org, got.case_id) == "new"
    assert case_replies.reply_problem("replay", "reply") is None and case_replies.reply_problem("myspace", "reply")


def test_refusals_leave_nothing_behind(org: Org, db_engine: Engine) -> None:
    got = receive(org, "n1")
    other = receive(org, "n9", "Another thread", thread="t-9")
    written = len(entries(org))
    with pytest.raises(Forbidden):  # writers of drafts do not work cases
        reply(org, org.publisher, got, CLEAN)
    with pytest.raises(StaleVersion):
        case_replies.reply(org.sessions, org.moderator, got.case_id, got.message_id, CLEAN,
                           version(org, got.case_id) + 1)
    with pytest.raises(InvalidInput):
        case_replies.reply(org.sessions, org.moderator, got.case_id, other.message_id, CLEAN, version(org, got.case_id))
    with pytest.raises(InvalidInput):
        reply(org, org.moderator, got, "   ")
    with pytest.raises(InvalidInput):
        cases.act(org.sessions, org.moderator, got.case_id, "reply", version(org, got.case_id),
                  message_id=got.message_id)
    south = build_org(db_engine, "south")
    with pytest.raises(NotFound):  # another organisation's case is not there at all
        case_replies.reply(south.sessions, south.moderator, got.case_id, got.message_id, CLEAN,
                           version(org, got.case_id))
    with pytest.raises(NotFound):
        case_replies.replies(south.sessions, south.moderator, got.case_id)
    with pytest.raises(NotFound):
        case_replies.check_reply(south.sessions, south.moderator, got.case_id, CLEAN)
    cases.close(org.sessions, org.moderator, got.case_id, version(org, got.case_id))
    with pytest.raises(InvalidState):
        reply(org, org.moderator, got, CLEAN)
    with org.sessions() as session:
        assert session.execute(select(func.count()).select_from(Draft)).scalar_one() == 0
    assert [e.action for e in entries(org)[written:]] == ["case.closed"]


def test_the_live_check_reads_the_accounts_rules_and_stores_nothing(org: Org) -> None:
    got = receive(org, "p1", account="personal")
    assert case_replies.check_reply(org.sessions, org.moderator, got.case_id, WARN_PERSONAL).action.value == "warn"
    assert case_replies.check_reply(org.sessions, org.moderator, got.case_id, BLOCKED).action.value == "block"
    with pytest.raises(Forbidden):
        case_replies.check_reply(org.sessions, org.auditor, got.case_id, CLEAN)
    with org.sessions() as session:
        assert session.execute(select(func.count()).select_from(Draft)).scalar_one() == 0


def test_chain_verifies_after_replies(org: Org) -> None:
    got = receive(org, "n1")
    done = reply(org, org.moderator, got, RISKY)
    draft_review.approve(org.sessions, org.approver2, done.draft_id, draft_row(org, done.draft_id).version)
    reply(org, org.moderator, got, CLEAN)
    with org.sessions() as session:
        report = verify_chain(load_entries(audit_log.stream_rows(session, org.id)), [], Verifier({}))
    assert report.ok, report.summary()
