"""Signing in and out in a real browser: password, then the code when the member has one; errors
that do not say whether the account exists; single sign-on offered for an organisation that has it (with
the local identity provider); own sessions and revoking them."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from console_browser import Console, sign_in
from console_browser import tag as unique_tag
from web_org import PASSWORD, build_tenant

sys.path.append(str(Path(__file__).resolve().parents[2] / "auth"))
from oidc_idp import CLIENT_ID, CLIENT_SECRET, LocalIdp, User

pytestmark = pytest.mark.browser


def error_text(page: Any) -> str:
    return str(page.locator("[data-error-summary]").inner_text())


def attempt(page: Any, organisation: str, email: str, password: str) -> str:
    page.goto("/sign-in")
    page.get_by_label("Organisation").fill(organisation)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    return error_text(page)


def test_sign_in_does_not_say_which_part_was_wrong_and_signs_out(console: Console) -> None:
    world = console.world
    page = console.page()
    page.goto("/compose")
    assert re.search(r"/sign-in\?next=/compose$", page.url)
    console.audit(page, "sign-in")
    wrong_password = attempt(page, "north", world.email("contributor"), "not-the-password")
    unknown_member = attempt(page, "north", "nobody@north.example.com", PASSWORD)
    unknown_org = attempt(page, "nowhere", world.email("contributor"), PASSWORD)
    assert wrong_password == unknown_member == unknown_org
    assert "organisation, email or password is not right" in wrong_password
    assert page.get_by_label("Password").input_value() == ""  # never sent back
    console.audit(page, "sign-in-error")
    sign_in(page, world, "contributor")
    assert page.url.endswith("/")
    assert page.get_by_role("heading", level=1).inner_text() == "Hello, Contributor North"
    console.audit(page, "home")
    page.goto("/account/second-factor")
    console.audit(page, "second-factor")
    page.goto("/drafts/00000000-0000-4000-8000-000000000000")
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    console.audit(page, "not-found")
    page.goto("/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in\?signed_out=1$"))
    assert "You have signed out" in page.locator("[role=status]").inner_text()
    page.goto("/drafts")
    assert "/sign-in" in page.url


def test_sign_in_with_a_second_factor(console: Console) -> None:
    world = console.world
    page = console.page()
    page.goto("/sign-in")
    page.get_by_label("Organisation").fill("north")
    page.get_by_label("Email address").fill(world.totp_email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("6-digit code").wait_for()
    console.audit(page, "sign-in-code")
    page.get_by_label("6-digit code").fill("000000" if pyotp.TOTP(world.totp_secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Continue").click()
    assert "The code is not right" in error_text(page)
    page.get_by_label("6-digit code").fill(pyotp.TOTP(world.totp_secret).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: url.endswith("/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Hello, Tess Totp"


def test_own_sessions_can_be_revoked(console: Console) -> None:
    elsewhere = console.signed_in("auditor")
    page = console.signed_in("auditor")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Your sessions").click()
    rows = page.locator("tbody tr")
    assert rows.count() >= 2
    assert page.locator("tbody tr", has_text="This browser").count() == 1
    console.audit(page, "sessions")
    others = page.locator("tbody tr", has_not_text="This browser")
    while others.count():
        others.first.get_by_role("button").click()
        assert "The session was signed out" in page.locator("[role=status]").inner_text()
    assert page.locator("tbody tr").count() == 1
    elsewhere.reload()
    assert "/sign-in" in elsewhere.url


def test_single_sign_on_is_offered_where_the_organisation_has_it(console: Console) -> None:
    """Against the local identity provider, in an organisation of its own: the button appears on the sign-in
    page for that organisation only, and signs the member in where they were going."""
    world = console.world
    tenant = build_tenant(world.tenant.sessions.kw["bind"], f"sso-{unique_tag()}")
    idp = LocalIdp().start()
    try:
        idp.redirect_uri = f"{world.base}/api/v1/auth/sso/callback"
        idp.user = User(sub=f"sub-{unique_tag()}", email=tenant.email("moderator"))
        with httpx.Client(base_url=world.base) as api:
            signed = api.post("/api/v1/auth/login", json={"organisation": tenant.slug, "email": tenant.email("admin"),
                                                          "password": PASSWORD})
            assert signed.status_code == 200, signed.text
            configured = api.put("/api/v1/sso", headers={"X-CSRF-Token": signed.json()["csrf_token"]}, json={
                "issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
            assert configured.status_code == 200, configured.text

        page = console.page()
        for address in ("/sign-in", "/sign-in?organisation=north", "/sign-in?organisation=nowhere"):
            page.goto(address)
            assert page.get_by_role("link", name="Sign in with single sign-on").count() == 0
        assert attempt(page, tenant.slug, tenant.email("moderator"), "not-the-password")
        assert page.get_by_role("link", name="Sign in with single sign-on").count() == 1  # the typed organisation

        page.goto(f"/sign-in?organisation={tenant.slug}&next=/inbox")
        assert page.get_by_label("Organisation").input_value() == tenant.slug
        console.audit(page, "sign-in-sso")
        page.get_by_role("link", name="Sign in with single sign-on").click()
        page.wait_for_url(lambda url: url.endswith("/inbox"))
        assert page.get_by_role("heading", level=1).inner_text() == "Inbox"
        assert "Moderator" in page.locator("header").inner_text()
        assert idp.count("/authorize") == 1 and idp.count("/token") == 1
    finally:
        idp.stop()
