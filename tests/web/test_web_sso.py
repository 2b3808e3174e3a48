"""Single sign-on end to end: the API, a browser played by httpx, and the local OpenID Connect
identity provider of tests/auth/oidc_idp.py over real HTTP on 127.0.0.1 (no external service).

Covered: the admin settings (step-up, audited, the client secret never shown), signing in (linked by
verified e-mail the first time, by (issuer, subject) afterwards), the refusals (wrong, replayed,
expired or foreign state; wrong nonce, audience, expired token; unverified e-mail; a member of
another organisation; a removed member; no second factor where one is needed), 'refuse' mode and
linking from a signed-in session, step-up at the identity provider, and the bound on sign-ins pending
from one client address.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import Engine, func, select, update
from web_org import HASHER, PASSWORD, Client, Tenant, Web, api_settings

from warden.storage.tables import (
    AuditEntryRow,
    Member,
    MemberIdentity,
    OidcLoginState,
    OidcProviderRow,
    Organisation,
)
from warden.storage.tables import Session as SessionRow
from warden.web.oidc import address_hash
from warden.workflow import organisations

_AUTH_TESTS = str(Path(__file__).resolve().parents[1] / "auth")
if _AUTH_TESTS not in sys.path:
    sys.path.append(_AUTH_TESTS)
from oidc_idp import CLIENT_ID, CLIENT_SECRET, LocalIdp  # noqa: E402

pytestmark = pytest.mark.db
API = "/api/v1"
CALLBACK = "https://testserver/api/v1/auth/sso/callback"


@pytest.fixture(scope="module")
def idp_server() -> Iterator[LocalIdp]:
    server = LocalIdp().start()
    yield server
    server.stop()


@pytest.fixture
def idp(idp_server: LocalIdp) -> Iterator[LocalIdp]:
    idp_server.reset()
    idp_server.redirect_uri = CALLBACK
    idp_server.user.email = "publisher@north.example.com"
    yield idp_server
    idp_server.reset()


@pytest.fixture
def web(db_engine: Engine) -> Iterator[Web]:
    harness = Web(db_engine, api_settings(oidc_allow_insecure_localhost=True))
    yield harness
    harness.close()


@pytest.fixture
def bounded(db_engine: Engine) -> Iterator[Web]:
    """At most 3 sign-ins pending per client address."""
    harness = Web(db_engine, api_settings(oidc_allow_insecure_localhost=True, sso_pending_per_address=3))
    yield harness
    harness.close()


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    """The browser's side of talking to the identity provider."""
    with httpx.Client() as client:
        yield client


def error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]  # type: ignore[no-any-return]


def configure(web: Web, tenant: Tenant, idp: LocalIdp, **changes: Any) -> httpx.Response:
    admin = web.signed_in(tenant, "admin")
    body = {"issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **changes}
    response = admin.request("PUT", f"{API}/sso", json=body)
    assert response.status_code == 200, response.text
    return response


def at_idp(browser: httpx.Client, authorization_url: str) -> str:
    """The browser at the identity provider (which signs ``idp.user`` in at once): the callback URL."""
    answer = browser.get(authorization_url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    return location


def start(client: Client, tenant: Tenant, return_to: str = "/") -> httpx.Response:
    return client.get(f"{API}/auth/sso/start", params={"organisation": tenant.slug, "return_to": return_to})


def sign_in(web: Web, browser: httpx.Client, tenant: Tenant, client: Client | None = None) -> tuple[Client,
                                                                                                httpx.Response]:
    """The whole round trip in one browser; the callback's answer."""
    client = client or web.client()
    started = start(client, tenant)
    assert started.status_code == 303, started.text
    return client, client.get(at_idp(browser, started.headers["location"]))


def signed_in(web: Web, browser: httpx.Client, tenant: Tenant) -> Client:
    client, answer = sign_in(web, browser, tenant)
    assert answer.status_code == 303, answer.text
    session = client.get(f"{API}/auth/session")
    assert session.status_code == 200, session.text
    client.csrf = session.json()["csrf_token"]
    return client


def pending(tenant: Tenant) -> list[OidcLoginState]:
    with tenant.sessions() as session:
        return list(session.execute(select(OidcLoginState)).scalars())


def audit_actions(tenant: Tenant) -> list[str]:
    with tenant.sessions() as session:
        return list(session.execute(select(AuditEntryRow.action).where(AuditEntryRow.organisation_id == tenant.id)
                                    .order_by(AuditEntryRow.seq)).scalars())


def sessions_of(tenant: Tenant, role: str) -> int:
    with tenant.sessions() as session:
        return session.execute(select(func.count()).select_from(SessionRow).where(
            SessionRow.member_id == tenant.member_ids[role])).scalar_one()


def make_stale(tenant: Tenant, role: str) -> None:
    """Sign-in times of this member's sessions six minutes back (the IdP and Warden keep real time)."""
    past = datetime.now(UTC) - timedelta(minutes=6)
    with tenant.sessions.begin() as session:
        mine = SessionRow.member_id == tenant.member_ids[role]
        session.execute(update(SessionRow).where(mine).values(authenticated_at=past))
        session.execute(update(SessionRow).where(mine, SessionRow.mfa_at.is_not(None)).values(mfa_at=past))


# -- signing in -------------------------------------------------------------------------------


def test_first_sign_in_links_by_verified_email_then_by_subject(web: Web, north: Tenant, idp: LocalIdp,
                                                               browser: httpx.Client) -> None:
    configure(web, north, idp)
    client = web.client()
    started = start(client, north, return_to="/inbox?tab=urgent")
    assert started.status_code == 303 and started.headers["cache-control"] == "no-store"
    params = dict(parse_qsl(urlsplit(started.headers["location"]).query))
    assert params["redirect_uri"] == CALLBACK and params["code_challenge_method"] == "S256"
    binding = started.headers["set-cookie"]
    assert binding.startswith("__Host-warden_sso=") and "samesite=lax" in binding.lower()
    assert "httponly" in binding.lower() and "secure" in binding.lower()
    with north.sessions() as session:  # the state is kept server-side, found by its hash, the login encrypted
        row = session.execute(select(OidcLoginState)).scalar_one()
    assert row.id != params["state"] and params["state"].encode() not in row.login
    assert params["nonce"].encode() not in row.login

    answer = client.get(at_idp(browser, started.headers["location"]))
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/inbox?tab=urgent"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("__Host-warden_session=") and "samesite=strict" in cookie.lower()
    me = client.get(f"{API}/auth/session").json()
    assert me["member"]["email"] == "publisher@north.example.com" and me["method"] == "oidc"
    assert me["mfa_at"] is not None  # the provider said amr=mfa
    client.csrf = me["csrf_token"]
    assert client.post(f"{API}/drafts", json={"team_id": str(north.team), "account_ids": [str(north.corporate)],
                                               "text": "Road closed on the A64."}).status_code == 201
    with north.sessions() as session:
        linked = session.execute(select(MemberIdentity)).scalar_one()
        assert (linked.issuer, linked.subject, linked.member_id) == (idp.issuer, "user-0001",
                                                                     north.member_ids["publisher"])
        assert session.execute(select(func.count()).select_from(OidcLoginState)).scalar_one() == 0  # used once
    assert "member.sso_linked" in audit_actions(north)

    idp.user.email = "jo.smith@elsewhere.example"  # the address changed at the provider: the link still holds
    again = signed_in(web, browser, north)
    assert again.get(f"{API}/auth/session").json()["member"]["email"] == "publisher@north.example.com"
    assert audit_actions(north).count("member.sso_linked") == 1


def test_the_callback_checks_the_state(web: Web, north: Tenant, idp: LocalIdp, browser: httpx.Client) -> None:
    configure(web, north, idp)
    client = web.client()
    callback = at_idp(browser, start(client, north).headers["location"])
    params = dict(parse_qsl(urlsplit(callback).query))
    forged = client.get(f"{API}/auth/sso/callback?" + urlencode({**params, "state": "forged-state"}))
    assert forged.status_code == 401 and error(forged)["code"] == "sso_state_mismatch"
    in_a_browser = client.get(f"{API}/auth/sso/callback?" + urlencode({**params, "state": "<b>forged</b>"}),
                              headers={"accept": "text/html"})
    assert in_a_browser.status_code == 401 and in_a_browser.headers["content-type"].startswith("text/html")
    assert "Single sign-on did not work" in in_a_browser.text and "<b>forged" not in in_a_browser.text
    missing = client.get(f"{API}/auth/sso/callback?" + urlencode({"code": params["code"]}))
    assert error(missing)["code"] == "sso_state_mismatch"
    done = client.get(callback)
    assert done.status_code == 303
    replayed = web.client()
    replayed.http.cookies.update(dict(client.http.cookies))
    again = replayed.get(callback)  # the same response again, even from the same browser
    assert again.status_code == 401 and error(again)["code"] == "sso_state_mismatch"
    assert "set-cookie" not in again.headers
    assert sessions_of(north, "publisher") == 1


def test_a_callback_in_another_browser_is_refused(web: Web, north: Tenant, idp: LocalIdp,
                                                  browser: httpx.Client) -> None:
    """Login CSRF: an attacker starts a sign-in and makes the victim's browser finish it."""
    configure(web, north, idp)
    attacker, victim = web.client(), web.client()
    callback = at_idp(browser, start(attacker, north).headers["location"])
    refused = victim.get(callback)
    assert refused.status_code == 401 and error(refused)["code"] == "sso_state_mismatch"
    start(victim, north)  # even with a binding cookie of its own
    assert error(victim.get(callback))["code"] == "sso_state_mismatch"
    assert sessions_of(north, "publisher") == 0


def test_an_expired_sign_in(web: Web, north: Tenant, idp: LocalIdp, browser: httpx.Client) -> None:
    configure(web, north, idp)
    client = web.client()
    callback = at_idp(browser, start(client, north).headers["location"])
    web.clock.advance(minutes=10, seconds=1)
    expired = client.get(callback)
    assert expired.status_code == 401 and error(expired)["code"] == "sso_state_expired"
    assert "/token" not in idp.requests  # refused before the code was used


@pytest.mark.parametrize(("knob", "value", "reason"), [
    ("nonce", "someone-elses-nonce", "nonce"),
    ("audience", "another-client", "aud"),
    ("exp_offset", -120, "exp"),
    ("signing", "bad_signature", "signature"),
])
def test_bad_id_tokens_are_refused(web: Web, north: Tenant, idp: LocalIdp, browser: httpx.Client, knob: str,
                                   value: Any, reason: str) -> None:
    configure(web, north, idp)
    setattr(idp.misbehave, knob, value)
    _, answer = sign_in(web, browser, north)
    assert answer.status_code == 401 and error(answer)["code"] == "sso_token_invalid", answer.text
    assert "set-cookie" not in answer.headers and sessions_of(north, "publisher") == 0


def test_a_refusal_at_the_identity_provider(web: Web, north: Tenant, idp: LocalIdp, browser: httpx.Client) -> None:
    configure(web, north, idp)
    idp.misbehave.deny = "access_denied"
    _, answer = sign_in(web, browser, north)
    assert error(answer)["code"] == "sso_denied" and "script" not in answer.text


def test_an_unverified_email_is_not_matched(web: Web, north: Tenant, idp: LocalIdp, browser: httpx.Client) -> None:
    configure(web, north, idp)
    for verified in (False, None):
        idp.user.email_verified = verified
        _, answer = sign_in(web, browser, north)
        assert answer.status_code == 401 and error(answer)["code"] == "sso_email_not_allowed"
    with north.sessions() as session:
        assert session.execute(select(MemberIdentity)).first() is None


def test_allowed_domains(web: Web, north: Tenant, idp: LocalIdp, browser: httpx.Client) -> None:
    configure(web, north, idp, allowed_email_domains=["police.example.uk"])
    _, answer = sign_in(web, browser, north)  # publisher@north.example.com is outside the domain
    assert error(answer)["code"] == "sso_email_not_allowed"


def test_a_member_of_another_organisation_is_refused(web: Web, north: Tenant, south: Tenant, idp: LocalIdp,
                                                     browser: httpx.Client) -> None:
    configure(web, north, idp)
    configure(web, south, idp)
    idp.user.email = "publisher@south.example.com"
    _, answer = sign_in(web, browser, north)
    assert answer.status_code == 401 and error(answer)["code"] == "sso_unknown_user"
    south_member = signed_in(web, browser, south)  # the same account is linked in south ...
    assert south_member.get(f"{API}/auth/session").json()["organisation"]["slug"] == "south"
    _, answer = sign_in(web, browser, north)  # ... which gives nothing in north
    assert error(answer)["code"] == "sso_unknown_user"
    with north.sessions() as session:
        assert session.execute(select(MemberIdentity).where(MemberIdentity.organisation_id == north.id)
                               ).first() is None


def test_a_removed_member_cannot_sign_in(web: Web, north: Tenant, idp: LocalIdp, browser: httpx.Client) -> None:
    configure(web, north, idp)
    member = signed_in(web, browser, north)
    admin = web.signed_in(north, "admin")
    assert admin.delete(f"{API}/members/{north.member_ids['publisher']}", json={"reason": "Left"}).status_code == 204
    assert member.get(f"{API}/teams").status_code == 401
    _, answer = sign_in(web, browser, north)
    assert error(answer)["code"] == "sso_unknown_user"


def test_unknown_organisation_or_no_provider(web: Web, north: Tenant, idp: LocalIdp) -> None:
    client = web.client()
    for slug in ("north", "atlantis"):
        answer = client.get(f"{API}/auth/sso/start", params={"organisation": slug})
        assert answer.status_code == 404 and error(answer)["code"] == "not_found"
    configure(web, north, idp, enabled=False)
    assert start(client, north).status_code == 404


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "relative",
                                    "/ok\r\nSet-Cookie: x=y"])
def test_return_to_stays_on_this_site(web: Web, north: Tenant, idp: LocalIdp, target: str) -> None:
    configure(web, north, idp)
    answer = start(web.client(), north, return_to=target)
    assert answer.status_code == 422 and error(answer)["code"] == "invalid_input"


def test_a_second_factor_where_one_is_needed(web: Web, north: Tenant, idp: LocalIdp, browser: httpx.Client) -> None:
    configure(web, north, idp)
    admin = web.signed_in(north, "admin")
    with north.sessions.begin() as session:
        session.execute(update(Organisation).where(Organisation.id == north.id).values(mfa_required=True))
    idp.misbehave.extra_claims = {"amr": ["pwd"]}
    _, answer = sign_in(web, browser, north)
    assert answer.status_code == 401 and error(answer)["code"] == "sso_mfa_required"
    idp.misbehave.extra_claims = {}
    member = signed_in(web, browser, north)  # amr has mfa: no Warden second factor needed on top
    me = member.get(f"{API}/auth/session").json()
    assert me["mfa_enrolment_required"] is False and me["mfa_at"] is not None
    assert member.get(f"{API}/teams").status_code == 200
    assert admin.get(f"{API}/auth/session").json()["mfa_enrolment_required"] is True  # password, no factor


# -- 'refuse' mode and linking -----------------------------------------------------------------


def test_refuse_mode_needs_a_link_made_by_the_member(web: Web, north: Tenant, idp: LocalIdp,
                                                     browser: httpx.Client) -> None:
    configure(web, north, idp, unknown_identities="refuse")
    _, answer = sign_in(web, browser, north)
    assert answer.status_code == 401 and error(answer)["code"] == "sso_unknown_user"
    member = web.signed_in(north, "publisher")  # with a password
    assert member.get(f"{API}/auth/session").json()["step_up"] == ["password"]
    make_stale(north, "publisher")
    stale = member.post(f"{API}/auth/sso/link", json={"return_to": "/settings"})
    assert stale.status_code == 401 and error(stale)["code"] == "step_up_required"
    assert member.post(f"{API}/auth/reauth", json={"password": PASSWORD}).status_code == 200
    idp.user.email = "someone.else@gmail.example"  # linking does not go by e-mail address
    started = member.post(f"{API}/auth/sso/link", json={"return_to": "/settings"})
    assert started.status_code == 200, started.text
    linked = member.get(at_idp(browser, started.json()["authorization_url"]))
    assert linked.status_code == 303 and linked.headers["location"] == "/settings"
    assert "member.sso_linked" in audit_actions(north)
    assert member.get(f"{API}/auth/session").json()["step_up"] == ["password", "sso"]
    client = signed_in(web, browser, north)
    assert client.get(f"{API}/auth/session").json()["member"]["email"] == "publisher@north.example.com"
    other = web.signed_in(north, "contributor")  # the same account cannot be linked to a second member
    taken = other.get(at_idp(browser, other.post(f"{API}/auth/sso/link", json={}).json()["authorization_url"]))
    assert taken.status_code == 401 and error(taken)["code"] == "sso_account_mismatch"


def test_api_tokens_cannot_start_sso_flows(web: Web, north: Tenant, idp: LocalIdp) -> None:
    configure(web, north, idp)
    owner = web.signed_in(north, "publisher")
    token = owner.post(f"{API}/tokens", json={"name": "x", "scopes": ["drafts:read"]}).json()["token"]
    bearer = web.client()
    for path in ("reauth", "link"):
        answer = bearer.post(f"{API}/auth/sso/{path}", json={}, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 403 and error(answer)["code"] == "session_required"


# -- step-up at the identity provider ----------------------------------------------------------


def test_step_up_at_the_identity_provider(web: Web, north: Tenant, idp: LocalIdp, browser: httpx.Client) -> None:
    configure(web, north, idp)
    admin = web.signed_in(north, "admin")
    sso_only = organisations.add_member(north.sessions, north.principal("admin"), email="chief@north.example.com",
                                        display_name="Chief", password=None, roles={north.team: ["admin"]},
                                        hasher=HASHER)
    idp.user.email, idp.user.sub = "chief@north.example.com", "chief-01"
    chief = signed_in(web, browser, north)
    assert chief.get(f"{API}/auth/session").json()["step_up"] == ["sso"]  # no password to type
    with north.sessions.begin() as session:
        session.execute(update(SessionRow).where(SessionRow.member_id == sso_only).values(
            authenticated_at=datetime.now(UTC) - timedelta(minutes=6), mfa_at=datetime.now(UTC) - timedelta(minutes=6)))
    refused = chief.post(f"{API}/lockdown", json={"reason": "Account compromise"})
    assert error(refused)["code"] == "step_up_required" and error(refused)["details"]["mfa"] is True
    assert error(chief.post(f"{API}/auth/reauth", json={"password": PASSWORD}))["code"] == "invalid_credentials"

    started = chief.post(f"{API}/auth/sso/reauth", json={"return_to": "/admin"})
    assert started.status_code == 200
    asked = dict(parse_qsl(urlsplit(started.json()["authorization_url"]).query))
    assert asked["prompt"] == "login" and asked["max_age"] == "0"
    done = chief.get(at_idp(browser, started.json()["authorization_url"]))
    assert done.status_code == 303 and done.headers["location"] == "/admin"
    assert chief.post(f"{API}/lockdown", json={"reason": "Account compromise"}).status_code == 200
    assert audit_actions(north)[-2:] == ["session.reauthenticated", "organisation.lockdown"]

    # The provider must really have asked again, and for the same account.
    idp.misbehave.extra_claims = {"auth_time": int(time.time()) - 3600}
    stale = chief.get(at_idp(browser, chief.post(f"{API}/auth/sso/reauth", json={}).json()["authorization_url"]))
    assert stale.status_code == 401 and error(stale)["code"] == "sso_not_reauthenticated"
    idp.misbehave.extra_claims = {}
    idp.user.sub = "user-0001"  # another person's account at the provider (linked to publisher below)
    other = chief.get(at_idp(browser, chief.post(f"{API}/auth/sso/reauth", json={}).json()["authorization_url"]))
    assert other.status_code == 401 and error(other)["code"] == "sso_account_mismatch"
    assert admin.get(f"{API}/teams").status_code == 200


# -- the admin settings ------------------------------------------------------------------------


def test_admin_settings_are_step_up_audited_and_never_show_the_secret(web: Web, north: Tenant, idp: LocalIdp,
                                                                        browser: httpx.Client) -> None:
    admin = web.signed_in(north, "admin")
    empty = admin.get(f"{API}/sso").json()
    assert empty["configured"] is False and empty["redirect_uri"] == CALLBACK
    base = {"issuer": idp.issuer, "client_id": CLIENT_ID}
    assert error(admin.request("PUT", f"{API}/sso", json=base))["code"] == "invalid_input"  # a secret, first time
    insecure = admin.request("PUT", f"{API}/sso", json={**base, "issuer": "http://idp.example",
                                                         "client_secret": CLIENT_SECRET})
    assert insecure.status_code == 422 and "https" in error(insecure)["message"]
    publisher = web.signed_in(north, "publisher")
    assert error(publisher.get(f"{API}/sso"))["code"] == "forbidden"
    assert error(publisher.request("PUT", f"{API}/sso", json={**base, "client_secret": "x"}))["code"] == "forbidden"

    made = admin.request("PUT", f"{API}/sso", json={**base, "client_secret": CLIENT_SECRET,
                                                   "allowed_email_domains": ["North.Example.com"]})
    assert made.status_code == 200, made.text
    shown = made.json()
    assert shown["configured"] and shown["client_secret_set"] and shown["allowed_email_domains"] == [
        "north.example.com"]
    assert CLIENT_SECRET not in made.text and CLIENT_SECRET not in admin.get(f"{API}/sso").text
    with north.sessions() as session:
        stored = session.get(OidcProviderRow, north.id)
        assert stored is not None and CLIENT_SECRET.encode() not in stored.client_secret
        bodies = " ".join(session.execute(select(AuditEntryRow.body)).scalars())
    assert CLIENT_SECRET not in bodies and "organisation.sso_configured" in bodies

    changed = admin.request("PUT", f"{API}/sso", json={**base, "unknown_identities": "refuse"})  # keeps the secret
    assert changed.status_code == 200 and changed.json()["unknown_identities"] == "refuse"
    idp.user.email = "admin@north.example.com"
    _, answer = sign_in(web, browser, north)
    assert error(answer)["code"] == "sso_unknown_user"  # the new setting applies at once, the secret still works
    assert idp.client_auth == ["client_secret_basic"]

    make_stale(north, "admin")
    for stale in (admin.request("PUT", f"{API}/sso", json=base), admin.delete(f"{API}/sso")):
        assert stale.status_code == 401 and error(stale)["code"] == "step_up_required"
    assert admin.post(f"{API}/auth/reauth", json={"password": PASSWORD}).status_code == 200
    assert admin.delete(f"{API}/sso").status_code == 204
    assert admin.get(f"{API}/sso").json()["configured"] is False
    assert start(web.client(), north).status_code == 404
    assert error(admin.delete(f"{API}/sso"))["code"] == "invalid_state"
    assert audit_actions(north).count("organisation.sso_configured") == 2
    assert "organisation.sso_removed" in audit_actions(north)


def test_sso_settings_are_per_organisation(web: Web, north: Tenant, south: Tenant, idp: LocalIdp) -> None:
    configure(web, north, idp)
    south_admin = web.signed_in(south, "admin")
    assert south_admin.get(f"{API}/sso").json()["configured"] is False
    assert error(south_admin.delete(f"{API}/sso"))["code"] == "invalid_state"
    with north.sessions() as session:
        assert session.get(OidcProviderRow, north.id) is not None
    with north.sessions.begin() as session:  # a ciphertext copied to another organisation does not decrypt
        row = session.get(OidcProviderRow, north.id)
        assert row is not None
        session.add(OidcProviderRow(organisation_id=south.id, issuer=row.issuer, client_id=row.client_id,
                                    client_secret=row.client_secret, allowed_email_domains=[],
                                    unknown_identities="link_by_email"))
    broken = start(web.client(), south)
    assert broken.status_code == 500 and error(broken)["code"] == "internal_error"
    assert CLIENT_SECRET not in broken.text


def test_member_rows_untouched_by_a_failed_sign_in(web: Web, north: Tenant, idp: LocalIdp,
                                                   browser: httpx.Client) -> None:
    configure(web, north, idp)
    idp.misbehave.audience = "another-client"
    sign_in(web, browser, north)
    with north.sessions() as session:
        assert session.get(Member, north.member_ids["publisher"]).status == "active"  # type: ignore[union-attr]
        assert session.execute(select(MemberIdentity)).first() is None


# -- the bound on pending sign-ins per client address --------------------------------------------


def test_sign_ins_pending_from_one_address_are_bounded(bounded: Web, north: Tenant, idp: LocalIdp) -> None:
    configure(bounded, north, idp)
    for _ in range(3):  # three browsers in one office
        assert start(bounded.client(), north).status_code == 303
    client = bounded.client()
    refused = start(client, north)
    assert refused.status_code == 429 and error(refused)["code"] == "sso_too_many_pending"
    assert "finish or wait for the sign-ins already started from this network" in error(refused)["message"]
    wait = int(refused.headers["retry-after"])
    assert 500 < wait <= 600 and error(refused)["details"]["retry_after"] == wait  # until the oldest expires
    assert "set-cookie" not in refused.headers
    rows = pending(north)
    assert len(rows) == 3  # nothing written for the refused one
    key = bounded.app.state.warden.identifier_key  # keyed: the address cannot be recovered by trying them all
    assert {row.address_hash for row in rows} == {address_hash(key, "127.0.0.1")}
    assert address_hash(key, "127.0.0.1") != address_hash(b"another key", "127.0.0.1")

    page = client.get(f"{API}/auth/sso/start", params={"organisation": north.slug}, headers={"accept": "text/html"})
    assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
    assert int(page.headers["retry-after"]) == wait and "Single sign-on did not work" in page.text
    assert "finish or wait for the sign-ins already started" in page.text
    member = bounded.signed_in(north, "publisher")  # a step-up started from the same network counts too
    stepping_up = member.post(f"{API}/auth/sso/reauth", json={})
    assert stepping_up.status_code == 429 and error(stepping_up)["code"] == "sso_too_many_pending"
    assert len(pending(north)) == 3


def test_another_address_still_starts(bounded: Web, north: Tenant, idp: LocalIdp) -> None:
    configure(bounded, north, idp)
    for host in ("2001:db8:1:1::1", "2001:db8:1:1::2", "2001:db8:1:1::3"):  # one IPv6 /64, three hosts
        assert start(bounded.client(host), north).status_code == 303
    assert start(bounded.client("2001:db8:1:1::4"), north).status_code == 429
    for host in ("127.0.0.1", "203.0.113.7", "2001:db8:1:2::1"):
        assert start(bounded.client(host), north).status_code == 303, host
    assert len(pending(north)) == 6


def test_a_finished_or_expired_sign_in_frees_its_place(bounded: Web, north: Tenant, idp: LocalIdp,
                                                       browser: httpx.Client) -> None:
    configure(bounded, north, idp)
    first = bounded.client()
    started = start(first, north)
    for _ in range(2):
        start(bounded.client(), north)
    assert start(bounded.client(), north).status_code == 429
    finished = first.get(at_idp(browser, started.headers["location"]))  # the callback uses it up
    assert finished.status_code == 303, finished.text
    assert start(bounded.client(), north).status_code == 303
    assert start(bounded.client(), north).status_code == 429
    bounded.clock.advance(minutes=10, seconds=1)  # every pending one expires
    for _ in range(3):
        assert start(bounded.client(), north).status_code == 303
    assert start(bounded.client(), north).status_code == 429
    assert len(pending(north)) == 3
