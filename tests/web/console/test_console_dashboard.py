"""The dashboard in a real browser: Chart.js (vendored) draws under the strict CSP, with the numbers in tables."""

from __future__ import annotations

import pytest
from console_browser import Console
from web_org import CLEAN, RISKY

pytestmark = pytest.mark.browser


def test_dashboard_draws_charts_with_the_numbers_beside_them(console: Console) -> None:
    world = console.world
    world.draft("contributor", RISKY)
    world.draft("contributor", CLEAN)
    world.inbound("I know where you live and I will kill you")
    page = console.signed_in("admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.wait_for_function("() => window.Chart !== undefined && document.querySelectorAll('canvas[data-chart]')"
                           ".length === 2 && Array.from(document.querySelectorAll('canvas')).every("
                           "c => window.Chart.getChart(c) !== undefined)")
    outbound = page.locator("section", has=page.get_by_role("heading", name="Drafts checked per day"))
    outbound.get_by_text("The numbers").click()
    today = outbound.locator("tbody tr").last.inner_text().split("\t")
    assert int(today[2]) >= 1 and int(today[4]) >= 1  # needs approval, no concerns
    assert "High and urgent cases" in page.locator(".cards").inner_text()
    console.audit(page, "dashboard")
