"""Hostile content on screen: the corpus in ``xss_payloads.txt`` (one payload per line; read with
``split("\\n")``, since some payloads hold U+2028 and other characters that ``splitlines`` breaks on)
arrives through the real ingest path (``workflow.inbox.accept`` then ``file_pending``) as message
texts, author handles and author names of a separate organisation, and every console page that shows
inbound content is opened in Chromium: every inbox page, every case page (with every hidden message
revealed through htmx).

On each page: no script ran (payloads set ``window.__pwned`` or open a dialog; dialogs, script errors,
console errors and CSP violation events are all counted, see ``console_browser.Console``), the
Content-Security-Policy header is in force with no 'unsafe-inline' or 'unsafe-eval' for scripts, no
template was evaluated (``tmpl[{{7*7}}]`` and ``{{7*7}}`` are shown as written; neither ``tmpl[49]``
nor ``{{49}}`` appears), and every payload shown there is on the page as text,
character for character (escaped, not stripped). The console shows no attachment names (messages
carry no attachment list; media-only messages show a fixed placeholder), so there are none to test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from console_browser import Console, World
from sqlalchemy import select
from web_org import build_tenant

from warden.domain.messages import MAX_HANDLE, Incoming
from warden.storage.tables import Case, Message, SocialAccount
from warden.workflow import inbox

pytestmark = pytest.mark.browser
CORPUS = Path(__file__).with_name("xss_payloads.txt")
PER_THREAD = 30
TEMPLATE_PROBE = "tmpl[{{7*7}}]"
REVEAL_BUTTONS_FEWER = """n => Array.from(document.querySelectorAll('button'))
                               .filter(b => b.textContent.startsWith('Reveal the hidden message')).length < n"""
SHOW_BUTTONS_FEWER = """n => Array.from(document.querySelectorAll('button'))
                             .filter(b => b.textContent.trim() === 'Show the message').length < n"""
PAGE_STATE = """() => ({pwned: window.__pwned === undefined ? null : String(window.__pwned),
                        csp: (window.__warden && window.__warden.csp) || [], text: document.body.textContent})"""


def payloads() -> list[str]:
    return [line for line in CORPUS.read_text(encoding="utf-8").split("\n") if line]


def test_the_corpus_is_large_varied_and_distinct() -> None:
    corpus = payloads()
    assert len(corpus) >= 300 and len(set(corpus)) == len(corpus)
    for family in ("<script", "onerror=", "javascript:", "data:text/html", "<svg", "<math", "srcdoc", "expression(",
                   "url(javascript", "{{7*7}}", "hx-get", "hx-on", "\"><", "&#", "\u202e", "onload="):
        assert any(family.lower() in p.lower() for p in corpus), family


@dataclass
class Hostile:
    world: World
    threads: list[str]  # thread keys of the many-message cases
    shown_in_threads: set[str]  # every payload shown on those case pages (text, handle or name)
    inbox_expected: set[str]  # payloads the inbox must show (author names and handles of single cases)


def _short(payload: str, fallback: str) -> str:
    return payload if len(payload) <= MAX_HANDLE else fallback


@pytest.fixture(scope="module")
def hostile(world: World) -> Iterator[Hostile]:
    """A separate organisation whose inbound messages are the corpus: every payload once as the text of a
    message in a thread of PER_THREAD (with other payloads as its author's handle and name), and once as
    the text, handle or name of a single-message case (the inbox shows each case's latest message)."""
    engine = world.tenant.sessions.kw["bind"]
    tenant = build_tenant(engine, f"hostile{uuid.uuid4().hex[:6]}")
    corpus = payloads()
    start = datetime.now(UTC) - timedelta(hours=2)
    items: list[Incoming] = []
    threads = [uuid.uuid4().hex for _ in range(0, len(corpus), PER_THREAD)]
    shown: set[str] = set()
    for i, text in enumerate(corpus):
        handle = _short(corpus[(i + 1) % len(corpus)], f"@handle{i}")
        name = _short(corpus[(i + 2) % len(corpus)], "")
        shown.update({text, handle, name} - {""})
        items.append(Incoming(network_id=f"t{i}", thread_key=threads[i // PER_THREAD], kind="reply",
                              author_handle=handle, author_name=name, text=text, sent_at=start + timedelta(seconds=i)))
    expected: set[str] = set()
    for i, payload in enumerate(corpus):
        short = _short(payload, "")
        named = i % 2 == 1 and bool(short)
        if short:
            expected.add(short)
        items.append(Incoming(network_id=f"s{i}", thread_key=f"single-{i}", kind="comment",
                              author_handle=short if short and not named else f"@single{i}",
                              author_name=short if named else "", text=payload,
                              sent_at=start + timedelta(minutes=30, seconds=i)))
    with tenant.sessions.begin() as session:
        account = session.get(SocialAccount, tenant.corporate)
        assert account is not None
        assert inbox.accept(session, account, items, "hostile-corpus") == len(items)
    while inbox.file_pending(tenant.sessions, tenant.id, limit=500).filed:
        pass
    with tenant.sessions() as session:
        stored = session.execute(select(Message.id).where(Message.organisation_id == tenant.id)).all()
        first = session.execute(select(Case.id, Message.id).join(Message, Message.thread_key == Case.thread_key).where(
            Message.organisation_id == tenant.id, Case.organisation_id == tenant.id,
            Message.network_id.in_([f"t{k}" for k in range(0, len(corpus), PER_THREAD)]))).all()
    assert len(stored) == len(items)
    hostile_world = World(base=world.base, tenant=tenant, totp_email=world.totp_email,
                          totp_secret=world.totp_secret, log=world.log)
    for case_id, message_id in first:  # hidden: withheld until revealed through the htmx partial
        hostile_world.hide(case_id, message_id)
    yield Hostile(hostile_world, threads, shown, expected)


def _check_page(page: Any, response: Any, where: str) -> str:
    """The page's headers and state after loading; returns its text."""
    csp = response.headers.get("content-security-policy", "")
    script_src = next((d for d in csp.split(";") if d.strip().startswith("script-src")), "")
    assert script_src.strip() == "script-src 'self'", f"{where}: {csp!r}"
    assert "unsafe-inline" not in csp.replace("style-src 'self'", "") and "unsafe-eval" not in csp, where
    state = page.evaluate(PAGE_STATE)
    assert state["pwned"] is None, f"{where}: a payload ran ({state['pwned']})"
    assert not state["csp"], f"{where}: Content-Security-Policy violations {state['csp']}"  # per document
    text: str = state["text"]
    assert "tmpl[49]" not in text and "{{49}}" not in text, f"{where}: a template was evaluated"
    return text


def test_the_inbox_shows_every_payload_as_text_and_runs_none(console: Console, hostile: Hostile) -> None:
    console.world = hostile.world
    page = console.signed_in("moderator")
    seen = ""
    response = page.goto("/inbox")
    pages = 0
    while True:
        pages += 1
        seen += _check_page(page, response, f"inbox page {pages}")
        assert page.locator("tbody tr").count() > 0
        following = page.get_by_role("link", name="Next page")
        if following.count() == 0:
            break
        with page.expect_navigation() as navigation:
            following.click()
        response = navigation.value
    assert pages >= len(payloads()) // 50
    missing = [p for p in hostile.inbox_expected if p not in seen]
    assert not missing, f"{len(missing)} payloads not shown literally in the inbox, e.g. {missing[:3]}"
    assert TEMPLATE_PROBE in seen and "{{7*7}}" in seen
    console.audit(page, "hostile-inbox")


def test_every_case_page_shows_its_payloads_as_text_and_runs_none(console: Console, hostile: Hostile) -> None:
    console.world = hostile.world
    page = console.signed_in("moderator")
    with hostile.world.tenant.sessions() as session:
        case_ids = session.execute(select(Case.id).where(Case.organisation_id == hostile.world.tenant.id,
                                                         Case.thread_key.in_(hostile.threads))).scalars().all()
    assert len(case_ids) == len(hostile.threads)
    seen = ""
    revealed = 0
    for number, case_id in enumerate(case_ids):
        response = page.goto(f"/cases/{case_id}")
        _check_page(page, response, f"case {number}")
        buttons = page.get_by_role("button", name="Reveal the hidden message", exact=False)
        while buttons.count():
            before = buttons.count()
            buttons.first.click()  # htmx swaps the revealed text in: hostile text through the partial
            page.wait_for_function(REVEAL_BUTTONS_FEWER, arg=before)
            revealed += 1
        shows = page.get_by_role("button", name="Show the message", exact=True)
        while shows.count():  # a clicked button is renamed "Blur the message again": take the first each time
            before = shows.count()
            shows.first.click()
            page.wait_for_function(SHOW_BUTTONS_FEWER, arg=before)
        seen += _check_page(page, response, f"case {number} after revealing")
        if number == 0:
            console.audit(page, "hostile-case")
    assert revealed == len(case_ids)  # the first message of every thread was hidden
    missing = [p for p in hostile.shown_in_threads if p not in seen]
    assert not missing, f"{len(missing)} payloads not shown literally on the case pages, e.g. {missing[:3]}"
    assert TEMPLATE_PROBE in seen and "{{7*7}}" in seen
