"""Helpers for the console's browser tests: the running server's world, a watched browser, signing in."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import select
from web_org import PASSWORD, Tenant

from warden.domain.messages import Incoming
from warden.storage.tables import AuditEntryRow
from warden.workflow import cases, filing
from warden.workflow.principal import system

SERIOUS = ("serious", "critical")
CSP_PROBE = """
window.__warden = {csp: []};
document.addEventListener('securitypolicyviolation', function (e) {
  window.__warden.csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
});
"""


def tag() -> str:
    """A unique marker for texts in a shared test server: consonants only, so it can never read as a
    postcode, a phone number or a word the risk engine reacts to (a hex tag like "b3f6ab" is a postcode)."""
    return "".join(random.SystemRandom().choice("bcdfghjkmnpqrstvwxz") for _ in range(8))


@dataclass
class World:
    """The running server and its seeded organisation."""

    base: str
    tenant: Tenant
    totp_email: str
    totp_secret: str
    log: Path
    made: list[str] = field(default_factory=list)

    def draft(self, role: str, text: str, account: str = "corporate") -> uuid.UUID:
        return self.tenant.draft(role, text, account)

    def inbound(self, text: str, *, thread: str | None = None, author: str = "@someone", name: str = "Some One",
                kind: str = "reply") -> tuple[uuid.UUID, uuid.UUID]:
        """A message arriving on the corporate account: (message id, case id)."""
        got = filing.receive(self.tenant.sessions, system(self.tenant.id), self.tenant.corporate, Incoming(
            network_id=uuid.uuid4().hex, thread_key=thread or uuid.uuid4().hex, kind=kind, author_handle=author,
            author_name=name, text=text, sent_at=datetime.now(UTC)))
        return got.message_id, got.case_id

    def hide(self, case_id: uuid.UUID, message_id: uuid.UUID) -> None:
        from warden.storage.tables import Case

        with self.tenant.sessions() as session:
            version = session.execute(select(Case.version).where(Case.id == case_id)).scalar_one()
        cases.act(self.tenant.sessions, self.tenant.principal("moderator"), case_id, "hide", version,
                  message_id=message_id)

    def audit_actions(self) -> list[str]:
        with self.tenant.sessions() as session:
            return list(session.execute(select(AuditEntryRow.action).where(
                AuditEntryRow.organisation_id == self.tenant.id).order_by(AuditEntryRow.seq)).scalars())

    def email(self, role: str) -> str:
        return self.totp_email if role == "totp" else self.tenant.email(role)


class Console:
    """Browser contexts for one test; every page is watched for CSP violations, script errors and dialogs."""

    def __init__(self, browser: Any, world: World, artefacts: Path, test_name: str) -> None:
        self.browser = browser
        self.world = world
        self.artefacts = artefacts
        self.test_name = test_name
        self.contexts: list[Any] = []
        self.pages: list[Any] = []
        self.problems: list[str] = []

    def page(self) -> Any:
        context = self.browser.new_context(base_url=self.world.base, viewport={"width": 1280, "height": 900},
                                           locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(10_000)
        context.add_init_script(CSP_PROBE)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("console", lambda message: self.problems.append(f"console {message.type}: {message.text}")
                if message.type == "error" and "Failed to load resource" not in message.text else None)

        def dialog(opened: Any) -> None:
            self.problems.append(f"dialog: {opened.message}")
            opened.dismiss()

        page.on("dialog", dialog)
        self.pages.append(page)
        return page

    def signed_in(self, role: str) -> Any:
        page = self.page()
        sign_in(page, self.world, role)
        return page

    def csp_violations(self) -> list[str]:
        found = []
        for page in self.pages:
            if page.is_closed():
                continue
            found.extend(page.evaluate("() => (window.__warden && window.__warden.csp) || []"))
        return found

    def audit(self, page: Any, name: str) -> None:
        """axe-core on the page as it is now (0 serious or critical violations) and a screenshot."""
        page.wait_for_load_state("load")
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(url="/static/vendor/axe.min.js")
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        page.screenshot(path=str(self.artefacts / f"{name}.png"), full_page=True)
        bad = [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"] if v["impact"] in SERIOUS]
        assert not bad, f"{name}: accessibility violations:\n{json.dumps(bad, indent=1)}"

    def close(self) -> None:
        violations = self.csp_violations()
        for context in self.contexts:
            context.close()
        assert not violations, f"Content-Security-Policy violations: {violations}"
        problems = without_superseded_checks(self.problems)
        assert not problems, f"problems in the browser: {problems}"


def without_superseded_checks(problems: list[str]) -> list[str]:
    """Drop the errors htmx logs for a request it aborted on purpose: ``hx-sync="...:replace"`` cancels a
    check that a newer one supersedes (a slow machine makes that likely), and htmx reports the abort as
    ``htmx:afterRequest`` then ``htmx:sendAbort``. A failed request still shows (``htmx:responseError`` ...)."""
    kept: list[str] = []
    for problem in problems:
        if problem.startswith("console error: htmx:sendAbort"):
            if kept and kept[-1].startswith("console error: htmx:afterRequest"):
                kept.pop()
            continue
        kept.append(problem)
    return kept



def sign_in(page: Any, world: World, role: str, password: str = PASSWORD) -> None:
    page.goto("/sign-in")
    page.get_by_label("Organisation").fill(world.tenant.slug)
    page.get_by_label("Email address").fill(world.email(role))
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if role == "totp":
        page.get_by_label("6-digit code").fill(pyotp.TOTP(world.totp_secret).now())
        page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)
