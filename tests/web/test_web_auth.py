"""Sign-in, sessions, CSRF, second factor, step-up, API tokens, leavers."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update
from web_org import BLOCKED, PASSWORD, Client, Tenant, Web, api_settings, latest_session_id

from warden.auth.errors import InsecureConfiguration
from warden.auth.passwords import Argon2Parameters, PasswordHasher
from warden.auth.redaction import Secret
from warden.auth.totp import totp_code, totp_step
from warden.settings import Settings
from warden.storage.tables import Member, Organisation
from warden.storage.tables import Session as SessionRow
from warden.web.app import create_app

pytestmark = pytest.mark.db
API = "/api/v1"


def error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]  # type: ignore[no-any-return]


def enrol(web: Web, client: Client) -> tuple[str, list[str]]:
    """Enrol an authenticator app; the TOTP secret and the recovery codes."""
    started = client.post(f"{API}/auth/mfa/enrol")
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    assert started.json()["provisioning_uri"].startswith("otpauth://totp/")
    code = totp_code(secret, totp_step(web.clock()))
    confirmed = client.post(f"{API}/auth/mfa/confirm", json={"enrolment": started.json()["enrolment"], "code": code})
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["recovery_codes"]


def test_login_sets_a_strict_host_cookie_and_stores_only_its_hash(web: Web, north: Tenant) -> None:
    client = web.client()
    response = client.login(north, "publisher")
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    name, _, rest = cookie.partition("=")
    value = rest.split(";")[0]
    assert name == "__Host-warden_session"
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite=strict", "path=/"} <= flags
    assert not any(f.startswith(("domain", "max-age", "expires")) for f in flags)
    body = response.json()
    assert body["csrf_token"] and body["member"]["email"] == north.email("publisher") and body["via"] == "session"
    with north.sessions() as session:
        ids = session.execute(select(SessionRow.id)).scalars().all()
    assert hashlib.sha256(value.encode()).hexdigest() in ids and value not in ids


def test_bad_sign_ins_all_look_the_same_and_cost_the_same(db_engine: Any, north: Tenant) -> None:
    class Counting(PasswordHasher):
        calls = 0

        def verify(self, stored_hash: str | None, password: str | Secret[str]) -> bool:
            Counting.calls += 1
            return super().verify(stored_hash, password)

    hasher = Counting(Argon2Parameters(time_cost=1, memory_cost_kib=64, parallelism=1, allow_below_minimum=True))
    harness = Web(db_engine, api_settings())
    harness.app = create_app(harness.settings, db_engine, hasher=hasher, clock=harness.clock)
    try:
        client = harness.client()
        attempts = [("north", north.email("publisher"), "Wrong-Password-123456"),
                    ("north", "nobody@north.example.com", PASSWORD),
                    ("atlantis", north.email("publisher"), PASSWORD)]
        answers = []
        for slug, email, password in attempts:
            response = client.post(f"{API}/auth/login", json={"organisation": slug, "email": email,
                                                              "password": password})
            assert response.status_code == 401
            answers.append(error(response))
        assert Counting.calls == len(attempts)  # the unknown ones burn a dummy hash too
        assert all(a == answers[0] for a in answers) and answers[0]["code"] == "invalid_credentials"
    finally:
        harness.close()


def test_login_is_throttled_with_retry_after(web: Web, north: Tenant) -> None:
    client = web.client()
    wrong = {"organisation": "north", "email": north.email("publisher"), "password": "Wrong-Password-123456"}
    for _ in range(5):
        assert client.post(f"{API}/auth/login", json=wrong).status_code == 401
    assert client.post(f"{API}/auth/login", json=wrong).status_code == 401  # the sixth imposes a wait
    blocked = client.login(north, "publisher")  # even the right password waits
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1 and error(blocked)["code"] == "too_many_attempts"
    assert error(blocked)["details"]["retry_after"] == int(blocked.headers["retry-after"])
    assert client.login(north, "contributor").status_code == 200  # another account from the same address
    web.clock.advance(seconds=int(blocked.headers["retry-after"]) + 1)
    assert client.login(north, "publisher").status_code == 200


def test_csrf_token_required_for_cookie_writes_only(web: Web, north: Tenant) -> None:
    admin = web.signed_in(north, "admin")
    other = web.signed_in(north, "admin")
    assert admin.get(f"{API}/teams").status_code == 200  # reads need no token
    for headers in ({}, {"X-CSRF-Token": "nonsense"}, {"X-CSRF-Token": other.csrf or ""}):
        refused = admin.post(f"{API}/teams", json={"name": "Roads"}, csrf=False, headers=headers)
        assert refused.status_code == 403 and error(refused)["code"] == "csrf_failed"
    assert admin.post(f"{API}/teams", json={"name": "Roads"}).status_code == 201
    again = admin.get(f"{API}/auth/session").json()["csrf_token"]  # a fresh token after a reload works too
    assert admin.post(f"{API}/teams", json={"name": "Rural"}, csrf=False,
                      headers={"X-CSRF-Token": again}).status_code == 201


def test_logout_ends_the_session_for_good(web: Web, north: Tenant) -> None:
    client = web.signed_in(north, "publisher")
    cookie = dict(client.http.cookies)
    response = client.post(f"{API}/auth/logout")
    assert response.status_code == 204 and "max-age=0" in response.headers["set-cookie"].lower()
    replay = web.client()
    replay.http.cookies.update(cookie)
    assert error(replay.get(f"{API}/auth/session"))["code"] == "invalid_token"
    assert error(web.client().get(f"{API}/teams"))["code"] == "not_authenticated"


def test_idle_and_absolute_expiry(web: Web, north: Tenant) -> None:
    idle = web.signed_in(north, "publisher")
    web.clock.advance(minutes=31)
    response = idle.get(f"{API}/teams")
    assert response.status_code == 401 and error(response)["code"] == "session_expired"
    busy = web.signed_in(north, "publisher")
    for _ in range(12 * 3 - 1):
        web.clock.advance(minutes=20)
        assert busy.get(f"{API}/teams").status_code == 200
    web.clock.advance(minutes=20)
    assert error(busy.get(f"{API}/teams"))["code"] == "session_expired"


def test_mfa_enrolment_then_totp_and_recovery_codes(web: Web, north: Tenant) -> None:
    client = web.signed_in(north, "approver")
    secret, recovery = enrol(web, client)
    assert len(recovery) == 10
    with north.sessions() as session:
        stored = session.get(Member, north.member_ids["approver"]).totp_secret  # type: ignore[union-attr]
    assert stored and secret.encode() not in stored  # encrypted at rest
    fresh = web.client()
    needs = fresh.login(north, "approver")
    assert needs.status_code == 401 and error(needs)["code"] == "mfa_required" and error(needs)["details"]["mfa"]
    assert error(fresh.login(north, "approver", totp_code="000000"))["code"] == "invalid_mfa_code"
    web.clock.advance(seconds=30)
    code = totp_code(secret, totp_step(web.clock()))
    signed = fresh.login(north, "approver", totp_code=code)
    assert signed.status_code == 200 and signed.json()["mfa_at"] is not None
    assert error(web.client().login(north, "approver", totp_code=code))["code"] == "mfa_code_replayed"
    assert web.client().login(north, "approver", recovery_code=recovery[0].lower()).status_code == 200
    assert error(web.client().login(north, "approver", recovery_code=recovery[0]))["code"] == "invalid_mfa_code"
    replacing = fresh.post(f"{API}/auth/mfa/enrol")  # a new factor needs a recent step-up with the old one
    assert replacing.status_code == 200  # the sign-in just now was with the second factor
    web.clock.advance(minutes=6)
    stale = fresh.post(f"{API}/auth/mfa/enrol")
    assert stale.status_code == 401 and error(stale)["details"] == {"step_up": True, "mfa": True}


def test_organisation_requiring_mfa_admits_only_enrolment_until_done(web: Web, north: Tenant) -> None:
    earlier = web.signed_in(north, "publisher")
    token = earlier.post(f"{API}/tokens", json={"name": "x", "scopes": ["drafts:read"]}).json()["token"]
    with north.sessions.begin() as session:
        session.execute(update(Organisation).where(Organisation.id == north.id).values(mfa_required=True))
    bearer = web.client().get(f"{API}/drafts", headers={"Authorization": f"Bearer {token}"})
    assert error(bearer)["code"] == "mfa_enrolment_required"  # a token is no way round the second factor
    client = web.client()
    signed = client.login(north, "publisher")
    assert signed.status_code == 200 and signed.json()["mfa_enrolment_required"] is True
    refused = client.get(f"{API}/teams")
    assert refused.status_code == 403 and error(refused)["code"] == "mfa_enrolment_required"
    minted = client.post(f"{API}/tokens", json={"name": "x", "scopes": ["drafts:read"]})
    assert error(minted)["code"] == "mfa_enrolment_required"
    enrol(web, client)
    assert client.get(f"{API}/teams").status_code == 200


def test_step_up_before_overriding_a_block(web: Web, north: Tenant) -> None:
    draft_id = north.draft("contributor", BLOCKED)
    approver = web.signed_in(north, "approver2")
    web.clock.advance(minutes=6)
    body = {"expected_version": 2, "reason": "Authorised by the SIO for a public safety appeal"}
    refused = approver.post(f"{API}/drafts/{draft_id}/override", json=body)
    assert refused.status_code == 401
    assert error(refused) == {"code": "step_up_required", "message": error(refused)["message"],
                              "details": {"step_up": True, "mfa": False}}
    assert error(approver.post(f"{API}/auth/reauth", json={"password": "Wrong-Password-123456"}))["code"] == \
        "invalid_credentials"
    assert approver.post(f"{API}/auth/reauth", json={"password": PASSWORD}).status_code == 200
    done = approver.post(f"{API}/drafts/{draft_id}/override", json=body)
    assert done.status_code == 200 and done.json()["state"] == "approved"
    assert done.json()["approvals"][-1]["verdict"] == "override"


def test_step_up_with_a_second_factor(web: Web, north: Tenant) -> None:
    client = web.signed_in(north, "approver2")
    secret, _ = enrol(web, client)
    needs = client.post(f"{API}/auth/reauth", json={"password": PASSWORD})
    assert error(needs)["code"] == "mfa_required"
    web.clock.advance(seconds=30)
    done = client.post(f"{API}/auth/reauth", json={"password": PASSWORD,
                                                    "totp_code": totp_code(secret, totp_step(web.clock()))})
    assert done.status_code == 200 and done.json()["mfa_at"] is not None


def test_own_sessions_listed_and_revoked(web: Web, north: Tenant, south: Tenant) -> None:
    laptop = web.signed_in(north, "publisher")
    phone = web.signed_in(north, "publisher")
    phone_id = latest_session_id(north, "publisher")
    listed = laptop.get(f"{API}/auth/sessions").json()
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    assert {s["id"] for s in listed} >= {phone_id}
    web.signed_in(north, "contributor")
    colleague = latest_session_id(north, "contributor")
    web.signed_in(south, "publisher")
    stranger = latest_session_id(south, "publisher")
    for foreign in (colleague, stranger, "0" * 64):
        assert laptop.delete(f"{API}/auth/sessions/{foreign}").status_code == 404
    assert laptop.delete(f"{API}/auth/sessions/{phone_id}").status_code == 204
    assert error(phone.get(f"{API}/teams"))["code"] == "invalid_token"
    assert laptop.get(f"{API}/teams").status_code == 200


def test_api_tokens_are_scoped_shown_once_and_revocable(web: Web, north: Tenant) -> None:
    owner = web.signed_in(north, "publisher")
    made = owner.post(f"{API}/tokens", json={"name": "CI", "scopes": ["drafts:read"], "expires_in_days": 7})
    assert made.status_code == 201
    token, token_id = made.json()["token"], made.json()["id"]
    assert token.startswith("wdn_")
    listed = owner.get(f"{API}/tokens")
    assert token not in listed.text and listed.json()[0]["prefix"] == made.json()["prefix"]
    bearer = web.client()
    auth = {"Authorization": f"Bearer {token}"}
    assert bearer.get(f"{API}/drafts", headers=auth).status_code == 200
    write = bearer.post(f"{API}/drafts", headers=auth,
                        json={"team_id": str(north.team), "account_ids": [str(north.corporate)], "text": "Hello"})
    assert write.status_code == 403 and error(write)["code"] == "forbidden"  # scope missing, no CSRF needed
    assert error(bearer.post(f"{API}/tokens", headers=auth, json={"name": "x", "scopes": ["drafts:read"]})
                 )["code"] == "session_required"
    who = bearer.get(f"{API}/auth/session", headers=auth).json()
    assert who["via"] == "token" and who["scopes"] == ["drafts:read"] and who["csrf_token"] is None
    assert error(owner.post(f"{API}/tokens", json={"name": "x", "scopes": ["root"]}))["code"] == "unknown_scope"
    assert owner.delete(f"{API}/tokens/{token_id}").status_code == 204
    assert error(bearer.get(f"{API}/drafts", headers=auth))["code"] == "token_revoked"
    for bad in ("Bearer wdn_nonsense", f"Bearer {token[:-1]}x", "Basic abc"):
        refused = bearer.get(f"{API}/drafts", headers={"Authorization": bad})
        assert refused.status_code == 401 and error(refused)["code"] == "invalid_token"


def test_tokens_expire_and_act_as_themselves_in_the_audit_log(web: Web, north: Tenant) -> None:
    owner = web.signed_in(north, "publisher")
    made = owner.post(f"{API}/tokens", json={"name": "Scheduler", "scopes": ["drafts:write", "drafts:read"],
                                             "expires_in_days": 1}).json()
    bearer = web.client()
    auth = {"Authorization": f"Bearer {made['token']}"}
    created = bearer.post(f"{API}/drafts", headers=auth,
                          json={"team_id": str(north.team), "account_ids": [str(north.corporate)], "text": "Hello"})
    assert created.status_code == 201
    auditor = web.signed_in(north, "auditor")
    entries = auditor.get(f"{API}/audit", params={"action": "draft.created"}).json()["items"]
    assert entries[0]["actor"] == {"id": made["id"], "kind": "api_token",
                                   "name": "Publisher North (API token Scheduler)"}
    web.clock.advance(days=1, seconds=1)
    assert error(bearer.get(f"{API}/drafts", headers=auth))["code"] == "token_expired"


def test_a_leaver_loses_sessions_and_tokens_at_once(web: Web, north: Tenant) -> None:
    leaver = web.signed_in(north, "publisher")
    token = leaver.post(f"{API}/tokens", json={"name": "x", "scopes": ["drafts:read"]}).json()["token"]
    bearer = web.client()
    auth = {"Authorization": f"Bearer {token}"}
    assert bearer.get(f"{API}/drafts", headers=auth).status_code == 200
    admin = web.signed_in(north, "admin")
    removed = admin.delete(f"{API}/members/{north.member_ids['publisher']}", json={"reason": "Left the force"})
    assert removed.status_code == 204
    assert leaver.get(f"{API}/teams").status_code == 401
    assert bearer.get(f"{API}/drafts", headers=auth).status_code == 401
    assert web.client().login(north, "publisher").status_code == 401


def test_member_status_is_checked_on_every_request(web: Web, north: Tenant) -> None:
    client = web.signed_in(north, "contributor")
    with north.sessions.begin() as session:  # even if the rows were somehow not revoked
        session.execute(update(Member).where(Member.id == north.member_ids["contributor"]).values(status="removed"))
    assert error(client.get(f"{API}/teams"))["code"] == "invalid_token"


def test_production_refuses_to_start_without_keys(db_engine: Any) -> None:
    with pytest.raises(InsecureConfiguration, match="WARDEN_SECRET_KEY"):
        create_app(Settings(environment="production"), db_engine)
    with pytest.raises(InsecureConfiguration, match="WARDEN_CREDENTIAL_KEYS"):
        create_app(api_settings(credential_keys=None), db_engine)
    with pytest.raises(InsecureConfiguration, match="32 bytes"):
        create_app(api_settings(secret_key=SecretStr("short")), db_engine)
    create_app(Settings(environment="development"), db_engine)  # an ephemeral key, with a warning


def test_development_cookie_without_secure_flag(db_engine: Any, north: Tenant) -> None:
    harness = Web(db_engine, api_settings(cookie_secure=False))
    try:
        response = harness.client().login(north, "publisher")
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("warden_session=") and "secure" not in cookie.lower()
        assert "samesite=strict" in cookie.lower() and "httponly" in cookie.lower()
    finally:
        harness.close()
