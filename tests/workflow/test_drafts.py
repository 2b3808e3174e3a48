import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from warden.audit import Verifier, load_entries, verify_chain
from warden.auth.errors import StepUpRequired
from warden.storage import audit_log
from warden.storage.tables import AuditEntryRow, Draft
from warden.workflow import draft_review, drafts, organisations
from warden.workflow.errors import Forbidden, InvalidState, LockedDown, NotFound, ReasonRequired, StaleVersion
from workflow_org import Org, build_org

pytestmark = pytest.mark.db
CLEAN = "Road closure: the A64 eastbound is closed. Please find another route."
RISKY = "Another idiot driver doing 90 in a 30."
BLOCKED = "PNC shows he has been stopped before."
WARN_PERSONAL = "Off my face after shift last night"


def state(org: Org, draft_id: uuid.UUID) -> tuple[str, int]:
    with org.sessions() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        return draft.state, draft.version


def audit_actions(org: Org) -> list[str]:
    with org.sessions() as session:
        return list(session.execute(select(AuditEntryRow.action).where(AuditEntryRow.organisation_id == org.id)
                                    .order_by(AuditEntryRow.seq)).scalars())


def new(org: Org, who: str, text: str, account: str = "corporate") -> uuid.UUID:
    principal = getattr(org, who)
    draft_id = drafts.create_draft(org.sessions, principal, team_id=org.team,
                                   account_ids=[getattr(org, account)], text=text)
    drafts.submit_draft(org.sessions, principal, draft_id)
    return draft_id


def test_contributor_clean_draft_needs_approval_then_schedules(org: Org) -> None:
    draft_id = new(org, "contributor", CLEAN)
    assert state(org, draft_id)[0] == "held"
    draft_review.approve(org.sessions, org.approver, draft_id, state(org, draft_id)[1])
    assert state(org, draft_id)[0] == "approved"
    drafts.schedule(org.sessions, org.approver, draft_id, state(org, draft_id)[1],
                    datetime.now(UTC) + timedelta(hours=1))
    assert state(org, draft_id)[0] == "scheduled"
    assert audit_actions(org)[-4:] == ["draft.created", "draft.submitted", "draft.approved", "draft.scheduled"]


def test_publisher_clean_draft_is_allowed_without_approval(org: Org) -> None:
    draft_id = new(org, "publisher", CLEAN)
    assert state(org, draft_id)[0] == "allowed"
    drafts.schedule(org.sessions, org.publisher, draft_id, state(org, draft_id)[1], datetime.now(UTC))
    assert state(org, draft_id)[0] == "scheduled"


def test_risky_draft_is_held_even_for_a_publisher(org: Org) -> None:
    draft_id = new(org, "publisher", RISKY)
    assert state(org, draft_id)[0] == "held"
    with pytest.raises(InvalidState):
        drafts.schedule(org.sessions, org.publisher, draft_id, state(org, draft_id)[1], datetime.now(UTC))


def test_author_never_approves_own_draft(org: Org) -> None:
    draft_id = new(org, "approver", RISKY)  # approver who also writes
    with pytest.raises(Forbidden, match="own draft"):
        draft_review.approve(org.sessions, org.approver, draft_id, state(org, draft_id)[1])
    draft_review.approve(org.sessions, org.approver2, draft_id, state(org, draft_id)[1])


def test_roles_are_checked(org: Org) -> None:
    draft_id = new(org, "contributor", RISKY)
    for who in (org.contributor, org.publisher, org.moderator, org.auditor):
        with pytest.raises(Forbidden):
            draft_review.approve(org.sessions, who, draft_id, state(org, draft_id)[1])
    with pytest.raises(Forbidden):
        drafts.create_draft(org.sessions, org.moderator, team_id=org.team, account_ids=[org.corporate], text="x y")


def test_block_override_needs_reason_and_fresh_sign_in(org: Org) -> None:
    draft_id = new(org, "contributor", BLOCKED)
    assert state(org, draft_id)[0] == "blocked"
    with pytest.raises(InvalidState):
        draft_review.approve(org.sessions, org.approver, draft_id, state(org, draft_id)[1])
    with pytest.raises(ReasonRequired):
        draft_review.override_block(org.sessions, org.fresh(org.approver), draft_id, state(org, draft_id)[1], "ok")
    with pytest.raises(StepUpRequired):
        draft_review.override_block(org.sessions, org.approver, draft_id, state(org, draft_id)[1], "Authorised by SIO")
    stale = org.fresh(org.approver)
    later = lambda: datetime.now(UTC) + timedelta(minutes=10)  # noqa: E731
    with pytest.raises(StepUpRequired):
        draft_review.override_block(org.sessions, stale, draft_id, state(org, draft_id)[1], "Authorised by SIO",
                                    clock=later)
    draft_review.override_block(org.sessions, org.fresh(org.approver), draft_id, state(org, draft_id)[1],
                                "Authorised by the SIO for a public safety appeal")
    assert state(org, draft_id)[0] == "approved"
    assert "draft.block_overridden" in audit_actions(org)


def test_warning_needs_acknowledgement(org: Org) -> None:
    draft_id = new(org, "publisher", WARN_PERSONAL, account="personal")
    assert state(org, draft_id)[0] == "warned"
    with pytest.raises(InvalidState):
        drafts.schedule(org.sessions, org.publisher, draft_id, state(org, draft_id)[1], datetime.now(UTC))
    drafts.acknowledge_warning(org.sessions, org.publisher, draft_id, state(org, draft_id)[1])
    assert state(org, draft_id)[0] == "allowed"


def test_same_text_on_corporate_account_is_held_not_warned(org: Org) -> None:
    assert state(org, new(org, "publisher", WARN_PERSONAL))[0] == "held"


def test_edit_after_approval_goes_back_through_the_check(org: Org) -> None:
    draft_id = new(org, "contributor", CLEAN)
    draft_review.approve(org.sessions, org.approver, draft_id, state(org, draft_id)[1])
    drafts.edit_draft(org.sessions, org.contributor, draft_id, BLOCKED, state(org, draft_id)[1])
    assert state(org, draft_id)[0] == "blocked"


def test_stale_versions_are_refused(org: Org) -> None:
    draft_id = new(org, "contributor", CLEAN)
    seen = state(org, draft_id)[1]
    drafts.edit_draft(org.sessions, org.contributor, draft_id, CLEAN + " Thanks.", seen)
    with pytest.raises(StaleVersion):
        draft_review.approve(org.sessions, org.approver, draft_id, seen)


def test_terminal_states_stay_final(org: Org) -> None:
    draft_id = new(org, "contributor", RISKY)
    draft_review.reject(org.sessions, org.approver, draft_id, state(org, draft_id)[1], "Too rude for a police account")
    version = state(org, draft_id)[1]
    for attempt in (lambda: draft_review.approve(org.sessions, org.approver, draft_id, version),
                    lambda: drafts.edit_draft(org.sessions, org.contributor, draft_id, CLEAN, version),
                    lambda: drafts.withdraw(org.sessions, org.contributor, draft_id, version)):
        with pytest.raises(InvalidState):
            attempt()


def test_lockdown_stops_scheduling(org: Org) -> None:
    draft_id = new(org, "publisher", CLEAN)
    organisations.set_lockdown(org.sessions, org.fresh(org.admin), locked=True, reason="Account compromise suspected")
    with pytest.raises(LockedDown):
        drafts.schedule(org.sessions, org.publisher, draft_id, state(org, draft_id)[1], datetime.now(UTC))
    organisations.set_lockdown(org.sessions, org.fresh(org.admin), locked=False, reason="All clear")
    drafts.schedule(org.sessions, org.publisher, draft_id, state(org, draft_id)[1], datetime.now(UTC))


def test_other_organisations_cannot_see_or_touch_drafts(db_engine: Engine, org: Org) -> None:
    other = build_org(db_engine, "south")
    draft_id = new(org, "contributor", RISKY)
    with pytest.raises(NotFound):
        draft_review.approve(other.sessions, other.approver, draft_id, state(org, draft_id)[1])
    with pytest.raises(NotFound):
        drafts.create_draft(other.sessions, other.contributor, team_id=other.team, account_ids=[org.corporate],
                            text="Hello there")


def test_every_change_is_audited_and_the_chain_verifies(org: Org) -> None:
    draft_id = new(org, "contributor", RISKY)
    draft_review.approve(org.sessions, org.approver, draft_id, state(org, draft_id)[1])
    with org.sessions() as session:
        count = session.execute(select(func.count()).select_from(AuditEntryRow)
                                .where(AuditEntryRow.organisation_id == org.id)).scalar_one()
        report = verify_chain(load_entries(audit_log.stream_rows(session, org.id)), [], Verifier({}))
    assert report.ok, report.summary()
    assert count == len(audit_actions(org)) >= 10
