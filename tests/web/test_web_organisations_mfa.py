"""``PUT /organisations/me/mfa``: an administrator requires a second factor of every member (signed in with
one themselves, after a recent sign-in) or stops requiring it (with a reason). Once it is required, a member
without one gets 403 ``mfa_enrolment_required`` everywhere but /auth, their API tokens too, until they enrol;
then everything works again.

``POST /members/{id}/second-factor/reset``: another administrator clears the authenticator app and recovery
codes of a member who lost both (a reason, a recent sign-in, never for oneself); the member is signed out
everywhere, signs in again with the password alone and, where one is required, enrols a new app first."""

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


def reset(client: Client, member_id: object, reason: str = "Lost phone and recovery codes",
          **options: Any) -> httpx.Response:
    return client.post(f"{API}/members/{member_id}/second-factor/reset", json={"reason": reason}, **options)


def test_an_admin_resets_a_lost_second_factor_and_the_member_signs_in_without_a_code(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    enrol(web, admin)
    moderator = web.signed_in(north, "moderator")
    moderator_secret = enrol(web, moderator)
    other_device = web.client()  # a second session of the moderator: the code is needed now
    assert error(other_device.login(north, "moderator"))["code"] == "mfa_required"
    web.clock.advance(seconds=30)
    assert other_device.login(north, "moderator", totp_code=totp_code(
        moderator_secret, totp_step(web.clock()))).status_code == 200
    token = moderator.post(f"{API}/tokens", json={"name": "Alerts", "scopes": ["inbox:read"]}).json()["token"]
    member_id = north.member_ids["moderator"]
    assert admin.get(f"{API}/members/{member_id}").json()["mfa_enabled"] is True

    done = reset(admin, member_id)
    assert done.status_code == 200, done.text
    assert done.json()["mfa_enabled"] is False and done.json()["status"] == "active"
    # Signed out everywhere: the session and the token stop working at once.
    assert moderator.get(f"{API}/cases").status_code == 401
    assert other_device.get(f"{API}/cases").status_code == 401
    assert web.client().get(f"{API}/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # The password alone signs them in again; they may enrol a new app.
    again = web.client()
    assert again.login(north, "moderator").status_code == 200
    assert again.get(f"{API}/auth/session").json()["mfa_enrolment_required"] is False
    assert again.get(f"{API}/cases").status_code == 200
    entries = admin.get(f"{API}/audit", params={"action": "member.second_factor_reset"}).json()["items"]
    assert len(entries) == 1 and entries[0]["justification"] == "Lost phone and recovery codes"
    # Nothing left to reset.
    assert error(reset(admin, member_id))["code"] == "invalid_state"


def test_where_a_second_factor_is_required_the_member_must_enrol_again(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    enrol(web, admin)
    moderator = web.signed_in(north, "moderator")
    enrol(web, moderator)
    assert require(admin, True, "Force policy").status_code == 200
    assert reset(admin, north.member_ids["moderator"]).status_code == 200
    again = web.client()
    assert again.login(north, "moderator").status_code == 200  # no code: they have none
    blocked = again.get(f"{API}/cases")
    assert blocked.status_code == 403 and error(blocked)["code"] == "mfa_enrolment_required"
    enrol(web, again)
    assert again.get(f"{API}/cases").status_code == 200


def test_resetting_needs_an_admin_a_reason_and_a_step_up_and_not_oneself(web: Web, north: Tenant,
                                                                         south: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    secret = enrol(web, admin)
    member_id = north.member_ids["auditor"]
    enrol(web, web.signed_in(north, "auditor"))
    for role in ("approver", "moderator"):
        assert error(reset(web.signed_in(north, role), member_id))["code"] == "forbidden"
    assert reset(admin, member_id, reason="").status_code == 422
    assert error(reset(admin, member_id, reason="   "))["code"] == "reason_required"
    mine = reset(admin, north.member_ids["admin"])
    assert mine.status_code == 403 and "your own" in error(mine)["message"]
    # Another organisation's admin: not found, as if there were no such member.
    assert error(reset(web.signed_in(south, "admin"), member_id))["code"] == "not_found"
    # An API token can never step up.
    token = admin.post(f"{API}/tokens", json={"name": "Automation", "scopes": ["members:admin"]}).json()["token"]
    by_token = reset(web.client(), member_id, headers={"Authorization": f"Bearer {token}"})
    assert by_token.status_code == 403 and error(by_token)["code"] == "session_required"
    web.clock.advance(**STALE)
    stale = reset(admin, member_id)
    assert stale.status_code == 401 and error(stale)["code"] == "step_up_required"
    assert error(stale)["details"] == {"step_up": True, "mfa": True}
    assert admin.get(f"{API}/members/{member_id}").json()["mfa_enabled"] is True  # nothing changed yet
    web.clock.advance(seconds=30)
    assert admin.post(f"{API}/auth/reauth", json={
        "password": PASSWORD, "totp_code": totp_code(secret, totp_step(web.clock()))}).status_code == 200
    done = reset(admin, member_id)
    assert done.status_code == 200 and done.json()["mfa_enabled"] is False
