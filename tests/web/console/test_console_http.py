"""The console over HTTP (no browser): sign-in answers, CSRF and same-site checks, role-based
offers, tenant isolation, escaping, headers, the audited reveal, the inbox filters."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import select, update
from web_org import BLOCKED, CLEAN, PASSWORD, RISKY, Client, Tenant, Web

from warden.domain.messages import Incoming
from warden.storage.tables import AuditEntryRow, Draft, Organisation
from warden.workflow import filing
from warden.workflow.principal import system

pytestmark = pytest.mark.db
THREAT = "I know where you live and I will kill you"
REPORT = "My car was stolen last night, how do I report it?"


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]*)"', page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


def form_token_of(page: httpx.Response) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def console_sign_in(client: Client, tenant: Tenant, role: str, password: str = PASSWORD,
                    email: str | None = None, organisation: str | None = None) -> httpx.Response:
    page = client.get("/sign-in")
    return client.post("/sign-in", csrf=False, data={
        "organisation": organisation or tenant.slug, "email": email or tenant.email(role), "password": password,
        "form_token": form_token_of(page), "next": "/compose"})


def inbound(tenant: Tenant, text: str, author: str = "@someone", name: str = "Some One") -> tuple[uuid.UUID, uuid.UUID]:
    got = filing.receive(tenant.sessions, system(tenant.id), tenant.corporate, Incoming(
        network_id=uuid.uuid4().hex, thread_key=uuid.uuid4().hex, kind="reply", author_handle=author,
        author_name=name, text=text, sent_at=datetime.now(UTC)))
    return got.message_id, got.case_id


def audit_actions(tenant: Tenant) -> list[str]:
    with tenant.sessions() as session:
        return list(session.execute(select(AuditEntryRow.action).where(
            AuditEntryRow.organisation_id == tenant.id).order_by(AuditEntryRow.seq)).scalars())


def test_pages_send_strangers_to_sign_in_and_keep_the_api_in_json(web: Web, north: Tenant) -> None:
    client = web.client()
    for path in ("/", "/compose", "/drafts", "/approvals", "/inbox", f"/cases/{uuid.uuid4()}", "/account/sessions"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] in ("/sign-in", f"/sign-in?next={path}")
    htmx = client.post("/compose/check", data={"text": "x"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["hx-redirect"] == "/sign-in"
    api = client.get("/api/v1/organisations/me")
    assert api.status_code == 401 and api.json()["error"]["code"] == "not_authenticated"


def test_sign_in_answers_the_same_for_every_wrong_part(web: Web, north: Tenant) -> None:
    answers = []
    for kwargs in ({"password": "wrong-password-123"}, {"email": "nobody@north.example.com"},
                   {"organisation": "nowhere"}):
        response = console_sign_in(web.client(), north, "contributor", **kwargs)
        body = re.sub(r'value="[^"]*"', "", response.text)  # tokens and the typed-in values differ
        answers.append((response.status_code, re.sub(r'content="[^"]*"', "", body)))
        assert PASSWORD not in response.text and "wrong-password-123" not in response.text
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 401 and "The organisation, email or password is not right." in answers[0][1]
    signed = console_sign_in(web.client(), north, "contributor")
    assert signed.status_code == 303 and signed.headers["location"] == "/compose"
    assert "session" in signed.headers["set-cookie"] and "HttpOnly" in signed.headers["set-cookie"]


def test_sign_in_needs_this_browsers_form_and_never_leaves_the_site(web: Web, north: Tenant) -> None:
    client = web.client()
    stale = client.post("/sign-in", data={"organisation": north.slug, "email": north.email("admin"),
                                          "password": PASSWORD, "form_token": "forged.token"})
    assert stale.status_code == 400 and "expired" in stale.text
    assert "warden_session" not in stale.headers.get("set-cookie", "")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        browser = web.client()
        page = browser.get("/sign-in")
        done = browser.post("/sign-in", data={"organisation": north.slug, "email": north.email("admin"),
                                              "password": PASSWORD, "form_token": form_token_of(page),
                                              "next": target})
        assert done.status_code == 303 and done.headers["location"] == "/", target


def test_a_second_factor_is_asked_for_after_the_password(web: Web, north: Tenant) -> None:
    client = web.signed_in(north, "publisher")
    enrol = client.post("/api/v1/auth/mfa/enrol").json()
    code = pyotp.TOTP(enrol["secret"]).now()
    assert client.post("/api/v1/auth/mfa/confirm", json={"enrolment": enrol["enrolment"], "code": code}
                       ).status_code == 200
    browser = web.client()
    first = console_sign_in(browser, north, "publisher")
    assert first.status_code == 200 and 'name="pending"' in first.text and "session" not in first.headers.get(
        "set-cookie", "")
    pending = re.search(r'name="pending" value="([^"]+)"', first.text)
    assert pending is not None
    web.clock.advance(seconds=31)  # the enrolment code's time step is used up
    wrong = browser.post("/sign-in/code", data={"pending": pending.group(1), "code": "000000",
                                                "form_token": form_token_of(first)})
    assert wrong.status_code == 401 and "The code is not right" in wrong.text
    right = browser.post("/sign-in/code", data={
        "pending": pending.group(1), "code": pyotp.TOTP(enrol["secret"]).at(web.clock()),
        "form_token": form_token_of(wrong)})
    assert right.status_code == 303
    assert browser.get("/").status_code == 200
    elsewhere = web.client()  # the pending token is bound to the browser that typed the password
    elsewhere.get("/sign-in")
    stolen = elsewhere.post("/sign-in/code", data={"pending": pending.group(1), "code": "123456",
                                                   "form_token": form_token_of(elsewhere.get("/sign-in"))})
    assert stolen.status_code == 400 and "expired" in stolen.text


def test_state_changes_need_the_csrf_token_and_the_same_site(web: Web, north: Tenant) -> None:
    client = web.signed_in(north, "contributor")
    token = csrf_of(client.get("/compose"))
    body = {"text": CLEAN, "account_id": str(north.corporate)}
    assert client.post("/compose", csrf=False, data=body).status_code == 403
    assert client.post("/compose", csrf=False, data={**body, "csrf_token": "x.y"}).status_code == 403
    cross = client.post("/compose", csrf=False, data={**body, "csrf_token": token},
                        headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    with north.sessions() as session:
        assert session.execute(select(Draft.id).where(Draft.organisation_id == north.id)).first() is None
    made = client.post("/compose", csrf=False, data={**body, "csrf_token": token})
    assert made.status_code == 303 and re.fullmatch(r"/drafts/[0-9a-f-]{36}\?done=submitted", made.headers["location"])
    checked = client.post("/compose/check", csrf=False, data={"text": RISKY, "account_id": str(north.corporate)},
                          headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert checked.status_code == 200 and "<mark" in checked.text and "<html" not in checked.text


def test_pages_carry_the_security_headers_and_static_files_are_served(web: Web, north: Tenant) -> None:
    client = web.signed_in(north, "contributor")
    page = client.get("/compose")
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "unsafe" not in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/vendor/htmx.min.js" defer>',
                                                       '<script src="/static/js/console.js" defer>']
    for path, kind in (("/static/vendor/htmx.min.js", "javascript"), ("/static/css/console.css", "text/css"),
                       ("/static/js/console.js", "javascript")):
        asset = client.get(path)
        assert asset.status_code == 200 and kind in asset.headers["content-type"]
        assert asset.headers["cache-control"] == "no-cache" and "content-security-policy" in asset.headers
    assert client.get("/static/../app.py").status_code == 404


def test_each_role_is_offered_only_what_it_may_do(web: Web, north: Tenant) -> None:
    moderator = web.signed_in(north, "moderator")
    home = moderator.get("/").text
    assert 'href="/inbox"' in home and 'href="/compose"' not in home and 'href="/approvals"' not in home
    for path in ("/compose", "/approvals"):
        refused = moderator.get(path)
        assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
    contributor = web.signed_in(north, "contributor")
    assert contributor.get("/inbox").status_code == 403
    draft = north.draft("contributor", RISKY)
    own = contributor.get(f"/drafts/{draft}").text
    assert "/approve" not in own and "/withdraw" in own
    approver = web.signed_in(north, "approver2").get(f"/approvals/{draft}").text
    assert f"/drafts/{draft}/approve" in approver and f"/drafts/{draft}/reject" in approver
    assert "/withdraw" not in approver and "/override" not in approver
    auditor = web.signed_in(north, "auditor").get(f"/drafts/{draft}").text
    assert "What you can do" not in auditor


def test_another_organisations_things_are_not_found(web: Web, north: Tenant, south: Tenant) -> None:
    draft = north.draft("contributor", RISKY)
    _, case_id = inbound(north, THREAT)
    for role, path in (("approver2", f"/approvals/{draft}"), ("contributor", f"/drafts/{draft}"),
                       ("moderator", f"/cases/{case_id}")):
        response = web.signed_in(south, role).get(path)
        assert response.status_code == 404 and "Page not found" in response.text
        assert RISKY not in response.text


def test_hostile_text_is_escaped_everywhere_it_is_shown(web: Web, north: Tenant) -> None:
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    _, case_id = inbound(north, f"Nice work {payload}", author=f"@{payload}", name=payload)
    north.draft("contributor", f"Road closed {payload}")
    pages = [web.signed_in(north, "moderator").get(p).text for p in ("/inbox", f"/cases/{case_id}")]
    pages += [web.signed_in(north, "approver2").get("/approvals").text]
    pages += [web.signed_in(north, "contributor").get("/drafts").text]
    for text in pages:
        assert "<script>alert" not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text


def test_a_hidden_message_is_withheld_until_revealed_and_the_look_is_audited(web: Web, north: Tenant) -> None:
    message_id, case_id = inbound(north, "That officer lives at 14 Acacia Avenue, go and pay him a visit")
    moderator = web.signed_in(north, "moderator")
    page = moderator.get(f"/cases/{case_id}")
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version is not None
    hidden = moderator.post(f"/cases/{case_id}/act", csrf=False, data={
        "csrf_token": csrf_of(page), "action": "hide", "message_id": str(message_id), "version": version.group(1)})
    assert hidden.status_code == 303
    page = moderator.get(f"/cases/{case_id}")
    assert "Acacia" not in page.text  # neither the text nor the evidence quoted by the reasons
    assert "message.viewed_hidden" not in audit_actions(north)
    shown = moderator.post(f"/cases/{case_id}/messages/{message_id}/reveal", csrf=False,
                           headers={"X-CSRF-Token": csrf_of(page), "HX-Request": "true"})
    assert shown.status_code == 200 and "14 Acacia Avenue" in shown.text and "<html" not in shown.text
    assert audit_actions(north).count("message.viewed_hidden") == 1
    full = moderator.post(f"/cases/{case_id}/messages/{message_id}/reveal", csrf=False,
                          data={"csrf_token": csrf_of(page)})
    assert full.status_code == 200 and "14 Acacia Avenue" in full.text and "<html" in full.text
    assert audit_actions(north).count("message.viewed_hidden") == 2


def test_inbox_filters(web: Web, north: Tenant) -> None:
    inbound(north, THREAT, name="Threatening Person")
    inbound(north, REPORT, name="Car Owner")
    moderator = web.signed_in(north, "moderator")

    def names(query: str) -> set[str]:
        text = moderator.get(f"/inbox?{query}").text
        return {n for n in ("Threatening Person", "Car Owner") if n in text}

    assert names("") == {"Threatening Person", "Car Owner"}
    assert names("severity=4") == {"Threatening Person"}
    assert names("category=threat") == {"Threatening Person"}
    assert names("category=crime_report") == {"Car Owner"}
    assert names(f"account={north.personal}") == set()
    assert names("assignee=me") == set() and names("assignee=none") == {"Threatening Person", "Car Owner"}
    assert names("state=closed") == set() and names("state=all&category=not-a-category") == {
        "Threatening Person", "Car Owner"}
    first = moderator.get("/inbox").text
    assert first.index("Threatening Person") < first.index("Car Owner")


def test_bulk_approval_takes_only_low_risk_drafts(web: Web, north: Tenant) -> None:
    low = north.draft("contributor", CLEAN)
    risky = north.draft("contributor", RISKY)
    blocked = north.draft("contributor", BLOCKED)
    approver = web.signed_in(north, "approver2")
    page = approver.get("/approvals")
    offered = re.findall(r'name="draft" value="([^":]+):(\d+)"', page.text)
    assert [ident for ident, _ in offered] == [str(low)]
    version = offered[0][1]
    done = approver.post("/approvals/bulk-approve", csrf=False, data={
        "csrf_token": csrf_of(page), "draft": [f"{low}:{version}", f"{risky}:{version}", f"{blocked}:{version}"]})
    assert done.status_code == 409 and "Some drafts were not approved" in done.text
    with north.sessions() as session:
        states = dict(session.execute(select(Draft.id, Draft.state).where(Draft.organisation_id == north.id)).all())
    assert states == {low: "approved", risky: "held", blocked: "blocked"}


def test_an_organisation_requiring_a_second_factor_sends_members_to_enrol(web: Web, north: Tenant) -> None:
    with north.sessions.begin() as session:
        session.execute(update(Organisation).where(Organisation.id == north.id).values(mfa_required=True))
    client = web.client()
    assert console_sign_in(client, north, "moderator").status_code == 303
    assert client.get("/inbox").headers["location"] == "/account/second-factor"
    page = client.get("/account/second-factor")
    assert "Your organisation requires a second factor" in page.text
    started = client.post("/account/second-factor/start", csrf=False, data={"csrf_token": csrf_of(page)})
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', started.text)
    enrolment = re.search(r'name="enrolment" value="([^"]+)"', started.text)
    assert secret is not None and enrolment is not None
    done = client.post("/account/second-factor/confirm", csrf=False, data={
        "csrf_token": csrf_of(started), "enrolment": enrolment.group(1), "code": pyotp.TOTP(secret.group(1)).now()})
    assert done.status_code == 200 and "Your recovery codes" in done.text
    assert len(re.findall(r"<li><code>", done.text)) >= 8
    assert client.get("/inbox").status_code == 200


def test_unknown_things_are_html_pages_for_people(web: Web, north: Tenant) -> None:
    client = web.signed_in(north, "contributor")
    missing = client.get(f"/drafts/{uuid.uuid4()}")
    assert missing.status_code == 404 and "Page not found" in missing.text
    bad: Any = client.get("/drafts/not-a-uuid")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html")


def test_an_unknown_address_answers_a_browser_with_a_page_and_the_api_with_json(web: Web, north: Tenant) -> None:
    client = web.client()
    page = client.get("/no-such-page", headers={"accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text and "Sign out" not in page.text
    assert client.get("/api/v1/no-such-thing", headers={"accept": "text/html"}).json()["error"]["code"] == "not_found"
    assert client.get("/no-such-page").json()["error"]["code"] == "not_found"  # not a browser
    member = web.client()
    console_sign_in(member, north, "moderator")
    signed_in = member.get("/no-such-page/<script>alert(1)</script>", headers={"accept": "text/html"})
    assert signed_in.status_code == 404 and "Sign out" in signed_in.text and "<script>alert" not in signed_in.text


def test_connecting_says_what_is_missing_and_refuses_networks_without_oauth(web: Web, north: Tenant) -> None:
    from warden.workflow import accounts

    admin_principal = north.principal("admin")
    x_id = accounts.add_account(north.sessions, admin_principal, team_id=north.team, network="x",
                                handle="north_x", account_type="corporate", settings={"user_id": "2244994945"})
    bsky_id = accounts.add_account(north.sessions, admin_principal, team_id=north.team, network="bluesky",
                                   handle="north.bsky.social", account_type="corporate")
    admin = web.signed_in(north, "admin")
    token = csrf_of(admin.get("/accounts"))
    missing = admin.post(f"/accounts/{x_id}/connect", csrf=False, data={"csrf_token": token})
    assert missing.status_code == 422 and "client_id" in missing.text and f'href="#connect-{x_id}"' in missing.text
    no_oauth = admin.post(f"/accounts/{bsky_id}/connect", csrf=False, data={"csrf_token": token})
    assert no_oauth.status_code == 422 and "app password" in no_oauth.text
    assert "account.connect_started" not in audit_actions(north)
    moderator = web.signed_in(north, "moderator")
    refused = moderator.post(f"/accounts/{x_id}/connect", csrf=False,
                             data={"csrf_token": csrf_of(moderator.get("/accounts"))})
    assert refused.status_code == 403
