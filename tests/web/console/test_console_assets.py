"""The console's front-end files: vendored from npm at pinned versions (VENDOR.json), our own
script and templates free of inline script, inline handlers and inline style (the CSP allows none)."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

from warden.web.middleware import CSP

ROOT = Path(__file__).resolve().parents[3]
CONSOLE = ROOT / "src" / "warden" / "web" / "console"


def vendor_tool() -> ModuleType:
    """tools/vendor_assets.py, loaded by path (tools/ is not a package)."""
    if "vendor_assets" in sys.modules:
        return sys.modules["vendor_assets"]
    spec = importlib.util.spec_from_file_location("vendor_assets", ROOT / "tools" / "vendor_assets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["vendor_assets"] = module
    spec.loader.exec_module(module)
    return module


def test_vendored_files_match_vendor_json_and_package_json() -> None:
    tool = vendor_tool()
    assert tool.verify() == []
    manifest = json.loads((CONSOLE / "static" / "vendor" / "VENDOR.json").read_text("utf-8"))
    assert {a["package"] for a in manifest["assets"]} == {"htmx.org", "chart.js", "axe-core"}
    for asset in manifest["assets"]:
        assert re.fullmatch(r"[0-9a-f]{64}", asset["sha256"]) and asset["npm_integrity"].startswith("sha512-")


def test_a_changed_vendored_file_is_caught(tmp_path: Path) -> None:
    tool = vendor_tool()
    vendor = CONSOLE / "static" / "vendor"
    for path in vendor.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "htmx.min.js").write_bytes(b"alert(1)")
    assert tool.verify(tmp_path) == ["htmx.min.js does not match its sha256 in VENDOR.json"]


def test_package_json_pins_exact_versions_and_the_lock_agrees() -> None:
    tool = vendor_tool()
    pins = tool.pinned_versions()
    lock = json.loads((ROOT / "package-lock.json").read_text("utf-8"))
    assert lock["packages"][""]["dependencies"] == pins
    for name, version in pins.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


def test_templates_have_no_inline_script_handler_style_or_unescaped_output() -> None:
    templates = sorted((CONSOLE / "templates").rglob("*.html"))
    assert len(templates) > 10
    for path in templates:
        text = path.read_text("utf-8")
        for script in re.findall(r"<script\b[^>]*>", text):
            assert re.search(r'\bsrc="/static/', script), f"{path.name}: inline script {script}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"{path.name}: an inline event handler"
        assert not re.search(r"\sstyle\s*=|<style\b", text), f"{path.name}: inline style"
        assert "|safe" not in text and "Markup" not in text and "autoescape false" not in text, path.name
        assert "javascript:" not in text and "hx-on" not in text and "js:" not in text, path.name


def test_our_script_has_no_eval_and_the_csp_allows_no_inline_script() -> None:
    script = (CONSOLE / "static" / "js" / "console.js").read_text("utf-8")
    for forbidden in ("eval(", "new Function", "innerHTML", "document.write", "setTimeout(\"", "setInterval(\""):
        assert forbidden not in script
    directives = dict(part.strip().split(" ", 1) for part in CSP.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CSP
