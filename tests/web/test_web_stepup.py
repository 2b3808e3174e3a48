"""Step-up re-authentication before sensitive actions: lockdown on and off, role changes, removing a
member, exporting the audit log, creating an API token (overriding a block: test_web_auth).

A stale session gets 401 ``step_up_required`` with ``details.step_up`` (and ``details.mfa`` when the
second factor is wanted too); nothing happens; after ``POST /auth/reauth`` the same request works.
An API token can never step up: 403 ``session_required``. Permission comes first: a member who may
not do the thing at all gets 403 ``forbidden`` however fresh their sign-in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from web_org import HASHER, PASSWORD, Client, Tenant, Web

from warden.auth.totp import totp_code, totp_step
from warden.storage.tables import AuditEntryRow, Organisation
from warden.workflow import organisations

pytestmark = pytest.mark.db
API = "/api/v1"
STALE = {"minutes": 5, "seconds": 1}


def error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]  # type: ignore[no-any-return]


def audit_count(tenant: Tenant) -> int:
    with tenant.sessions() as session:
        return session.execute(select(func.count()).select_from(AuditEntryRow)
                               .where(AuditEntryRow.organisation_id == tenant.id)).scalar_one()


def throwaway(tenant: Tenant) -> str:
    member_id = organisations.add_member(tenant.sessions, tenant.principal("admin"), email="temp@example.org",
                                         display_name="Temp", password=None, roles={tenant.team: ["contributor"]},
                                         hasher=HASHER)
    return str(member_id)


Action = Callable[[Client, Tenant], httpx.Response]


def _lock(client: Client, tenant: Tenant) -> httpx.Response:
    return client.post(f"{API}/lockdown", json={"reason": "Account compromise suspected"})


def _unlock(client: Client, tenant: Tenant) -> httpx.Response:
    with tenant.sessions.begin() as session:
        session.get(Organisation, tenant.id).locked_down = True  # type: ignore[union-attr]
    return client.delete(f"{API}/lockdown", json={"reason": "All clear"})


def _roles(client: Client, tenant: Tenant) -> httpx.Response:
    return client.request("PUT", f"{API}/members/{tenant.member_ids['contributor']}/roles",
                          json={"roles": [{"team_id": str(tenant.team), "role": "admin"}]})


def _remove(client: Client, tenant: Tenant) -> httpx.Response:
    return client.delete(f"{API}/members/{tenant.member_ids['contributor']}", json={"reason": "Left the force"})


def _export(client: Client, tenant: Tenant) -> httpx.Response:
    return client.get(f"{API}/audit/export")


def _token(client: Client, tenant: Tenant) -> httpx.Response:
    return client.post(f"{API}/tokens", json={"name": "SIEM", "scopes": ["audit:read"]})


SENSITIVE: dict[str, tuple[str, Action]] = {
    "lockdown": ("admin", _lock),
    "lift lockdown": ("admin", _unlock),
    "change roles": ("admin", _roles),
    "remove member": ("admin", _remove),
    "export audit log": ("auditor", _export),
    "create API token": ("publisher", _token),
}


@pytest.mark.parametrize("name", sorted(SENSITIVE))
def test_a_stale_session_must_step_up_then_the_same_request_works(web: Web, north: Tenant, name: str) -> None:
    role, action = SENSITIVE[name]
    client = web.signed_in(north, role)
    web.clock.advance(**STALE)
    before = audit_count(north)
    refused = action(client, north)
    assert refused.status_code == 401, refused.text
    assert error(refused)["code"] == "step_up_required"
    assert error(refused)["details"] == {"step_up": True, "mfa": False}
    assert audit_count(north) == before  # nothing happened, nothing was recorded
    assert client.post(f"{API}/auth/reauth", json={"password": PASSWORD}).status_code == 200
    done = action(client, north)
    assert done.status_code < 300, done.text


@pytest.mark.parametrize("name", sorted(SENSITIVE))
def test_a_fresh_sign_in_counts_as_a_step_up(web: Web, north: Tenant, name: str) -> None:
    role, action = SENSITIVE[name]
    web.clock.advance(minutes=4)  # time passing before the sign-in does not matter
    client = web.signed_in(north, role)
    web.clock.advance(minutes=4, seconds=59)
    assert action(client, north).status_code < 300


def test_the_refusal_leaves_everything_as_it_was(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    contributor = web.signed_in(north, "contributor")
    web.clock.advance(**STALE)
    assert _lock(admin, north).status_code == 401
    assert _roles(admin, north).status_code == 401
    assert _remove(admin, north).status_code == 401
    assert admin.get(f"{API}/organisations/me").json()["locked_down"] is False
    member = admin.get(f"{API}/members/{north.member_ids['contributor']}").json()  # reads need no step-up
    assert member["status"] == "active" and [r["role"] for r in member["roles"]] == ["contributor"]
    assert contributor.get(f"{API}/teams").status_code == 200  # still signed in


def test_permission_is_checked_before_freshness(web: Web, north: Tenant) -> None:
    publisher = web.signed_in(north, "publisher")
    auditor = web.signed_in(north, "auditor")
    web.clock.advance(**STALE)
    for response in (_lock(publisher, north), _roles(publisher, north), _remove(auditor, north),
                     _export(publisher, north)):
        assert response.status_code == 403 and error(response)["code"] == "forbidden"


def test_the_second_factor_must_be_fresh_too(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    started = admin.post(f"{API}/auth/mfa/enrol").json()
    secret = started["secret"]
    code = totp_code(secret, totp_step(web.clock()))
    assert admin.post(f"{API}/auth/mfa/confirm", json={"enrolment": started["enrolment"], "code": code}
                      ).status_code == 200
    web.clock.advance(**STALE)
    refused = _lock(admin, north)
    assert error(refused)["details"] == {"step_up": True, "mfa": True}
    without_code = admin.post(f"{API}/auth/reauth", json={"password": PASSWORD})
    assert without_code.status_code == 401 and error(without_code)["code"] == "mfa_required"
    assert _lock(admin, north).status_code == 401  # a refused step-up refreshes nothing
    web.clock.advance(seconds=30)
    stepped = admin.post(f"{API}/auth/reauth", json={"password": PASSWORD,
                                                     "totp_code": totp_code(secret, totp_step(web.clock()))})
    assert stepped.status_code == 200
    assert _lock(admin, north).status_code == 200


def test_wrong_password_at_step_up_refreshes_nothing_and_is_throttled(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    web.clock.advance(**STALE)
    answers = [admin.post(f"{API}/auth/reauth", json={"password": "Wrong-Password-123456"}) for _ in range(6)]
    assert all(error(a)["code"] == "invalid_credentials" for a in answers)
    assert _lock(admin, north).status_code == 401
    throttled = admin.post(f"{API}/auth/reauth", json={"password": PASSWORD})
    assert throttled.status_code == 429 and error(throttled)["code"] == "too_many_attempts"


def test_api_tokens_cannot_do_sensitive_actions(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    made = admin.post(f"{API}/tokens", json={"name": "HR leavers", "scopes": ["members:admin", "audit:read"]})
    assert made.status_code == 201
    bearer = web.client()
    bearer.csrf = None
    auth = {"Authorization": f"Bearer {made.json()['token']}"}
    calls = [
        bearer.post(f"{API}/lockdown", json={"reason": "Automated"}, headers=auth),
        bearer.request("PUT", f"{API}/members/{north.member_ids['contributor']}/roles", headers=auth,
                       json={"roles": [{"team_id": str(north.team), "role": "admin"}]}),
        bearer.delete(f"{API}/members/{north.member_ids['contributor']}", json={"reason": "Left"}, headers=auth),
        bearer.get(f"{API}/audit/export", headers=auth),
    ]
    for response in calls:
        assert response.status_code == 403 and error(response)["code"] == "session_required", response.text
    assert bearer.get(f"{API}/members", headers=auth).status_code == 200  # the scopes still work for the rest
    assert bearer.get(f"{API}/audit", headers=auth).status_code == 200


def test_removing_a_member_and_changing_roles_after_step_up_are_audited(web: Web, north: Tenant) -> None:
    temp = throwaway(north)
    admin = web.signed_in(north, "admin")
    web.clock.advance(**STALE)
    assert admin.post(f"{API}/auth/reauth", json={"password": PASSWORD}).status_code == 200
    assert admin.request("PUT", f"{API}/members/{temp}/roles",
                         json={"roles": [{"team_id": str(north.team), "role": "auditor"}]}).status_code == 200
    assert admin.delete(f"{API}/members/{temp}", json={"reason": "Left"}).status_code == 204
    actions = [e["action"] for e in admin.get(f"{API}/audit", params={"object_id": temp}).json()["items"]]
    assert actions[:3] == ["member.removed", "member.roles_changed", "member.added"]
    reauth = admin.get(f"{API}/audit", params={"action": "session.reauthenticated"}).json()["items"]
    assert len(reauth) == 1


def test_the_retry_after_a_step_up_may_reuse_the_idempotency_key(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    web.clock.advance(**STALE)
    key = {"Idempotency-Key": "lockdown-after-step-up"}
    body = {"reason": "Account compromise suspected"}
    assert admin.post(f"{API}/lockdown", json=body, headers=key).status_code == 401
    assert admin.post(f"{API}/auth/reauth", json={"password": PASSWORD}).status_code == 200
    done = admin.post(f"{API}/lockdown", json=body, headers=key)
    assert done.status_code == 200 and done.json()["locked_down"] is True
    again = admin.post(f"{API}/lockdown", json=body, headers=key)
    assert again.headers["idempotency-replayed"] == "true" and again.json() == done.json()
