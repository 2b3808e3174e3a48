"""Numbers for the home page and the dashboard, each only where the caller may read it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from warden.storage.tables import Case, DecisionRow, Draft, FindingVerdict, Message, SocialAccount
from warden.web.console.reads import Sessions, teams_with
from warden.workflow.permissions import Permission, allowed
from warden.workflow.principal import Principal

# --------------------------------------------------------------------------- dashboard

@dataclass(frozen=True)
class Series:
    label: str
    values: list[int]


@dataclass(frozen=True)
class Dashboard:
    days: list[str]  # ISO dates, oldest first
    inbound: list[Series] | None  # messages received per day, by decision
    outbound: list[Series] | None  # drafts checked per day, by decision
    open_urgent: int | None
    awaiting_approval: int | None
    verdicts: tuple[int, int] | None  # reviewers' (agree, disagree) with the findings, in the period


def _per_day(stamps: Iterable[tuple[datetime, str]], days: list[str], order: Sequence[str],
             labels: Mapping[str, str]) -> list[Series]:
    counts: dict[str, dict[str, int]] = {key: dict.fromkeys(days, 0) for key in order}
    for moment, key in stamps:
        day = moment.date().isoformat()
        if key in counts and day in counts[key]:
            counts[key][day] += 1
    return [Series(labels.get(key, key), list(counts[key].values())) for key in order]


def dashboard(sessions: Sessions, principal: Principal, now: datetime, labels: Mapping[str, str],
              days: int = 14) -> Dashboard:
    """Volumes in and out per day, what is waiting, and how often reviewers agree with the detectors; each
    part only where the caller may read it."""
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    day_keys = [(start + timedelta(days=n)).date().isoformat() for n in range(days)]
    inbound = outbound = None
    open_urgent = awaiting = None
    verdicts = None
    with sessions() as session:
        org = principal.organisation_id
        if allowed(principal, Permission.CASE_READ):
            teams = teams_with(session, principal, Permission.CASE_READ)
            rows = session.execute(select(Message.received_at, DecisionRow.action)
                                   .join(SocialAccount, SocialAccount.id == Message.account_id)
                                   .join(DecisionRow, DecisionRow.id == Message.decision_id)
                                   .where(Message.organisation_id == org, SocialAccount.team_id.in_(teams),
                                          Message.received_at >= start)).all()
            inbound = _per_day(((t, a) for t, a in rows), day_keys,
                               ("escalate_urgent", "hide_and_escalate", "hide", "review", "redirect", "none"), labels)
            open_urgent = session.execute(select(func.count()).select_from(Case).join(
                SocialAccount, SocialAccount.id == Case.account_id).where(
                Case.organisation_id == org, SocialAccount.team_id.in_(teams), Case.state != "closed",
                Case.severity >= 3)).scalar_one()
            agreed = session.execute(select(FindingVerdict.agree, func.count()).where(
                FindingVerdict.organisation_id == org, FindingVerdict.created_at >= start)
                .group_by(FindingVerdict.agree)).all()
            tally = {bool(a): n for a, n in agreed}
            verdicts = (tally.get(True, 0), tally.get(False, 0))
        if allowed(principal, Permission.DRAFT_READ):
            teams = teams_with(session, principal, Permission.DRAFT_READ)
            rows = session.execute(select(DecisionRow.created_at, DecisionRow.action)
                                   .join(Draft, and_(Draft.id == DecisionRow.subject_id,
                                                     DecisionRow.subject_kind == "draft"))
                                   .where(DecisionRow.organisation_id == org, Draft.team_id.in_(teams),
                                          DecisionRow.created_at >= start)).all()
            outbound = _per_day(((t, a) for t, a in rows), day_keys, ("block", "hold", "warn", "allow"), labels)
            awaiting = session.execute(select(func.count()).select_from(Draft).where(
                Draft.organisation_id == org, Draft.team_id.in_(teams),
                Draft.state.in_(("held", "blocked")))).scalar_one()
    return Dashboard(days=day_keys, inbound=inbound, outbound=outbound, open_urgent=open_urgent,
                     awaiting_approval=awaiting, verdicts=verdicts)


# -------------------------------------------------------------------------------- home

@dataclass(frozen=True)
class HomeCounts:
    my_attention: int | None = None  # my drafts waiting for me (warned, changes requested)
    my_waiting: int | None = None  # my drafts waiting for an approver
    approvals: int | None = None
    urgent_cases: int | None = None
    open_cases: int | None = None


def home_counts(sessions: Sessions, principal: Principal) -> HomeCounts:
    counts: dict[str, int] = {}
    with sessions() as session:
        if allowed(principal, Permission.DRAFT_WRITE) and principal.member_id is not None:
            mine = select(func.count()).select_from(Draft).where(
                Draft.organisation_id == principal.organisation_id, Draft.author_id == principal.member_id)
            counts["my_attention"] = session.execute(
                mine.where(Draft.state.in_(("warned", "changes_requested", "draft")))).scalar_one()
            counts["my_waiting"] = session.execute(mine.where(Draft.state.in_(("held", "blocked")))).scalar_one()
        if allowed(principal, Permission.DRAFT_APPROVE):
            teams = teams_with(session, principal, Permission.DRAFT_APPROVE)
            counts["approvals"] = session.execute(select(func.count()).select_from(Draft).where(
                Draft.organisation_id == principal.organisation_id, Draft.team_id.in_(teams),
                Draft.state.in_(("held", "blocked")), or_(Draft.author_id != principal.member_id,
                                                          Draft.author_id.is_(None)))).scalar_one()
        if allowed(principal, Permission.CASE_READ):
            teams = teams_with(session, principal, Permission.CASE_READ)
            open_cases = select(func.count()).select_from(Case).join(
                SocialAccount, SocialAccount.id == Case.account_id).where(
                Case.organisation_id == principal.organisation_id, SocialAccount.team_id.in_(teams),
                Case.state != "closed")
            counts["open_cases"] = session.execute(open_cases).scalar_one()
            counts["urgent_cases"] = session.execute(open_cases.where(Case.severity >= 3)).scalar_one()
    return HomeCounts(**counts)

