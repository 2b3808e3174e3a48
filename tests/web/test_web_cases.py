"""The inbound cases API: submitting messages, the queue, a case's messages and
offered actions, hidden text and its audited consultation, versions and lockdown."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from web_org import Client, Tenant, Web

from warden.storage.tables import AuditEntryRow, FindingVerdict

pytestmark = pytest.mark.db
API = "/api/v1"
THREAT = "I know where you live and I will kill you"
CALM = "My car was stolen, how do I report it?"


def submit(admin: Client, tenant: Tenant, network_id: str, text: str, thread: str = "t-1",
           sent_at: datetime | None = None) -> httpx.Response:
    return admin.post(f"{API}/accounts/{tenant.corporate}/messages", json={
        "network_id": network_id, "thread_key": thread, "kind": "reply", "author_handle": "@someone",
        "author_name": "Some One", "text": text, "sent_at": (sent_at or datetime.now(UTC)).isoformat()})


def received(admin: Client, tenant: Tenant, network_id: str, text: str, thread: str = "t-1",
             sent_at: datetime | None = None) -> dict[str, Any]:
    response = submit(admin, tenant, network_id, text, thread, sent_at)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]  # type: ignore[no-any-return]


def test_submitting_a_message_is_idempotent_and_needs_account_administration(web: Web, north: Tenant,
                                                                             south: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    first = received(admin, north, "n1", THREAT)
    assert first["decision"] == "escalate_urgent" and first["duplicate"] is False
    again = submit(admin, north, "n1", THREAT)
    assert again.status_code == 200
    assert again.json() == {**first, "duplicate": True}
    assert received(admin, north, "n2", CALM)["case_id"] == first["case_id"]  # one case per thread
    key = {"Idempotency-Key": "inbound-n6"}
    body = {"network_id": "n6", "thread_key": "t-2", "kind": "dm", "author_handle": "@x", "text": CALM,
            "sent_at": datetime.now(UTC).isoformat()}
    made = admin.post(f"{API}/accounts/{north.corporate}/messages", json=body, headers=key)
    replayed = admin.post(f"{API}/accounts/{north.corporate}/messages", json=body, headers=key)
    assert made.status_code == replayed.status_code == 201 and replayed.json() == made.json()
    assert replayed.headers["idempotency-replayed"] == "true"
    with north.sessions() as session:
        actors = session.execute(select(AuditEntryRow.body).where(
            AuditEntryRow.organisation_id == north.id, AuditEntryRow.action == "message.received")).scalars().all()
    assert len(actors) == 3 and all('"kind":"system"' in body.replace(" ", "") for body in actors)
    for role in ("moderator", "auditor", "publisher"):
        refused = submit(web.signed_in(north, role), north, "n3", CALM)
        assert refused.status_code == 403 and code(refused) == "forbidden"
    assert submit(web.signed_in(south, "admin"), north, "n4", CALM).status_code == 404
    bad = admin.post(f"{API}/accounts/{north.corporate}/messages", json={
        "network_id": "n5", "thread_key": "t", "kind": "carrier pigeon", "author_handle": "@x", "text": "hi",
        "sent_at": datetime.now(UTC).isoformat()})
    assert bad.status_code == 422


def test_hidden_text_is_withheld_and_looking_at_it_is_audited(web: Web, north: Tenant) -> None:
    admin, moderator, auditor = (web.signed_in(north, r) for r in ("admin", "moderator", "auditor"))
    got = received(admin, north, "n1", "That officer lives at 14 Acacia Avenue, go and pay him a visit")
    case = moderator.get(f"{API}/cases/{got['case_id']}").json()
    [message] = case["messages"]
    assert message["text"].startswith("That officer") and not message["text_withheld"]
    assert message["decision"]["reasons"] and message["decision"]["findings"]
    hidden = moderator.post(f"{API}/cases/{got['case_id']}/actions", json={
        "action": "hide", "expected_version": case["version"], "message_id": got["message_id"]})
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["state"] == "actioned"
    for reader in (moderator, auditor):
        [shown] = reader.get(f"{API}/cases/{got['case_id']}").json()["messages"]
        assert shown["hidden"] and shown["text_withheld"] and shown["text"] is None
        assert shown["decision"]["findings"]  # the reasons stay visible
        quoted = json.dumps(shown)  # ... but not the words they matched
        assert "Acacia" not in quoted and "visit" not in quoted.replace("viewed", "")

    def views() -> list[str]:
        with north.sessions() as session:
            return list(session.execute(select(AuditEntryRow.actor_id).where(
                AuditEntryRow.organisation_id == north.id, AuditEntryRow.action == "message.viewed_hidden")
                .order_by(AuditEntryRow.seq)).scalars())

    assert views() == []
    revealed = auditor.get(f"{API}/messages/{got['message_id']}")
    assert revealed.status_code == 200 and revealed.json()["text"].startswith("That officer")
    assert views() == [str(north.member_ids["auditor"])]
    assert web.signed_in(north, "publisher").get(f"{API}/messages/{got['message_id']}").status_code == 403
    assert views() == [str(north.member_ids["auditor"])]


def test_available_actions_depend_on_role_state_and_lockdown(web: Web, north: Tenant) -> None:
    admin, moderator = web.signed_in(north, "admin"), web.signed_in(north, "moderator")
    got = received(admin, north, "n1", THREAT)
    offered = moderator.get(f"{API}/cases/{got['case_id']}").json()["available_actions"]
    assert {"assign", "hide", "escalate", "close"} <= set(offered) and "reopen" not in offered
    for role in ("auditor", "admin"):
        assert web.signed_in(north, role).get(f"{API}/cases/{got['case_id']}").json()["available_actions"] == []
    assert admin.post(f"{API}/lockdown", json={"reason": "Credential leak"}).status_code < 300
    locked = moderator.get(f"{API}/cases/{got['case_id']}").json()["available_actions"]
    assert "hide" not in locked and "reply" not in locked and "escalate" in locked
    assert admin.delete(f"{API}/lockdown", json={"reason": "Resolved"}).status_code < 300
    version = moderator.get(f"{API}/cases/{got['case_id']}").json()["version"]
    closed = moderator.post(f"{API}/cases/{got['case_id']}/close", json={"expected_version": version})
    assert closed.status_code == 200 and closed.json()["available_actions"] == ["reopen"]
    reopened = moderator.post(f"{API}/cases/{got['case_id']}/reopen", json={
        "expected_version": closed.json()["version"], "reason": "The author wrote again"})
    assert reopened.status_code == 200 and reopened.json()["state"] == "new"


def test_stale_version_and_lockdown_are_refused(web: Web, north: Tenant) -> None:
    admin, moderator = web.signed_in(north, "admin"), web.signed_in(north, "moderator")
    got = received(admin, north, "n1", "CLICK HERE for free money, guaranteed returns")
    version = moderator.get(f"{API}/cases/{got['case_id']}").json()["version"]
    assigned = moderator.post(f"{API}/cases/{got['case_id']}/assign", json={
        "assignee_id": str(north.member_ids["moderator"]), "expected_version": version})
    assert assigned.status_code == 200 and assigned.json()["state"] == "assigned"
    assert assigned.json()["assignee_id"] == str(north.member_ids["moderator"])
    stale = moderator.post(f"{API}/cases/{got['case_id']}/actions", json={
        "action": "escalate", "expected_version": version})
    assert stale.status_code == 409 and code(stale) == "stale_version"
    not_a_moderator = moderator.post(f"{API}/cases/{got['case_id']}/assign", json={
        "assignee_id": str(north.member_ids["publisher"]), "expected_version": assigned.json()["version"]})
    assert not_a_moderator.status_code == 422
    assert admin.post(f"{API}/lockdown", json={"reason": "Credential leak"}).status_code < 300
    current = assigned.json()["version"]
    refused = moderator.post(f"{API}/cases/{got['case_id']}/actions", json={
        "action": "hide", "expected_version": current, "message_id": got["message_id"]})
    assert refused.status_code == 423 and code(refused) == "locked_down"
    escalated = moderator.post(f"{API}/cases/{got['case_id']}/actions", json={
        "action": "escalate", "expected_version": current})
    assert escalated.status_code == 200, escalated.text
    needs_reason = moderator.post(f"{API}/cases/{got['case_id']}/actions", json={
        "action": "mark_lawful", "expected_version": escalated.json()["version"]})
    assert needs_reason.status_code == 422 and code(needs_reason) == "reason_required"


def test_queue_order_filters_and_pages(web: Web, north: Tenant, south: Tenant) -> None:
    admin, moderator = web.signed_in(north, "admin"), web.signed_in(north, "moderator")
    calm = received(admin, north, "n1", "Thanks for the update", thread="calm")
    web.clock.advance(minutes=1)
    urgent = received(admin, north, "n2", THREAT, thread="urgent")
    web.clock.advance(minutes=1)
    later_calm = received(admin, north, "n3", "Thanks for the update", thread="later")
    listed = moderator.get(f"{API}/cases").json()["items"]
    assert [c["id"] for c in listed] == [urgent["case_id"], later_calm["case_id"], calm["case_id"]]
    assert listed[0]["severity"] == 4 and listed[1]["severity"] == listed[2]["severity"] < 4
    first = moderator.get(f"{API}/cases", params={"limit": 2}).json()
    second = moderator.get(f"{API}/cases", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [c["id"] for c in first["items"] + second["items"]] == [c["id"] for c in listed]
    assert second["next_cursor"] is None
    severe = moderator.get(f"{API}/cases", params={"severity_min": 3}).json()["items"]
    assert [c["id"] for c in severe] == [urgent["case_id"]]
    assert moderator.get(f"{API}/cases", params={"state": "closed"}).json()["items"] == []
    assert moderator.get(f"{API}/cases", params={"account_id": str(north.personal)}).json()["items"] == []
    assert moderator.get(f"{API}/cases", params={"assignee_id": str(uuid.uuid4())}).json()["items"] == []
    assert web.signed_in(north, "publisher").get(f"{API}/cases").status_code == 403
    assert web.signed_in(south, "moderator").get(f"{API}/cases").json()["items"] == []
    assert web.signed_in(south, "moderator").get(f"{API}/cases/{urgent['case_id']}").status_code == 404


def test_messages_in_order_and_verdicts(web: Web, north: Tenant) -> None:
    admin, moderator = web.signed_in(north, "admin"), web.signed_in(north, "moderator")
    now = datetime.now(UTC)
    second = received(admin, north, "n2", "and another thing", sent_at=now)
    first = received(admin, north, "n1", THREAT, sent_at=now - timedelta(minutes=5))
    case = moderator.get(f"{API}/cases/{first['case_id']}").json()
    assert [m["id"] for m in case["messages"]] == [first["message_id"], second["message_id"]]
    path = f"{API}/messages/{first['message_id']}/findings/0/verdict"
    assert moderator.post(path, json={"agree": True}).status_code == 204
    assert moderator.post(path, json={"agree": False}).status_code == 204
    with north.sessions() as session:
        [row] = session.execute(select(FindingVerdict)).scalars().all()
        assert row.agree is False
    assert moderator.post(f"{API}/messages/{first['message_id']}/findings/999/verdict",
                          json={"agree": True}).status_code == 422
    assert web.signed_in(north, "auditor").post(path, json={"agree": True}).status_code == 403
