"""The stored domain. Every row that belongs to an organisation carries
``organisation_id``, and every query filters on it (tenant isolation)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from warden.storage.types import JSONDoc, UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONDoc, list[Any]: JSONDoc}


def _id() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


def _org() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)


def _created() -> Mapped[datetime]:
    return mapped_column(default=utcnow)


# --------------------------------------------------------------- organisation

class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[uuid.UUID] = _id()
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    mfa_required: Mapped[bool] = mapped_column(Boolean, default=False)
    locked_down: Mapped[bool] = mapped_column(Boolean, default=False)
    lockdown_reason: Mapped[str | None] = mapped_column(Text)
    election_period: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = _created()


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = _created()


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("organisation_id", "email"),)
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))  # None: single sign-on only
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    sso_subject: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | removed
    created_at: Mapped[datetime] = _created()
    removed_at: Mapped[datetime | None] = mapped_column()


class Membership(Base):
    """A role held by a member in a team; a member may hold several."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("member_id", "team_id", "role"),)
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), index=True)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(128))
    used_at: Mapped[datetime | None] = mapped_column()


class Session(Base):
    """A browser session; ``id`` is the hash of the cookie value, never the value."""

    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = _org()
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), index=True)
    created_at: Mapped[datetime] = _created()
    last_seen_at: Mapped[datetime] = _created()
    authenticated_at: Mapped[datetime] = _created()
    mfa_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    csrf_secret: Mapped[str] = mapped_column(String(128))
    user_agent: Mapped[str] = mapped_column(String(400), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    method: Mapped[str] = mapped_column(String(16), default="password", server_default="password")  # | oidc


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    scopes: Mapped[list[Any]] = mapped_column()
    created_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()


class OidcProviderRow(Base):
    """An organisation's single sign-on provider (OpenID Connect); at most one per organisation."""

    __tablename__ = "oidc_providers"
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"),
                                                       primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted, bound to the organisation
    allowed_email_domains: Mapped[list[Any]] = mapped_column()
    unknown_identities: Mapped[str] = mapped_column(String(16))  # link_by_email | refuse
    subject_claim: Mapped[str] = mapped_column(String(64), default="sub")
    email_claim: Mapped[str] = mapped_column(String(64), default="email")
    email_verified_claim: Mapped[str] = mapped_column(String(64), default="email_verified")
    updated_at: Mapped[datetime] = _created()


class MemberIdentity(Base):
    """A member's account at a single sign-on provider: (issuer, subject), never the e-mail address."""

    __tablename__ = "member_identities"
    __table_args__ = (UniqueConstraint("organisation_id", "issuer", "subject"), UniqueConstraint("member_id", "issuer"))
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))  # as the provider said at linking, for people
    linked_at: Mapped[datetime] = _created()
    last_sign_in_at: Mapped[datetime | None] = mapped_column()


class OidcLoginState(Base):
    """A single sign-on in progress: server-side (it holds the PKCE verifier), short-lived, used once.
    ``id`` is the SHA-256 of the ``state`` parameter; ``browser_hash`` binds it to the browser that
    started it; ``session_id`` names the session for a step-up or a linking; ``address_hash`` (the
    SHA-256 of the client's address group) bounds the sign-ins one network may have pending."""

    __tablename__ = "oidc_login_states"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = _org()
    purpose: Mapped[str] = mapped_column(String(16))  # sign_in | reauth | link
    session_id: Mapped[str | None] = mapped_column(String(128))
    browser_hash: Mapped[str] = mapped_column(String(64))
    address_hash: Mapped[str | None] = mapped_column(String(64), index=True)  # None: started before 0008
    login: Mapped[bytes] = mapped_column(LargeBinary)  # LoginState, encrypted
    return_to: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ThrottleCounter(Base):
    """Login throttling counters shared by every process (``auth.throttle_sql``); keys are hashed."""

    __tablename__ = "throttle_counters"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column()
    blocked_until: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SocialAccount(Base):
    __tablename__ = "social_accounts"
    __table_args__ = (UniqueConstraint("organisation_id", "network", "handle"),)
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)
    network: Mapped[str] = mapped_column(String(32))
    handle: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    account_type: Mapped[str] = mapped_column(String(32))  # corporate | neighbourhood | personal_officer
    health: Mapped[str] = mapped_column(String(32), default="disconnected")
    health_detail: Mapped[str] = mapped_column(Text, default="")
    credentials: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted, bound to this row's id
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _created()


# ---------------------------------------------------------------------- policy

class PolicyPackRow(Base):
    __tablename__ = "policy_packs"
    __table_args__ = (UniqueConstraint("organisation_id", "revision"),)
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    revision: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)  # the YAML as written
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = _created()


class RegisterEntry(Base):
    __tablename__ = "register_entries"
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    kind: Mapped[str] = mapped_column(String(32))  # active_proceedings | anonymity | operations
    value: Mapped[str] = mapped_column(String(400))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = _created()
    removed_at: Mapped[datetime | None] = mapped_column()


# ---------------------------------------------------------------- risk records

class DecisionRow(Base):
    """A stored Decision: the UI's "why" is a read of this, never a re-run."""

    __tablename__ = "decisions"
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    subject_kind: Mapped[str] = mapped_column(String(16))  # draft | message
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    direction: Mapped[str] = mapped_column(String(16))
    account_type: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    categories: Mapped[list[Any]] = mapped_column()
    reasons: Mapped[list[Any]] = mapped_column()
    findings: Mapped[list[Any]] = mapped_column()
    scores: Mapped[dict[str, Any]] = mapped_column()
    policy_revision: Mapped[str] = mapped_column(String(64))
    detector_versions: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = _created()


class Draft(Base):
    __tablename__ = "drafts"
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), index=True)
    account_ids: Mapped[list[Any]] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(24), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic locking
    decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("decisions.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    scheduled_for: Mapped[datetime | None] = mapped_column()
    #: A reply from a case (``workflow.case_replies.reply``): the inbound message it answers, and that message's
    #: network id, published as the post's ``in_reply_to``. Both None for an ordinary post.
    reply_to_message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id"), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()

    __mapper_args__ = {"version_id_col": version}


#: Drafts newest first (GET /drafts).
Index("ix_drafts_newest", Draft.organisation_id, Draft.created_at, Draft.id)


class Approval(Base):
    __tablename__ = "approvals"
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    draft_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("drafts.id"), index=True)
    draft_version: Mapped[int] = mapped_column(Integer)
    approver_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"))
    verdict: Mapped[str] = mapped_column(String(24))  # approved | rejected | changes_requested | override
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _created()


class DraftMedia(Base):
    """An image attached to a draft, as stored after cleaning (``workflow.image_uploads``): decoded and
    re-encoded without its metadata, its type known from its content. ``data`` is loaded only when asked."""

    __tablename__ = "draft_media"
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    draft_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("drafts.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1.. in the order the network shows them
    filename: Mapped[str] = mapped_column(String(200))  # as sent, cleaned and bounded: hostile text
    content_type: Mapped[str] = mapped_column(String(32))
    byte_size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    alt_text: Mapped[str] = mapped_column(Text)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    added_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = _created()


class Message(Base):
    """An inbound item from a network, one normalised shape for every network."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("account_id", "network_id"),)
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("social_accounts.id"), index=True)
    network_id: Mapped[str] = mapped_column(String(200))
    thread_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # reply | mention | comment | dm
    author_handle: Mapped[str] = mapped_column(String(200))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = _created()
    decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("decisions.id"))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)


#: A case's messages are its thread's: GET /cases/{id} finds them by account and thread.
Index("ix_messages_thread", Message.organisation_id, Message.account_id, Message.thread_key, Message.sent_at)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("organisation_id", "account_id", "thread_key"),
        Index("ix_cases_queue", "organisation_id", "state", "severity", "opened_at"),
    )
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("social_accounts.id"))
    thread_key: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))  # new | assigned | actioned | closed
    severity: Mapped[int] = mapped_column(Integer, default=0)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"))
    sla_due_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)
    opened_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()
    closed_at: Mapped[datetime | None] = mapped_column()

    __mapper_args__ = {"version_id_col": version}


#: The queue, most urgent first (severity, then newest, then id), for the organisation and for one account.
Index("ix_cases_urgency", Case.organisation_id, Case.severity, Case.opened_at, Case.id)
Index("ix_cases_account_urgency", Case.account_id, Case.severity, Case.opened_at, Case.id)


class FindingVerdict(Base):
    """A reviewer's agree/disagree on one finding: the measure of detector precision."""

    __tablename__ = "finding_verdicts"
    __table_args__ = (UniqueConstraint("decision_id", "finding_index", "reviewer_id"),)
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    decision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("decisions.id"), index=True)
    finding_index: Mapped[int] = mapped_column(Integer)
    reviewer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"))
    agree: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = _created()


class Alert(Base):
    __tablename__ = "alerts"
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = _org()
    kind: Mapped[str] = mapped_column(String(48))
    severity: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(400))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _created()
    acknowledged_at: Mapped[datetime | None] = mapped_column()


# ----------------------------------------------------------------------- audit

class AuditEntryRow(Base):
    """Append-only. ``body`` is the entry exactly as hashed (JSON text, never
    re-encoded by the database); the other columns are copies for searching,
    and verification checks that they agree with the body."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_search", "organisation_id", "occurred_at"),)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column()
    action: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)


class AuditCheckpointRow(Base):
    """A signed tree head; also exported outside the database (the copy that counts)."""

    __tablename__ = "audit_checkpoints"
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    tree_size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    body: Mapped[str] = mapped_column(Text)  # Checkpoint.to_json()
    created_at: Mapped[datetime] = _created()


# ----------------------------------------------------------------- idempotency

class IdempotencyKey(Base):
    """The stored answer to a POST, replayed when the same key comes again."""

    __tablename__ = "idempotency_keys"
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    principal: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = _created()


# The pipeline's work tables live in their own module; importing it here puts
# them on Base.metadata wherever the schema is used (migrations, grants).
from warden.storage import work_tables as _work_tables  # noqa: E402, F401
