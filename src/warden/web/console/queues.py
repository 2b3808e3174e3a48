"""The console's work queues: drafts waiting for approval, the inbox stream with its filters.

Filtered on the caller's organisation and on the teams ``workflow.permissions`` lets the caller read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, exists, func, select, tuple_
from sqlalchemy.orm import Session

from warden.storage.tables import Case, DecisionRow, Draft, Member, Message, SocialAccount
from warden.web.console.reads import Sessions, account_handles, member_names, teams_with
from warden.web.pagination import PageRequest, encode_cursor, key_int_datetime_uuid
from warden.workflow.permissions import Permission
from warden.workflow.principal import Principal

#: How long a draft may wait for an approver before the queue shows it as overdue.
APPROVAL_DUE = timedelta(hours=2)


# --------------------------------------------------------------------------- approvals

@dataclass(frozen=True)
class QueueItem:
    draft: Draft
    author: str
    accounts: list[str]
    action: str
    categories: list[str]
    reasons: list[dict[str, Any]]
    waiting_since: datetime
    due: datetime

    @property
    def low_risk(self) -> bool:
        """Held only because its author's drafts always need approval: the check found nothing."""
        return self.draft.state == "held" and self.action == "allow"


def approval_queue(sessions: Sessions, principal: Principal, limit: int = 200) -> list[QueueItem]:
    """Held and blocked drafts in the teams the caller approves for, longest waiting first."""
    with sessions() as session:
        teams = teams_with(session, principal, Permission.DRAFT_APPROVE)
        rows = session.execute(select(Draft, DecisionRow.action, DecisionRow.categories, DecisionRow.reasons)
                               .outerjoin(DecisionRow, DecisionRow.id == Draft.decision_id)
                               .where(Draft.organisation_id == principal.organisation_id, Draft.team_id.in_(teams),
                                      Draft.state.in_(("held", "blocked")))
                               .order_by(Draft.updated_at, Draft.id).limit(limit)).all()
        for draft, *_ in rows:
            session.expunge(draft)
    authors = member_names(sessions, principal, [d.author_id for d, *_ in rows])
    handles = account_handles(sessions, principal, [a for d, *_ in rows for a in d.account_ids])
    return [QueueItem(draft=d, author=authors.get(d.author_id, ""),
                      accounts=[handles.get(uuid.UUID(a), "") for a in d.account_ids], action=action or "",
                      categories=list(categories or []), reasons=list(reasons or []), waiting_since=d.updated_at,
                      due=d.updated_at + APPROVAL_DUE) for d, action, categories, reasons in rows]


# ------------------------------------------------------------------------------- inbox

@dataclass(frozen=True)
class InboxFilter:
    account_id: uuid.UUID | None = None
    category: str | None = None
    severity_min: int | None = None
    state: str = "open"  # open | new | assigned | actioned | closed | all
    assignee: str | None = None  # None | "me" | "none" | a member id

    def query_string(self, **changes: Any) -> str:
        from urllib.parse import urlencode

        values = {"account": self.account_id, "category": self.category, "severity": self.severity_min,
                  "state": self.state, "assignee": self.assignee, **changes}
        return urlencode({k: str(v) for k, v in values.items() if v not in (None, "")})


@dataclass(frozen=True)
class InboxRow:
    case: Case
    account: str
    latest_author: str
    latest_text: str | None  # None when withheld (hidden) or sensitive: open the case to read it
    latest_hidden: bool
    latest_sensitive: bool
    latest_at: datetime | None
    messages: int
    categories: list[str]
    assignee: str


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    next_cursor: str | None = None
    category_titles: dict[str, str] = field(default_factory=dict)


def _category_clause(category: str) -> Any:
    """Cases with a message whose decision names ``category`` (a policy category id; caller validates it)."""
    pattern = '%"' + category.replace("\\", "").replace('"', "").replace("%", "").replace("_", "\\_") + '"%'
    return exists(select(Message.id).join(DecisionRow, DecisionRow.id == Message.decision_id).where(
        Message.organisation_id == Case.organisation_id, Message.account_id == Case.account_id,
        Message.thread_key == Case.thread_key, cast(DecisionRow.categories, String).like(pattern, escape="\\")))


def inbox(sessions: Sessions, principal: Principal, where: InboxFilter, page: PageRequest,
          sensitive_actions: frozenset[str]) -> InboxPage:
    """Most urgent first (severity, then newest), in the teams whose cases the caller may read."""
    with sessions() as session:
        teams = teams_with(session, principal, Permission.CASE_READ)
        query = (select(Case, SocialAccount.handle, SocialAccount.network)
                 .join(SocialAccount, SocialAccount.id == Case.account_id)
                 .where(Case.organisation_id == principal.organisation_id,
                        SocialAccount.organisation_id == principal.organisation_id,
                        SocialAccount.team_id.in_(teams)))
        if where.account_id is not None:
            query = query.where(Case.account_id == where.account_id)
        if where.state == "open":
            query = query.where(Case.state != "closed")
        elif where.state != "all":
            query = query.where(Case.state == where.state)
        if where.severity_min is not None:
            query = query.where(Case.severity >= where.severity_min)
        if where.assignee == "me":
            query = query.where(Case.assignee_id == principal.member_id)
        elif where.assignee == "none":
            query = query.where(Case.assignee_id.is_(None))
        elif where.assignee:
            query = query.where(Case.assignee_id == uuid.UUID(where.assignee))
        if where.category:
            query = query.where(_category_clause(where.category))
        after = page.after()
        if after is not None:
            query = query.where(tuple_(Case.severity, Case.opened_at, Case.id) < tuple_(*key_int_datetime_uuid(after)))
        found = session.execute(query.order_by(Case.severity.desc(), Case.opened_at.desc(), Case.id.desc())
                                .limit(page.limit + 1)).all()
        shown = found[: page.limit]
        cursor = None
        if len(found) > page.limit:
            last = shown[-1][0]
            cursor = encode_cursor(last.severity, last.opened_at, last.id)
        rows = _inbox_rows(session, principal, [(c, f"{h} ({n})") for c, h, n in shown], sensitive_actions)
        for row in rows:
            session.expunge(row.case)
    return InboxPage(rows=rows, next_cursor=cursor)


def _inbox_rows(session: Session, principal: Principal, cases: Sequence[tuple[Case, str]],
                sensitive_actions: frozenset[str]) -> list[InboxRow]:
    if not cases:
        return []
    threads = {(c.account_id, c.thread_key) for c, _ in cases}
    # IN on each column (not a row-value IN) lets SQLite use ix_messages_thread; exact pairs are kept below.
    in_threads = (Message.organisation_id == principal.organisation_id,
                  Message.account_id.in_({a for a, _ in threads}), Message.thread_key.in_({t for _, t in threads}))
    newest: dict[tuple[uuid.UUID, str], tuple[Any, int]] = {
        (a, t): (sent, n) for a, t, sent, n in session.execute(
            select(Message.account_id, Message.thread_key, func.max(Message.sent_at), func.count(Message.id))
            .where(*in_threads).group_by(Message.account_id, Message.thread_key)) if (a, t) in threads}
    by_thread: dict[tuple[uuid.UUID, str], tuple[Message, int]] = {}
    if newest:
        for found in session.execute(select(Message).where(
                *in_threads, Message.sent_at.in_({sent for sent, _ in newest.values()}))).scalars():
            key = (found.account_id, found.thread_key)
            if key in newest and found.sent_at == newest[key][0]:
                by_thread.setdefault(key, (found, newest[key][1]))
    categories: dict[tuple[uuid.UUID, str], list[str]] = {}
    actions: dict[uuid.UUID, str] = {}
    decided = session.execute(select(Message.account_id, Message.thread_key, Message.id, DecisionRow.action,
                                     DecisionRow.categories)
                              .join(DecisionRow, DecisionRow.id == Message.decision_id)
                              .where(*in_threads)).all()
    for account_id, thread_key, message_id, action, cats in decided:
        if (account_id, thread_key) not in threads:
            continue
        bucket = categories.setdefault((account_id, thread_key), [])
        bucket.extend(c for c in (cats or []) if c not in bucket)
        actions[message_id] = action
    assignees = {i: n for i, n in session.execute(select(Member.id, Member.display_name).where(
        Member.organisation_id == principal.organisation_id,
        Member.id.in_({c.assignee_id for c, _ in cases if c.assignee_id}))).all()}
    rows = []
    for case, account in cases:
        latest = by_thread.get((case.account_id, case.thread_key))
        message, count = latest if latest is not None else (None, 0)
        sensitive = message is not None and actions.get(message.id, "none") in sensitive_actions
        hidden = message is not None and message.hidden
        rows.append(InboxRow(
            case=case, account=account, latest_author=message.author_name or message.author_handle if message else "",
            latest_text=None if message is None or hidden or sensitive else message.text[:280],
            latest_hidden=hidden, latest_sensitive=sensitive, latest_at=message.sent_at if message else None,
            messages=count, categories=categories.get((case.account_id, case.thread_key), []),
            assignee=assignees.get(case.assignee_id, "") if case.assignee_id else ""))
    return rows


