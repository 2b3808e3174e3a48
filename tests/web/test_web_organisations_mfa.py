"""``PUT /organisations/me/mfa``: an administrator requires a second factor of every member (signed in with
one themselves, after a recent sign-in) or stops requiring it (with a reason). Once it is required, a member
without one gets 403 ``mfa_enrolment_required`` everywhere but /auth, their API tokens too, until they enrol;
then everything works again."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from web_org import PASSWORD, Client, Tenant, Web

from warden.auth.totp import totp_code, totp_step

pytestmark = pytest.mark.db
API = "/api/v1"
STALE = {"minutes": 5, "seconds": 1}


def error(response: httpx.Response) -> dict[str, Any]:
    return response.json()["error"]  # type: ignore[no-any-return]


def enrol(web: Web, client: Client) -> str:
    started = client.post(f"{API}/auth/mfa/enrol").json()
    code = totp_code(started["secret"], totp_step(web.clock()))
    confirmed = client.post(f"{API}/auth/mfa/confirm", json={"enrolment": started["enrolment"], "code": code})
    assert confirmed.status_code == 200, confirmed.text
    return str(started["secret"])


def require(client: Client, required: bool, reason: str = "") -> httpx.Response:
    return client.request("PUT", f"{API}/organisations/me/mfa", json={"required": required, "reason": reason})


def test_required_then_members_without_one_must_enrol(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    moderator = web.signed_in(north, "moderator")
    token = admin.post(f"{API}/tokens", json={"name": "SIEM", "scopes": ["members:admin"]}).json()["token"]
    refused = require(admin, True)
    assert refused.status_code == 409 and "your own authenticator app" in error(refused)["message"]
    enrol(web, admin)  # the session now counts as signed in with a second factor
    done = require(admin, True, "Force policy")
    assert done.status_code == 200 and done.json()["mfa_required"] is True
    assert require(admin, True).status_code == 200  # set already: nothing changes
    actions = [e["action"] for e in admin.get(f"{API}/audit", params={"action": "organisation."}).json()["items"]]
    assert [a for a in actions if "mfa" in a] == ["organisation.mfa_required"]

    blocked = moderator.get(f"{API}/cases")
    assert blocked.status_code == 403 and error(blocked)["code"] == "mfa_enrolment_required"
    assert moderator.get(f"{API}/auth/session").json()["mfa_enrolment_required"] is True
    bearer = web.client()
    by_token = bearer.get(f"{API}/members", headers={"Authorization": f"Bearer {token}"})
    assert by_token.status_code == 200  # the admin has enrolled, so the admin's token still works
    enrol(web, moderator)
    assert moderator.get(f"{API}/cases").status_code == 200


def test_switching_off_needs_a_reason_a_step_up_and_an_admin(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    secret = enrol(web, admin)
    assert require(admin, True).status_code == 200
    for role in ("approver", "auditor"):
        other = web.signed_in(north, role)
        enrol(web, other)
        assert error(require(other, False, "No"))["code"] == "forbidden"
    assert error(require(admin, False))["code"] == "reason_required"
    web.clock.advance(**STALE)
    stale = require(admin, False, "Authenticator outage")
    assert stale.status_code == 401 and error(stale)["details"] == {"step_up": True, "mfa": True}
    web.clock.advance(seconds=30)
    assert admin.post(f"{API}/auth/reauth", json={
        "password": PASSWORD, "totp_code": totp_code(secret, totp_step(web.clock()))}).status_code == 200
    done = require(admin, False, "Authenticator outage")
    assert done.status_code == 200 and done.json()["mfa_required"] is False
    assert web.signed_in(north, "publisher").get(f"{API}/drafts").status_code == 200


def test_an_api_token_cannot_switch_it(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    token = admin.post(f"{API}/tokens", json={"name": "Automation", "scopes": ["members:admin"]}).json()["token"]
    bearer = web.client()
    answer = bearer.request("PUT", f"{API}/organisations/me/mfa", json={"required": False, "reason": "x"},
                            headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403 and error(answer)["code"] == "session_required"


def test_one_organisation_does_not_switch_another(web: Web, north: Tenant, south: Tenant) -> None:
    admin = web.signed_in(south, "admin")
    enrol(web, admin)
    assert require(admin, True).json()["mfa_required"] is True
    assert web.signed_in(north, "moderator").get(f"{API}/cases").status_code == 200
