"""The API's contract: idempotency, error shapes, security headers, body limits,
pagination, the draft flow, accounts without credentials, audited audit reads."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from web_org import BLOCKED, CLEAN, PASSWORD, RISKY, Tenant, Web

from warden.audit import Verifier, load_entries, verify_chain
from warden.storage.tables import AuditEntryRow, DecisionRow, IdempotencyKey, SocialAccount, Team
from warden.web import queries
from warden.web.middleware import CSP

pytestmark = pytest.mark.db
API = "/api/v1"


def error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    return body["error"]  # type: ignore[no-any-return]


def count(tenant: Tenant, model: Any) -> int:
    with tenant.sessions() as session:
        return session.execute(select(func.count()).select_from(model)
                               .where(model.organisation_id == tenant.id)).scalar_one()


def test_idempotency_key_replays_and_refuses_reuse(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    key = {"Idempotency-Key": "create-roads-team-1"}
    teams = count(north, Team)
    first = admin.post(f"{API}/teams", json={"name": "Roads"}, headers=key)
    again = admin.post(f"{API}/teams", json={"name": "Roads"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotency-replayed"] == "true"
    assert count(north, Team) == teams + 1
    reused = admin.post(f"{API}/teams", json={"name": "Rural"}, headers=key)
    assert reused.status_code == 422 and error(reused)["code"] == "idempotency_key_reused"
    other_admin_key = web.signed_in(north, "admin")  # the same member in another session: the same principal
    assert other_admin_key.post(f"{API}/teams", json={"name": "Roads"}, headers=key).json() == first.json()
    assert error(admin.post(f"{API}/teams", json={"name": "X"}, headers={"Idempotency-Key": "bad key"})
                 )["code"] == "invalid_input"
    web.clock.advance(hours=25)  # keys are kept for a day
    admin = web.signed_in(north, "admin")
    assert admin.post(f"{API}/teams", json={"name": "Rural"}, headers=key).status_code == 201


def test_secrets_shown_once_are_never_kept_for_replays(web: Web, north: Tenant) -> None:
    owner = web.signed_in(north, "publisher")
    key = {"Idempotency-Key": "token-1"}
    made = owner.post(f"{API}/tokens", json={"name": "CI", "scopes": ["drafts:read"]}, headers=key)
    replay = owner.post(f"{API}/tokens", json={"name": "CI", "scopes": ["drafts:read"]}, headers=key)
    assert made.json()["token"].startswith("wdn_") and replay.json()["token"] is None
    assert replay.json()["id"] == made.json()["id"] and replay.headers["idempotency-redacted"] == "token"
    enrolled = owner.post(f"{API}/auth/mfa/enrol", headers={"Idempotency-Key": "enrol-1"}).json()
    with north.sessions() as session:
        kept = " ".join(json.dumps(r.response) for r in session.execute(select(IdempotencyKey)).scalars())
    for secret in (made.json()["token"], enrolled["secret"], enrolled["enrolment"]):
        assert secret not in kept
    assert len(owner.get(f"{API}/tokens").json()) == 1


def test_idempotent_workflow_action_is_not_run_twice(web: Web, north: Tenant) -> None:
    draft_id = north.draft("contributor", RISKY)
    approver = web.signed_in(north, "approver2")
    body, key = {"expected_version": 2}, {"Idempotency-Key": "approve-7"}
    first = approver.post(f"{API}/drafts/{draft_id}/approve", json=body, headers=key)
    assert first.status_code == 200 and first.json()["state"] == "approved"
    again = approver.post(f"{API}/drafts/{draft_id}/approve", json=body, headers=key)
    assert again.status_code == 200 and again.json() == first.json()  # replayed, not a 409
    without = approver.post(f"{API}/drafts/{draft_id}/approve", json=body)
    assert without.status_code == 409 and error(without)["code"] == "stale_version"
    # An error answer is kept too: the same request gets the same answer.
    stale = approver.post(f"{API}/drafts/{draft_id}/approve", json=body, headers={"Idempotency-Key": "approve-8"})
    assert approver.post(f"{API}/drafts/{draft_id}/approve", json=body,
                         headers={"Idempotency-Key": "approve-8"}).json() == stale.json()


def test_error_shapes(web: Web, north: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = web.signed_in(north, "admin")
    assert error(admin.get(f"{API}/no-such-thing"))["code"] == "not_found"
    assert error(admin.request("PUT", f"{API}/teams", json={}))["code"] == "method_not_allowed"
    invalid = admin.post(f"{API}/members", json={"email": "x@example.org", "display_name": "X",
                                                  "password": "hunter2-secret-value", "roles": [{"role": "czar"}]})
    assert invalid.status_code == 422 and error(invalid)["code"] == "validation"
    assert "hunter2" not in invalid.text and "input" not in invalid.text
    assert {tuple(d["loc"]) for d in error(invalid)["details"]} >= {("body", "roles", "0", "team_id")}
    weak = admin.post(f"{API}/members", json={"email": "x@example.org", "display_name": "X", "password": "password1"})
    assert weak.status_code == 422 and error(weak)["code"] == "weak_password" and error(weak)["details"]["reasons"]
    broken = admin.request("POST", f"{API}/teams", content=b"{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 422 and error(broken)["code"] == "validation"
    assert error(admin.get(f"{API}/drafts/not-a-uuid"))["code"] == "validation"
    assert error(admin.get(f"{API}/teams", params={"limit": 201}))["code"] == "validation"
    assert admin.post(f"{API}/lockdown", json={"reason": "Credential leak"}).json()["locked_down"] is True
    locked = web.signed_in(north, "publisher").post(
        f"{API}/drafts/{north.draft('publisher', CLEAN)}/schedule",
        json={"expected_version": 2, "scheduled_for": (datetime.now(UTC) + timedelta(hours=1)).isoformat()})
    assert locked.status_code == 423 and error(locked)["code"] == "locked_down"
    again = admin.post(f"{API}/lockdown", json={"reason": "Credential leak"})
    assert again.status_code == 409 and error(again)["code"] == "invalid_state"

    def explode(*_args: Any) -> None:
        raise RuntimeError("secret internals at /srv/warden/db.py line 42")

    monkeypatch.setattr(queries, "organisation_view", explode)
    crashed = admin.get(f"{API}/organisations/me")
    assert crashed.status_code == 500 and error(crashed)["code"] == "internal_error"
    assert "secret internals" not in crashed.text and "Traceback" not in crashed.text
    assert crashed.headers["content-security-policy"] == CSP


def test_security_headers_everywhere(web: Web, north: Tenant) -> None:
    client = web.client()
    for response in (client.get(f"{API}/openapi.json"), client.get(f"{API}/teams"), client.login(north, "admin")):
        headers = response.headers
        assert headers["content-security-policy"] == CSP and "unsafe-inline" not in CSP
        assert "default-src 'self'" in CSP and "frame-ancestors 'none'" in CSP
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer" and headers["cache-control"] == "no-store"
        assert headers["strict-transport-security"].startswith("max-age=")
    plain = httpx.AsyncClient(transport=httpx.ASGITransport(app=web.app), base_url="http://testserver")
    try:
        response = web.run(plain.get(f"{API}/openapi.json"))
        assert "strict-transport-security" not in response.headers  # HSTS only over https
        assert response.headers["x-content-type-options"] == "nosniff"
    finally:
        web.run(plain.aclose())


def test_oversize_bodies_are_refused(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    big = json.dumps({"text": "x" * (1_048_576 + 10)})
    response = admin.post(f"{API}/check", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and error(response)["code"] == "payload_too_large"
    assert response.headers["content-security-policy"] == CSP

    async def chunks() -> Any:  # no Content-Length: counted as it arrives
        for _ in range(20):
            yield b"x" * 65_536

    streamed = admin.post(f"{API}/check", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413 and error(streamed)["code"] == "payload_too_large"
    lying = admin.post(f"{API}/check", content=b"{}", headers={"Content-Type": "application/json",
                                                                "Content-Length": "abc"})
    assert lying.status_code in (400, 422)


def test_text_no_database_can_store_is_refused(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    for body in (b'{"name": "Ro\\u0000ads"}', b'{"name": "\\ud800"}', b'{"x": {"\\u0000": 1}, "name": "a"}'):
        refused = admin.post(f"{API}/teams", content=body, headers={"Content-Type": "application/json"})
        assert refused.status_code == 422 and error(refused)["code"] == "invalid_input", body
    assert admin.post(f"{API}/teams", content=b'{"name": "back\\\\u0000slash"}',
                      headers={"Content-Type": "application/json"}).status_code == 201  # an escaped backslash
    assert error(admin.get(f"{API}/audit", params={"action": "a\x00b"}))["code"] == "invalid_input"
    assert error(admin.delete(f"{API}/auth/sessions/ab%00cd"))["code"] == "invalid_input"


def test_pagination_walks_every_item_once(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    for n in range(7):
        admin.post(f"{API}/teams", json={"name": f"Team {n}"})
    seen, cursor, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = admin.get(f"{API}/teams", params=params).json()
        seen += [t["name"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 9 and pages == 3 and seen == sorted(seen)
    bad = admin.get(f"{API}/teams", params={"cursor": "!!not-a-cursor"})
    assert bad.status_code == 422 and error(bad)["code"] == "invalid_cursor"


def test_draft_flow_with_decision_reasons_and_filters(web: Web, north: Tenant) -> None:
    contributor = web.signed_in(north, "contributor")
    created = contributor.post(f"{API}/drafts", json={"team_id": str(north.team),
                                                      "account_ids": [str(north.corporate)], "text": BLOCKED})
    assert created.status_code == 201 and created.json()["state"] == "draft"
    draft_id = created.json()["id"]
    submitted = contributor.post(f"{API}/drafts/{draft_id}/submit", json={}).json()
    assert submitted["state"] == "blocked" and submitted["decision"]["action"] == "block"
    reason = submitted["decision"]["reasons"][0]
    assert reason["why"] and reason["evidence"]  # the author is told why, in the policy's words
    assert contributor.get(f"{API}/drafts/{draft_id}").json()["decision"] == submitted["decision"]
    edited = contributor.request("PATCH", f"{API}/drafts/{draft_id}",
                                 json={"expected_version": submitted["version"], "text": CLEAN}).json()
    assert edited["state"] == "held"
    stale = contributor.request("PATCH", f"{API}/drafts/{draft_id}",
                                json={"expected_version": submitted["version"], "text": CLEAN})
    assert stale.status_code == 409 and error(stale)["code"] == "stale_version"
    approver = web.signed_in(north, "approver2")
    listing = approver.get(f"{API}/drafts", params={"state": "held", "team_id": str(north.team)})
    assert listing.status_code == 200, listing.text
    held = listing.json()["items"]
    # A contributor's clean draft is allowed by the check but still waits for an approver.
    assert [d["id"] for d in held] == [draft_id] and held[0]["decision_action"] == "allow"
    mine = contributor.get(f"{API}/drafts", params={"author_id": str(north.member_ids["contributor"])}).json()
    assert [d["id"] for d in mine["items"]] == [draft_id]
    approved = approver.post(f"{API}/drafts/{draft_id}/approve", json={"expected_version": edited["version"]}).json()
    when = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    scheduled = approver.post(f"{API}/drafts/{draft_id}/schedule", json={
        "expected_version": approved["version"], "scheduled_for": when.isoformat()}).json()
    assert scheduled["state"] == "scheduled"
    assert datetime.fromisoformat(scheduled["scheduled_for"].replace("Z", "+00:00")) == when
    naive = approver.post(f"{API}/drafts/{draft_id}/schedule", json={
        "expected_version": scheduled["version"], "scheduled_for": "2030-01-01T10:00:00"})
    assert error(naive)["code"] == "validation"  # a time without a zone is refused, not guessed


def test_accounts_never_return_credentials(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    secret = "mastodon-app-password-0123456789"
    made = admin.post(f"{API}/accounts", json={"team_id": str(north.team), "network": "mastodon",
                                               "handle": "@north@police.example", "account_type": "corporate",
                                               "credentials": secret})
    assert made.status_code == 201 and made.json()["has_credentials"] is True
    listed = web.signed_in(north, "moderator").get(f"{API}/accounts")
    auditor = web.signed_in(north, "auditor")
    entries = auditor.get(f"{API}/audit", params={"action": "account."})
    for text in (made.text, listed.text, entries.text):
        assert secret not in text and "credentials\":\"" not in text
    with north.sessions() as session:
        stored = session.get(SocialAccount, uuid.UUID(made.json()["id"])).credentials  # type: ignore[union-attr]
    assert stored and secret.encode() not in stored
    dup = admin.post(f"{API}/accounts", json={"team_id": str(north.team), "network": "mastodon",
                                              "handle": "@north@police.example", "account_type": "corporate"})
    assert dup.status_code == 409
    assert error(admin.post(f"{API}/accounts", json={"team_id": str(north.team), "network": "myspace",
                                                     "handle": "a", "account_type": "corporate"}))["code"] == \
        "invalid_input"


def test_audit_reads_are_audited_and_the_export_verifies(web: Web, north: Tenant) -> None:
    auditor = web.signed_in(north, "auditor")
    north.draft("contributor", RISKY)
    found = auditor.get(f"{API}/audit", params={"action": "draft.", "limit": 1}).json()
    assert found["items"][0]["action"] == "draft.submitted" and found["next_cursor"]
    more = auditor.get(f"{API}/audit", params={"action": "draft.", "cursor": found["next_cursor"]}).json()
    assert [e["action"] for e in more["items"]] == ["draft.created"]
    by_actor = auditor.get(f"{API}/audit", params={"actor": str(north.member_ids["contributor"])}).json()["items"]
    assert {e["actor"]["id"] for e in by_actor} == {str(north.member_ids["contributor"])}
    consulted = auditor.get(f"{API}/audit", params={"action": "audit.consulted"}).json()["items"]
    assert len(consulted) == 3 and consulted[0]["details"]["filters"] == {"actor": str(north.member_ids["contributor"])}
    since = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert auditor.get(f"{API}/audit", params={"since": since}).json()["items"] == []
    exported = auditor.get(f"{API}/audit/export")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert lines[-1]["action"] == "audit.exported"
    with north.sessions() as session:
        assert len(lines) == session.execute(select(func.count()).select_from(AuditEntryRow)
                                             .where(AuditEntryRow.organisation_id == north.id)).scalar_one()
    report = verify_chain(load_entries(lines), [], Verifier({}))
    assert report.ok, report.summary()


def test_check_runs_the_engine_and_stores_nothing(web: Web, north: Tenant) -> None:
    publisher = web.signed_in(north, "publisher")
    decisions, entries = count(north, DecisionRow), count(north, AuditEntryRow)
    checked = publisher.post(f"{API}/check", json={"text": BLOCKED})
    assert checked.status_code == 200 and checked.json()["action"] == "block" and checked.json()["reasons"]
    personal = publisher.post(f"{API}/check", json={"text": "Off my face after shift last night",
                                                    "account_type": "personal_officer"}).json()
    assert personal["action"] == "warn"
    assert count(north, DecisionRow) == decisions and count(north, AuditEntryRow) == entries
    inbound = publisher.post(f"{API}/check", json={"text": "hi", "direction": "inbound"})
    assert inbound.status_code == 403  # inbound checks are for moderators
    assert web.signed_in(north, "moderator").post(f"{API}/check", json={"text": "I will find you",
                                                                        "direction": "inbound"}).status_code == 200


def test_openapi_document_describes_security(web: Web) -> None:
    spec = web.client().get(f"{API}/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["session"] == {"type": "apiKey", "in": "cookie", "name": "__Host-warden_session"}
    assert schemes["bearer"]["scheme"] == "bearer"
    login = spec["paths"][f"{API}/auth/login"]["post"]
    assert login["security"] == []
    create = spec["paths"][f"{API}/drafts"]["post"]
    assert {"session": [], "csrf": []} in create["security"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    text = json.dumps(spec)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in spec["components"]["schemas"], ref
    assert PASSWORD not in text
