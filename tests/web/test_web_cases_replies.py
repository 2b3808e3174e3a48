"""Replies from a case through the API: POST /cases/{id}/replies answers the reply's draft with its
decision; the approvals workflow, lockdown, DMs, tenancy and roles apply."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from web_org import Client, Tenant, Web

from warden.storage.tables import AuditEntryRow
from warden.storage.work_tables import OutboxPost

pytestmark = pytest.mark.db
API = "/api/v1"
QUESTION = "When is the next neighbourhood meeting in Selby?"
CLEAN = "Thank you for letting us know. Our team will look into it today."
RISKY = "Thanks for the feedback, you muppet."


def received(admin: Client, tenant: Tenant, network_id: str, text: str = QUESTION, kind: str = "reply",
             thread: str = "t-1") -> dict[str, Any]:
    response = admin.post(f"{API}/accounts/{tenant.corporate}/messages", json={
        "network_id": network_id, "thread_key": thread, "kind": kind, "author_handle": "@someone",
        "text": text, "sent_at": datetime.now(UTC).isoformat()})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def answer(client: Client, got: dict[str, Any], text: str, **extra: Any) -> httpx.Response:
    version = client.get(f"{API}/cases/{got['case_id']}").json()["version"]
    return client.post(f"{API}/cases/{got['case_id']}/replies", json={
        "message_id": got["message_id"], "text": text, "expected_version": version, **extra})


def code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]  # type: ignore[no-any-return]


def test_an_allowed_reply_is_answered_scheduled_with_its_decision(web: Web, north: Tenant) -> None:
    admin, moderator = web.signed_in(north, "admin"), web.signed_in(north, "moderator")
    got = received(admin, north, "n1")
    response = answer(moderator, got, CLEAN)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["state"], body["in_reply_to"], body["message_id"], body["case_id"]) == (
        "scheduled", "n1", got["message_id"], got["case_id"])
    assert body["decision"]["action"] == "allow" and body["decision"]["direction"] == "outbound"
    assert body["account_ids"] == [str(north.corporate)] and body["text"] == CLEAN
    case = moderator.get(f"{API}/cases/{got['case_id']}").json()
    assert case["state"] == "actioned"
    [listed] = moderator.get(f"{API}/cases/{got['case_id']}/replies").json()
    assert (listed["draft_id"], listed["state"], listed["in_reply_to"]) == (body["id"], "scheduled", "n1")
    with north.sessions() as session:
        post = session.execute(select(OutboxPost)).scalar_one()
        assert (str(post.draft_id), post.in_reply_to) == (body["id"], "n1")
        replied = session.execute(select(AuditEntryRow.body).where(
            AuditEntryRow.organisation_id == north.id, AuditEntryRow.action == "case.replied")).scalar_one()
    assert json.loads(replied)["details"]["draft"] == body["id"]
    stale = moderator.post(f"{API}/cases/{got['case_id']}/replies", json={
        "message_id": got["message_id"], "text": CLEAN, "expected_version": 1})
    assert stale.status_code == 409 and code(stale) == "stale_version"


def test_a_risky_reply_is_held_with_its_reasons_until_another_approves(web: Web, north: Tenant) -> None:
    admin, moderator = web.signed_in(north, "admin"), web.signed_in(north, "moderator")
    got = received(admin, north, "n1")
    body = answer(moderator, got, RISKY).json()
    assert body["state"] == "held" and body["decision"]["action"] == "hold"
    assert body["decision"]["reasons"][0]["title"] == "Abuse, insults or bullying"
    assert body["decision"]["reasons"][0]["evidence"][0]["text"] == "muppet"
    approver = web.signed_in(north, "approver2")
    queue = approver.get(f"{API}/drafts", params={"state": "held"}).json()["items"]
    assert [d["id"] for d in queue] == [body["id"]]
    with north.sessions() as session:
        assert session.execute(select(OutboxPost)).first() is None
    approved = approver.post(f"{API}/drafts/{body['id']}/approve", json={"expected_version": body["version"]})
    assert approved.status_code == 200 and approved.json()["state"] == "scheduled"
    with north.sessions() as session:
        assert session.execute(select(OutboxPost.in_reply_to)).scalar_one() == "n1"


def test_warnings_are_acknowledged_in_the_request(web: Web, north: Tenant) -> None:
    admin, moderator = web.signed_in(north, "admin"), web.signed_in(north, "moderator")
    response = admin.post(f"{API}/accounts/{north.personal}/messages", json={
        "network_id": "p1", "thread_key": "p", "kind": "comment", "author_handle": "@someone", "text": QUESTION,
        "sent_at": datetime.now(UTC).isoformat()})
    got = response.json()
    warned = answer(moderator, got, "Off my face after shift last night").json()
    assert warned["state"] == "warned"
    sent = answer(moderator, got, "Off my face after shift last night", acknowledge_warnings=True).json()
    assert sent["state"] == "scheduled" and sent["acknowledged_at"] is not None


def test_refusals(web: Web, north: Tenant, south: Tenant) -> None:
    admin, moderator = web.signed_in(north, "admin"), web.signed_in(north, "moderator")
    got = received(admin, north, "n1")
    for role in ("publisher", "contributor", "approver"):
        refused = web.signed_in(north, role).post(f"{API}/cases/{got['case_id']}/replies", json={
            "message_id": got["message_id"], "text": CLEAN, "expected_version": 1})
        assert refused.status_code == 403, role
    auditor = web.signed_in(north, "auditor")
    assert auditor.get(f"{API}/cases/{got['case_id']}/replies").json() == []
    assert web.signed_in(south, "moderator").post(f"{API}/cases/{got['case_id']}/replies", json={
        "message_id": got["message_id"], "text": CLEAN, "expected_version": 1}).status_code == 404
    assert web.signed_in(south, "moderator").get(f"{API}/cases/{got['case_id']}/replies").status_code == 404
    dm = received(admin, north, "d1", "Can you help me privately?", kind="dm", thread="dm-1")
    refused = answer(moderator, dm, CLEAN)
    assert refused.status_code == 409 and "direct message" in refused.json()["error"]["message"]
    empty = answer(moderator, got, "")
    assert empty.status_code == 422
    old = moderator.post(f"{API}/cases/{got['case_id']}/actions", json={
        "action": "reply", "message_id": got["message_id"], "expected_version": 1})
    assert old.status_code == 422
    assert admin.post(f"{API}/lockdown", json={"reason": "Credential leak"}).status_code < 300
    locked = answer(moderator, got, CLEAN)
    assert locked.status_code == 423 and code(locked) == "locked_down"
    assert moderator.get(f"{API}/cases/{got['case_id']}/replies").json() == []
