"""What the API returns. Network credentials, password hashes, second-factor
secrets and token secrets have no field here, so they cannot leak by accident."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class OrganisationOut(Out):
    id: uuid.UUID
    slug: str
    name: str
    mfa_required: bool
    locked_down: bool
    lockdown_reason: str | None
    election_period: bool


class TeamOut(Out):
    id: uuid.UUID
    name: str
    created_at: datetime


class RoleOut(BaseModel):
    team_id: uuid.UUID
    role: str


class MemberOut(Out):
    id: uuid.UUID
    email: str
    display_name: str
    status: str
    mfa_enabled: bool
    single_sign_on_only: bool
    roles: list[RoleOut]
    created_at: datetime
    removed_at: datetime | None


class AccountOut(Out):
    id: uuid.UUID
    team_id: uuid.UUID
    network: str
    handle: str
    display_name: str
    account_type: str
    health: str
    health_detail: str
    has_credentials: bool
    created_at: datetime


class DecisionOut(Out):
    id: uuid.UUID
    direction: str
    account_type: str
    action: str
    categories: list[str]
    reasons: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    scores: dict[str, float]
    policy_revision: str
    detector_versions: dict[str, str]
    created_at: datetime


class ApprovalOut(Out):
    approver_id: uuid.UUID
    verdict: str
    reason: str
    draft_version: int
    created_at: datetime


class DraftSummary(Out):
    id: uuid.UUID
    team_id: uuid.UUID
    author_id: uuid.UUID
    account_ids: list[uuid.UUID]
    text: str
    state: str
    version: int
    decision_action: str | None
    acknowledged_at: datetime | None
    scheduled_for: datetime | None
    created_at: datetime
    updated_at: datetime


class DraftOut(DraftSummary):
    decision: DecisionOut | None
    approvals: list[ApprovalOut]


class AuditEntryOut(BaseModel):
    seq: int
    occurred_at: str
    action: str
    actor: dict[str, Any]
    object: dict[str, Any]
    justification: str | None
    details: dict[str, Any]
    policy_revision: str | None
    entry_hash: str


class CheckOut(BaseModel):
    direction: str
    action: str
    categories: list[str]
    reasons: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    scores: dict[str, float]
    policy: str
    policy_revision: str
    detector_versions: dict[str, str]


class Created(BaseModel):
    id: uuid.UUID


class CaseSummary(Out):
    id: uuid.UUID
    account_id: uuid.UUID
    team_id: uuid.UUID
    thread_key: str
    state: str
    severity: int
    assignee_id: uuid.UUID | None
    sla_due_at: datetime | None
    version: int
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class MessageOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    network_id: str
    thread_key: str
    kind: str
    author_handle: str
    author_name: str
    text: str | None
    text_withheld: bool
    in_reply_to: str | None
    sent_at: datetime
    received_at: datetime
    hidden: bool
    decision: DecisionOut | None


class CaseOut(CaseSummary):
    messages: list[MessageOut]
    available_actions: list[str]


class ReceivedOut(BaseModel):
    message_id: uuid.UUID
    case_id: uuid.UUID
    decision: str
    duplicate: bool
