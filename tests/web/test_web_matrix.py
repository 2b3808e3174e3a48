"""Role x endpoint matrix: every operation in the served OpenAPI document, with
every role, from the same organisation and from another one.

Same organisation: the roles in ``allowed`` succeed (2xx), every other role
gets 403. Another organisation, acting on the first one's objects: never a
success; an object id in the path gives 404 to any role that could do the same
thing at home (403 is acceptable only for a role refused anyway, and it says
nothing about the object). No response to anyone ever contains an identifier
of the other organisation (0 cross-tenant leaks). Without credentials: 401.
"""

from __future__ import annotations

import io
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import Engine, select, update
from web_org import (
    BLOCKED,
    CLEAN,
    PASSWORD,
    RISKY,
    ROLES,
    WARN_PERSONAL,
    Client,
    Tenant,
    Web,
    api_settings,
    latest_session_id,
)

from warden.auth.redaction import Secret
from warden.auth.totp import totp_code, totp_step
from warden.storage.tables import (
    ApiToken,
    Case,
    Draft,
    Member,
    Message,
    Organisation,
    RecoveryCode,
    SocialAccount,
    Team,
)
from warden.storage.tables import Session as SessionRow
from warden.workflow import accounts, cases, draft_images, draft_review, filing, image_uploads
from warden.workflow.organisations import SsoSettings, configure_sso
from warden.workflow.principal import system

sys.path.append(str(Path(__file__).resolve().parents[1] / "auth"))
from oidc_idp import CLIENT_ID, CLIENT_SECRET, LocalIdp

pytestmark = pytest.mark.db
API = "/api/v1"
EVERYONE = frozenset(ROLES)
DRAFT_READERS = frozenset({"admin", "approver", "approver2", "publisher", "contributor", "auditor"})
WRITERS = frozenset({"contributor", "publisher", "approver"})
APPROVERS = frozenset({"approver", "approver2"})
ADMIN = frozenset({"admin"})
AUDIT = frozenset({"admin", "auditor"})
CASE_READERS = frozenset({"admin", "moderator", "auditor"})
MODERATORS = frozenset({"moderator"})
THREAT = "I know where you live"


@pytest.fixture
def idp() -> Iterator[LocalIdp]:
    server = LocalIdp().start()
    server.redirect_uri = "https://testserver/api/v1/auth/sso/callback"
    yield server
    server.stop()


@pytest.fixture
def web(db_engine: Engine) -> Iterator[Web]:
    """Single sign-on to the local identity provider (plain http on 127.0.0.1) is allowed here."""
    harness = Web(db_engine, api_settings(oidc_allow_insecure_localhost=True))
    yield harness
    harness.close()


@dataclass
class Call:
    path: str
    json: Any = None
    params: dict[str, str] | None = None
    client: Client | None = None  # a client of its own (e.g. logging out)
    after: Callable[[], None] | None = None
    files: dict[str, Any] | None = None  # a multipart upload (with ``form``)
    form: dict[str, str] | None = None


@dataclass
class Matrix:
    web: Web
    north: Tenant
    south: Tenant
    idp: LocalIdp
    clients: dict[tuple[str, str], Client] = field(default_factory=dict)

    def single_sign_on(self, tenant: Tenant) -> None:
        configure_sso(tenant.sessions, tenant.principal("admin"), SsoSettings(issuer=self.idp.issuer,
                      client_id=CLIENT_ID), Secret(CLIENT_SECRET), self.web.app.state.warden.cipher,
                      allow_insecure_localhost=True)

    def client(self, tenant: Tenant, role: str) -> Client:
        key = (tenant.slug, role)
        if key not in self.clients:
            self.clients[key] = self.web.signed_in(tenant, role)
        return self.clients[key]

    def version(self, draft_id: uuid.UUID) -> int:
        with self.north.sessions() as session:
            draft = session.get(Draft, draft_id)
            assert draft is not None
            return draft.version

    def approved(self) -> uuid.UUID:
        draft_id = self.north.draft("contributor", CLEAN)
        draft_review.approve(self.north.sessions, self.north.principal("approver2"), draft_id, self.version(draft_id))
        return draft_id

    def received(self, text: str = THREAT) -> filing.Received:
        """A fresh case on north's corporate account, through the workflow."""
        key = uuid.uuid4().hex[:12]
        incoming = filing.Incoming(network_id=f"n-{key}", thread_key=f"t-{key}", kind="reply",
                                   author_handle="@someone", text=text, sent_at=datetime.now(UTC))
        return filing.receive(self.north.sessions, system(self.north.id), self.north.corporate, incoming)

    def case_version(self, case_id: uuid.UUID) -> int:
        with self.north.sessions() as session:
            case = session.get(Case, case_id)
            assert case is not None
            return case.version

    def closed_case(self) -> uuid.UUID:
        case_id = self.received().case_id
        cases.close(self.north.sessions, self.north.principal("moderator"), case_id, self.case_version(case_id))
        return case_id

    def set_lockdown(self, tenant: Tenant, locked: bool) -> None:
        with tenant.sessions.begin() as session:
            session.execute(update(Organisation).where(Organisation.id == tenant.id).values(locked_down=locked))

    def clear_mfa(self, tenant: Tenant, role: str) -> None:
        member_id = tenant.member_ids[role]
        with tenant.sessions.begin() as session:
            session.execute(update(Member).where(Member.id == member_id).values(totp_secret=None,
                                                                                totp_last_step=None))
            for row in session.execute(select(RecoveryCode).where(RecoveryCode.member_id == member_id)).scalars():
                session.delete(row)

    def fingerprints(self, tenant: Tenant) -> set[str]:
        """Every identifier and name that belongs to ``tenant`` alone."""
        org = tenant.id
        marks = {str(org), f"@{tenant.slug}.example.com", f"{tenant.slug}_police", f"{tenant.slug}_pc_jones",
                 f"{tenant.slug.title()} Police", f" {tenant.slug.title()}"}
        with tenant.sessions() as session:
            for model in (Team, Member, SocialAccount, Draft, ApiToken, Case, Message):
                marks |= {str(i) for i in session.execute(select(model.id).where(  # type: ignore[attr-defined]
                    model.organisation_id == org)).scalars()}  # type: ignore[attr-defined]
            marks |= set(session.execute(select(SessionRow.id).where(SessionRow.organisation_id == org)).scalars())
        return marks


Builder = Callable[[Matrix, str, Tenant], Call]


@dataclass(frozen=True)
class Op:
    allowed: frozenset[str]
    build: Builder
    ids_in_body: bool = False  # the request body names the other organisation's objects
    ids_in_query: bool = False  # a list filtered on the other organisation's objects: refused, or empty


def _draft(text: str, who: str = "contributor", account: str = "corporate", submit: bool = True) -> Builder:
    def build(m: Matrix, role: str, actor: Tenant) -> Call:
        return Call(str(m.north.draft(who, text, account, submit)))
    return build


def draft_action(action: str, make: Callable[[Matrix], uuid.UUID], **body: Any) -> Builder:
    def build(m: Matrix, role: str, actor: Tenant) -> Call:
        draft_id = make(m)
        suffix = f"/{action}" if action else ""
        return Call(f"{API}/drafts/{draft_id}{suffix}", {"expected_version": m.version(draft_id), **body})
    return build


def _with_image(m: Matrix) -> tuple[uuid.UUID, uuid.UUID]:
    draft_id = m.north.draft("contributor", CLEAN)
    image = draft_images.attach_media(m.north.sessions, m.north.principal("contributor"), draft_id, _image(),
                                      m.version(draft_id))
    return draft_id, image


def _image() -> image_uploads.Upload:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(out, "PNG")
    return image_uploads.Upload("sign.png", out.getvalue(), "A green square")


def _attach(m: Matrix, role: str, actor: Tenant) -> Call:
    draft_id = m.north.draft("contributor", CLEAN)
    image = _image()
    return Call(f"{API}/drafts/{draft_id}/media", files={"file": (image.filename, image.data, "image/png")},
                form={"alt_text": image.alt_text, "expected_version": str(m.version(draft_id))})


def _remove(m: Matrix, role: str, actor: Tenant) -> Call:
    draft_id, image = _with_image(m)
    return Call(f"{API}/drafts/{draft_id}/media/{image}", params={"expected_version": str(m.version(draft_id))})


def _image_file(m: Matrix, role: str, actor: Tenant) -> Call:
    draft_id, image = _with_image(m)
    return Call(f"{API}/drafts/{draft_id}/media/{image}")


def fixed(path: str, body: Any = None, params: dict[str, str] | None = None) -> Builder:
    return lambda m, role, actor: Call(path, body, params)


def _login(m: Matrix, role: str, actor: Tenant) -> Call:
    return Call(f"{API}/auth/login", {"organisation": m.north.slug, "email": actor.email(role), "password": PASSWORD},
                client=m.web.client())


def _logout(m: Matrix, role: str, actor: Tenant) -> Call:
    return Call(f"{API}/auth/logout", client=m.web.signed_in(actor, role))


def _own_session(m: Matrix, role: str, actor: Tenant) -> Call:
    m.web.signed_in(m.north, role)  # a second session of the north member
    return Call(f"{API}/auth/sessions/{latest_session_id(m.north, role)}")


def _confirm(m: Matrix, role: str, actor: Tenant) -> Call:
    started = m.client(m.north, role).post(f"{API}/auth/mfa/enrol").json()
    code = totp_code(started["secret"], totp_step(m.web.clock()))
    return Call(f"{API}/auth/mfa/confirm", {"enrolment": started["enrolment"], "code": code},
                after=lambda: m.clear_mfa(m.north, role))


def _own_token(m: Matrix, role: str, actor: Tenant) -> Call:
    made = m.client(m.north, role).post(f"{API}/tokens", json={"name": "matrix", "scopes": ["drafts:read"]})
    return Call(f"{API}/tokens/{made.json()['id']}")


def _throwaway_member(m: Matrix) -> uuid.UUID:
    from web_org import HASHER

    from warden.workflow import organisations

    return organisations.add_member(m.north.sessions, m.north.principal("admin"),
                                    email=f"temp-{uuid.uuid4().hex[:8]}@example.org", display_name="Temp",
                                    password=None, roles={m.north.team: ["contributor"]}, hasher=HASHER)


def _with_second_factor(m: Matrix, member_id: uuid.UUID) -> uuid.UUID:
    """Something to reset (the secret's bytes are never read here)."""
    with m.north.sessions.begin() as session:
        session.execute(update(Member).where(Member.id == member_id).values(totp_secret=b"sealed"))
    return member_id


def _connect(m: Matrix, role: str, actor: Tenant) -> Call:
    account_id = accounts.add_account(m.north.sessions, m.north.principal("admin"), team_id=m.north.team,
                                      network="x", handle=f"x_{uuid.uuid4().hex[:8]}",
                                      account_type="corporate", settings={"user_id": "1"})
    return Call(f"{API}/accounts/{account_id}/connect", {"client_id": "matrix-client"})


def _disconnect(m: Matrix, role: str, actor: Tenant) -> Call:
    account_id = accounts.add_account(m.north.sessions, m.north.principal("admin"), team_id=m.north.team,
                                      network="replay", handle=f"r_{uuid.uuid4().hex[:8]}", account_type="corporate",
                                      settings={"file": "/nonexistent/feed.jsonl"}, files_allowed=True)
    return Call(f"{API}/accounts/{account_id}/disconnect", {"reason": "Matrix test"})


def _lockdown(locked_before: bool) -> Builder:
    def build(m: Matrix, role: str, actor: Tenant) -> Call:
        m.set_lockdown(actor, locked_before)
        return Call(f"{API}/lockdown", {"reason": "Matrix test"}, after=lambda: m.set_lockdown(actor, False))
    return build


def _sso_removal(m: Matrix, role: str, actor: Tenant) -> Call:
    return Call(f"{API}/sso", after=lambda: m.single_sign_on(actor))


def _new_draft(m: Matrix, role: str, actor: Tenant) -> Call:
    return Call(f"{API}/drafts", {"team_id": str(m.north.team), "account_ids": [str(m.north.corporate)],
                                  "text": CLEAN})


def _new_account(m: Matrix, role: str, actor: Tenant) -> Call:
    return Call(f"{API}/accounts", {"team_id": str(m.north.team), "network": "mastodon",
                                    "handle": f"acct_{uuid.uuid4().hex[:8]}", "account_type": "neighbourhood",
                                    "credentials": "app-password-123"})


def _new_member(m: Matrix, role: str, actor: Tenant) -> Call:
    return Call(f"{API}/members", {"email": f"new-{uuid.uuid4().hex[:8]}@example.org", "display_name": "New Starter",
                                   "roles": [{"team_id": str(m.north.team), "role": "contributor"}]})


def case_action(step: str, make: Callable[[Matrix], uuid.UUID], **body: Any) -> Builder:
    def build(m: Matrix, role: str, actor: Tenant) -> Call:
        case_id = make(m)
        return Call(f"{API}/cases/{case_id}/{step}", {"expected_version": m.case_version(case_id), **body})
    return build


def _new_case(m: Matrix) -> uuid.UUID:
    return m.received().case_id


def _reply(m: Matrix, role: str, actor: Tenant) -> Call:
    got = m.received("When is the next neighbourhood meeting?")
    return Call(f"{API}/cases/{got.case_id}/replies", {
        "expected_version": m.case_version(got.case_id), "message_id": str(got.message_id),
        "text": "Thank you for asking: it is on Tuesday at 7pm in the library."})


def _inbound(m: Matrix, role: str, actor: Tenant) -> Call:
    key = uuid.uuid4().hex[:12]
    return Call(f"{API}/accounts/{m.north.corporate}/messages", {
        "network_id": f"n-{key}", "thread_key": f"t-{key}", "kind": "mention", "author_handle": "@someone",
        "text": THREAT, "sent_at": datetime.now(UTC).isoformat()})


def _later() -> str:
    return (datetime.now(UTC) + timedelta(hours=2)).isoformat()


OPS: dict[tuple[str, str], Op] = {
    ("POST", "/auth/login"): Op(EVERYONE, _login),
    ("POST", "/auth/logout"): Op(EVERYONE, _logout),
    ("GET", "/auth/session"): Op(EVERYONE, fixed(f"{API}/auth/session")),
    ("POST", "/auth/reauth"): Op(EVERYONE, fixed(f"{API}/auth/reauth", {"password": PASSWORD})),
    ("GET", "/auth/sessions"): Op(EVERYONE, fixed(f"{API}/auth/sessions")),
    ("DELETE", "/auth/sessions/{session_id}"): Op(EVERYONE, _own_session),
    ("POST", "/auth/mfa/enrol"): Op(EVERYONE, fixed(f"{API}/auth/mfa/enrol")),
    ("POST", "/auth/mfa/confirm"): Op(EVERYONE, _confirm, ids_in_body=True),
    ("POST", "/tokens"): Op(EVERYONE, fixed(f"{API}/tokens", {"name": "matrix", "scopes": ["drafts:read"]})),
    ("GET", "/tokens"): Op(EVERYONE, fixed(f"{API}/tokens")),
    ("DELETE", "/tokens/{token_id}"): Op(EVERYONE, _own_token),
    ("GET", "/organisations/me"): Op(EVERYONE, fixed(f"{API}/organisations/me")),
    ("PUT", "/organisations/me/mfa"): Op(ADMIN, fixed(f"{API}/organisations/me/mfa",
                                                     {"required": False, "reason": "Matrix test"})),
    ("GET", "/teams"): Op(EVERYONE, fixed(f"{API}/teams")),
    ("POST", "/teams"): Op(ADMIN, lambda m, r, a: Call(f"{API}/teams", {"name": f"Team {uuid.uuid4().hex[:8]}"})),
    ("GET", "/members"): Op(ADMIN, fixed(f"{API}/members")),
    ("POST", "/members"): Op(ADMIN, _new_member, ids_in_body=True),
    ("GET", "/members/{member_id}"): Op(ADMIN, lambda m, r, a: Call(f"{API}/members/{m.north.member_ids['auditor']}")),
    ("DELETE", "/members/{member_id}"): Op(ADMIN, lambda m, r, a: Call(f"{API}/members/{_throwaway_member(m)}",
                                                                       {"reason": "Left"})),
    ("POST", "/members/{member_id}/second-factor/reset"): Op(ADMIN, lambda m, r, a: Call(
        f"{API}/members/{_with_second_factor(m, _throwaway_member(m))}/second-factor/reset", {"reason": "Lost phone"})),
    ("PUT", "/members/{member_id}/roles"): Op(ADMIN, lambda m, r, a: Call(
        f"{API}/members/{_throwaway_member(m)}/roles", {"roles": [{"team_id": str(m.north.team), "role": "auditor"}]})),
    ("POST", "/auth/sso/reauth"): Op(EVERYONE, fixed(f"{API}/auth/sso/reauth", {})),
    ("POST", "/auth/sso/link"): Op(EVERYONE, fixed(f"{API}/auth/sso/link", {})),
    ("GET", "/sso"): Op(ADMIN, fixed(f"{API}/sso")),
    ("PUT", "/sso"): Op(ADMIN, lambda m, r, a: Call(f"{API}/sso", {"issuer": m.idp.issuer, "client_id": CLIENT_ID})),
    ("DELETE", "/sso"): Op(ADMIN, _sso_removal),
    ("POST", "/lockdown"): Op(ADMIN, _lockdown(False)),
    ("DELETE", "/lockdown"): Op(ADMIN, _lockdown(True)),
    ("GET", "/accounts"): Op(EVERYONE, lambda m, r, a: Call(f"{API}/accounts", params={"team_id": str(m.north.team)}),
                             ids_in_query=True),
    ("POST", "/accounts"): Op(ADMIN, _new_account, ids_in_body=True),
    ("POST", "/accounts/{account_id}/connect"): Op(ADMIN, _connect),
    ("POST", "/accounts/{account_id}/disconnect"): Op(ADMIN, _disconnect),
    ("GET", "/accounts/{account_id}"): Op(EVERYONE, lambda m, r, a: Call(f"{API}/accounts/{m.north.corporate}")),
    ("POST", "/accounts/{account_id}/messages"): Op(ADMIN, _inbound),
    ("GET", "/cases"): Op(CASE_READERS, lambda m, r, a: Call(f"{API}/cases", params={
        "account_id": str(m.north.corporate)}), ids_in_query=True),
    ("GET", "/cases/{case_id}"): Op(CASE_READERS, lambda m, r, a: Call(f"{API}/cases/{_new_case(m)}")),
    ("POST", "/cases/{case_id}/assign"): Op(MODERATORS, lambda m, r, a: case_action(
        "assign", _new_case, assignee_id=str(m.north.member_ids["moderator"]))(m, r, a)),
    ("POST", "/cases/{case_id}/actions"): Op(MODERATORS, case_action("actions", _new_case, action="escalate")),
    ("POST", "/cases/{case_id}/close"): Op(MODERATORS, case_action("close", _new_case, reason="Dealt with")),
    ("POST", "/cases/{case_id}/replies"): Op(MODERATORS, _reply),
    ("GET", "/cases/{case_id}/replies"): Op(CASE_READERS, lambda m, r, a: Call(f"{API}/cases/{_new_case(m)}/replies")),
    ("POST", "/cases/{case_id}/reopen"): Op(MODERATORS, case_action("reopen", Matrix.closed_case,
                                                                    reason="Author wrote again")),
    ("GET", "/messages/{message_id}"): Op(CASE_READERS, lambda m, r, a: Call(
        f"{API}/messages/{m.received().message_id}")),
    ("POST", "/messages/{message_id}/findings/{index}/verdict"): Op(MODERATORS, lambda m, r, a: Call(
        f"{API}/messages/{m.received().message_id}/findings/0/verdict", {"agree": True})),
    ("POST", "/drafts"): Op(WRITERS, _new_draft, ids_in_body=True),
    ("GET", "/drafts"): Op(DRAFT_READERS, lambda m, r, a: Call(f"{API}/drafts", params={
        "team_id": str(m.north.team), "author_id": str(m.north.member_ids["contributor"])}), ids_in_query=True),
    ("GET", "/drafts/{draft_id}"): Op(DRAFT_READERS, lambda m, r, a: Call(
        f"{API}/drafts/{m.north.draft('contributor', RISKY)}")),
    ("PATCH", "/drafts/{draft_id}"): Op(frozenset({"contributor"}), draft_action(
        "", lambda m: m.north.draft("contributor", RISKY), text=CLEAN)),
    ("POST", "/drafts/{draft_id}/submit"): Op(frozenset({"contributor"}), lambda m, r, a: Call(
        f"{API}/drafts/{m.north.draft('contributor', CLEAN, submit=False)}/submit", {})),
    ("POST", "/drafts/{draft_id}/acknowledge"): Op(frozenset({"publisher"}), draft_action(
        "acknowledge", lambda m: m.north.draft("publisher", WARN_PERSONAL, "personal"))),
    ("POST", "/drafts/{draft_id}/approve"): Op(APPROVERS, draft_action(
        "approve", lambda m: m.north.draft("contributor", RISKY))),
    ("POST", "/drafts/{draft_id}/reject"): Op(APPROVERS, draft_action(
        "reject", lambda m: m.north.draft("contributor", RISKY), reason="Not our tone")),
    ("POST", "/drafts/{draft_id}/request-changes"): Op(APPROVERS, draft_action(
        "request-changes", lambda m: m.north.draft("contributor", RISKY), reason="Kinder words please")),
    ("POST", "/drafts/{draft_id}/override"): Op(APPROVERS, draft_action(
        "override", lambda m: m.north.draft("contributor", BLOCKED), reason="Authorised by the SIO for an appeal")),
    ("POST", "/drafts/{draft_id}/schedule"): Op(frozenset({"publisher", "approver", "approver2"}), draft_action(
        "schedule", Matrix.approved, scheduled_for=_later())),
    ("POST", "/drafts/{draft_id}/withdraw"): Op(frozenset({"contributor"}), draft_action(
        "withdraw", lambda m: m.north.draft("contributor", RISKY))),
    ("POST", "/drafts/{draft_id}/media"): Op(frozenset({"contributor"}), _attach),
    ("DELETE", "/drafts/{draft_id}/media/{media_id}"): Op(frozenset({"contributor"}), _remove),
    ("GET", "/drafts/{draft_id}/media/{media_id}"): Op(DRAFT_READERS, _image_file),
    ("GET", "/audit"): Op(AUDIT, fixed(f"{API}/audit", params={"action": "draft."})),
    ("GET", "/audit/export"): Op(AUDIT, fixed(f"{API}/audit/export", params={"action": "team."})),
    ("POST", "/check"): Op(WRITERS, fixed(f"{API}/check", {"text": CLEAN})),
}


def _send(m: Matrix, method: str, call: Call, client: Client) -> Any:
    if call.files is not None:
        response = client.request(method, call.path, files=call.files, data=call.form, params=call.params)
    else:
        response = client.request(method, call.path, json=call.json, params=call.params)
    if call.after is not None:
        call.after()
    return response


def test_every_operation_with_every_role_from_both_organisations(web: Web, north: Tenant, south: Tenant,
                                                                 idp: LocalIdp) -> None:
    m = Matrix(web, north, south, idp)
    m.single_sign_on(north)
    m.single_sign_on(south)
    spec = web.client().get(f"{API}/openapi.json").json()
    served = {(method.upper(), path.removeprefix(API)) for path, ops in spec["paths"].items() for method in ops}
    assert served == set(OPS), f"not in the matrix: {served - set(OPS)}; gone: {set(OPS) - served}"
    prints = {"north": m.fingerprints(north), "south": m.fingerprints(south)}
    failures: list[str] = []
    leaks: list[str] = []
    requests = 0

    def leak_check(actor: Tenant, label: str, text: str) -> None:
        other = "south" if actor.slug == "north" else "north"
        prints[other] = m.fingerprints(south if other == "south" else north)  # objects made since the last look
        found = sorted(p for p in prints[other] if p in text)
        if found:
            leaks.append(f"{label}: {found[:3]} in {text[:200]}")

    for (method, path), op in sorted(OPS.items()):
        for role in ROLES:
            # The same organisation.
            call = op.build(m, role, north)
            response = _send(m, method, call, call.client or m.client(north, role))
            requests += 1
            ok = response.status_code < 300 if role in op.allowed else response.status_code == 403
            if not ok:
                failures.append(f"north {role:11} {method} {path}: {response.status_code} {response.text[:160]}")
            leak_check(north, f"north {role} {method} {path}", response.text)
            # Another organisation, naming north's objects.
            call = op.build(m, role, south)
            response = _send(m, method, call, call.client or m.client(south, role))
            requests += 1
            status = response.status_code
            if "{" in path:
                ok = status == 404 if role in op.allowed else status in (403, 404)
            elif op.ids_in_body or path == "/auth/login":
                ok = status in (401, 403, 404, 422)
            elif op.ids_in_query:
                ok = status in (403, 404) or (status == 200 and response.json()["items"] == [])
            else:
                ok = status < 300 if role in op.allowed else status == 403
            if not ok:
                failures.append(f"south {role:11} {method} {path}: {status} {response.text[:160]}")
            leak_check(south, f"south {role} {method} {path}", response.text)
    anonymous = web.client()
    for method, path in sorted(OPS):
        if path == "/auth/login":
            continue
        concrete = path.replace("{session_id}", "0" * 64)
        for name in ("token_id", "member_id", "account_id", "draft_id", "case_id", "message_id", "media_id"):
            concrete = concrete.replace("{" + name + "}", str(uuid.uuid4()))
        concrete = concrete.replace("{index}", "0")
        response = anonymous.request(method, f"{API}{concrete}", json={})
        requests += 1
        if response.status_code != 401 or response.json()["error"]["code"] != "not_authenticated":
            failures.append(f"anonymous {method} {path}: {response.status_code}")
    assert not failures, f"{len(failures)} of {requests} requests wrong:\n" + "\n".join(failures)
    assert not leaks, f"{len(leaks)} cross-tenant leaks:\n" + "\n".join(leaks)
    assert requests == len(OPS) * len(ROLES) * 2 + len(OPS) - 1
