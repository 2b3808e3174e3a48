"""Screenshots of the living demo for the README (docs/screenshots/*.png).

Starts `warden demo` on a free port, lets the replay accounts deliver for a while, then
signs in as the demo's members in Debian's Chromium and photographs the main pages.

    .venv/bin/python tools/readme_screenshots.py [--out docs/screenshots] [--wait 40]
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RISKY = "Wayne Marsh, 41, of Eastgate has been charged and we all know he did it. Call 07700 900123 with more."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--wait", type=float, default=40, help="seconds of replay before the pictures")
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        demo = subprocess.Popen([sys.executable, "-m", "warden", "demo", "--port", str(port), "--directory", tmp],  # noqa: S603
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert demo.stdout is not None
        logins: dict[str, str] = {}
        slug = password = ""
        for line in demo.stdout:
            if found := re.search(r"organisation (\S+), password (\S+) for", line):
                slug, password = found.group(1), found.group(2)
            elif found := re.match(r"\s+(\w+)\s+(\S+@\S+)$", line):
                logins[found.group(1)] = found.group(2)
            elif "Ctrl-C stops" in line:
                break
        try:
            time.sleep(options.wait)
            shoot(f"http://127.0.0.1:{port}", slug, password, logins, options.out)
        finally:
            demo.terminate()
            demo.wait(timeout=30)


def shoot(base: str, slug: str, password: str, logins: dict[str, str], out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])

        def signed_in(role: str):  # type: ignore[no-untyped-def]
            page = browser.new_page(base_url=base, viewport={"width": 1280, "height": 860})
            page.goto("/sign-in")
            page.get_by_label("Organisation").fill(slug)
            page.get_by_label("Email address").fill(logins[role])
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda url: "/sign-in" not in url)
            return page

        moderator = signed_in("moderator")
        moderator.goto("/inbox")
        moderator.screenshot(path=str(out / "inbox.png"))
        moderator.locator("table a[href^='/cases/']").first.click()
        moderator.wait_for_load_state()
        moderator.screenshot(path=str(out / "case.png"))
        author = signed_in("contributor")
        author.goto("/compose")
        author.locator("input[name=account_id]").first.check()
        author.wait_for_load_state("networkidle")
        author.get_by_label("Your post").fill(RISKY)
        author.locator("#check mark").first.wait_for(timeout=15_000)
        author.screenshot(path=str(out / "compose.png"))
        approver = signed_in("approver")
        approver.goto("/approvals")
        approver.screenshot(path=str(out / "approvals.png"))
        admin = signed_in("admin")
        admin.goto("/dashboard")
        admin.wait_for_timeout(1500)  # the charts draw
        admin.screenshot(path=str(out / "dashboard.png"), full_page=True)
        browser.close()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main()
