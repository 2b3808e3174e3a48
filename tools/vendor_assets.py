"""Vendor the console's front-end files from npm into the Python package.

The console serves every file itself (no CDN), and ``pip install warden``
needs no npm: the built files are committed under
``src/warden/web/console/static/vendor/`` with ``VENDOR.json`` naming each
package, its exact version, the npm integrity of the tarball it came from,
its licence and the SHA-256 of the copied file.

Run from the repository root (needs node and npm, and the npm registry):

    python3 tools/vendor_assets.py            # install the pinned versions, copy, write VENDOR.json
    python3 tools/vendor_assets.py --check    # exit 1 when a vendored file or VENDOR.json is out of date

``npm ci`` runs in a temporary directory from ``package.json`` and
``package-lock.json`` (exact pins, integrity-checked, install scripts off), so
the repository never gets a ``node_modules``. ``--check`` without npm only
verifies the committed files against VENDOR.json (what the tests do).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = ROOT / "src" / "warden" / "web" / "console" / "static" / "vendor"
MANIFEST = VENDOR_DIR / "VENDOR.json"


@dataclass(frozen=True)
class Asset:
    package: str
    source: str  # path inside the npm package
    target: str  # file name under static/vendor/
    licence_file: str  # path inside the npm package
    purpose: str


ASSETS: tuple[Asset, ...] = (
    Asset("htmx.org", "dist/htmx.min.js", "htmx.min.js", "LICENSE",
          "partial page updates (live risk check, inline actions)"),
    Asset("chart.js", "dist/chart.umd.min.js", "chart.umd.min.js", "LICENSE.md", "dashboard charts"),
    Asset("axe-core", "axe.min.js", "axe.min.js", "LICENSE",
          "accessibility checks run by the browser tests on every page"),
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pinned_versions(root: Path = ROOT) -> dict[str, str]:
    """package.json's dependencies, which must all be exact versions."""
    dependencies: dict[str, str] = json.loads((root / "package.json").read_text("utf-8"))["dependencies"]
    for name, version in dependencies.items():
        if not version[:1].isdigit() or any(c in version for c in "^~*<>=| "):
            raise SystemExit(f"package.json: {name} must be pinned to an exact version, not {version!r}")
    return dependencies


def licence_name(asset: Asset) -> str:
    return f"{asset.target.split('.')[0]}.LICENSE.txt"


def install(workdir: Path) -> Path:
    """``npm ci`` of the pinned packages in ``workdir``; returns its node_modules."""
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(ROOT / name, workdir / name)
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not installed (apt-get install npm, or use node's installer)")
    subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--omit=dev"],  # noqa: S603
                   cwd=workdir, check=True, stdout=subprocess.DEVNULL)
    return workdir / "node_modules"


def build_manifest(modules: Path, lock: dict[str, object], out: Path) -> dict[str, object]:
    """Copy every asset and its licence from ``modules`` into ``out``; the manifest describing them."""
    packages = lock["packages"]
    assert isinstance(packages, dict)
    pins = pinned_versions()
    entries = []
    for asset in ASSETS:
        package_dir = modules / asset.package
        version = json.loads((package_dir / "package.json").read_text("utf-8"))["version"]
        if version != pins[asset.package]:
            raise SystemExit(f"{asset.package}: installed {version}, package.json pins {pins[asset.package]}")
        shutil.copyfile(package_dir / asset.source, out / asset.target)
        shutil.copyfile(package_dir / asset.licence_file, out / licence_name(asset))
        locked = packages[f"node_modules/{asset.package}"]
        entries.append({
            "package": asset.package, "version": version, "purpose": asset.purpose,
            "source": f"{asset.package}@{version}/{asset.source}", "file": asset.target,
            "sha256": sha256(out / asset.target), "licence": locked.get("license", ""),
            "licence_file": licence_name(asset), "licence_sha256": sha256(out / licence_name(asset)),
            "npm_integrity": locked.get("integrity", ""),
        })
    return {"generated_by": "tools/vendor_assets.py", "assets": entries}


def write_manifest(manifest: dict[str, object], path: Path) -> None:
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", "utf-8")


def verify(vendor_dir: Path = VENDOR_DIR) -> list[str]:
    """Problems with the committed files: each vendored file must match VENDOR.json and package.json."""
    problems = []
    manifest = json.loads((vendor_dir / "VENDOR.json").read_text("utf-8"))
    pins = pinned_versions()
    listed = {entry["package"] for entry in manifest["assets"]}
    if listed != {a.package for a in ASSETS} or set(pins) != listed:
        problems.append(f"VENDOR.json lists {sorted(listed)}, package.json pins {sorted(pins)}")
    for entry in manifest["assets"]:
        if pins.get(entry["package"]) != entry["version"]:
            problems.append(f"{entry['package']}: VENDOR.json has {entry['version']}, package.json pins "
                            f"{pins.get(entry['package'])}")
        for name, digest in ((entry["file"], entry["sha256"]), (entry["licence_file"], entry["licence_sha256"])):
            path = vendor_dir / name
            if not path.is_file():
                problems.append(f"{name} is missing")
            elif sha256(path) != digest:
                problems.append(f"{name} does not match its sha256 in VENDOR.json")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify instead of writing (exit 1 when out of date)")
    parser.add_argument("--offline", action="store_true",
                        help="with --check: only verify the committed files against VENDOR.json (no npm)")
    args = parser.parse_args(argv)
    problems = verify() if MANIFEST.exists() else ["VENDOR.json is missing"]
    if args.check and args.offline:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    lock = json.loads((ROOT / "package-lock.json").read_text("utf-8"))
    with tempfile.TemporaryDirectory(prefix="warden-vendor-") as temp:
        modules = install(Path(temp))
        staged = Path(temp) / "out"
        staged.mkdir()
        manifest = build_manifest(modules, lock, staged)
        write_manifest(manifest, staged / "VENDOR.json")
        if args.check:
            stale = [p.name for p in sorted(staged.iterdir())
                     if not (VENDOR_DIR / p.name).is_file() or (VENDOR_DIR / p.name).read_bytes() != p.read_bytes()]
            for name in stale:
                print(f"{name} is out of date: run python3 tools/vendor_assets.py", file=sys.stderr)
            return 1 if stale or problems else 0
        VENDOR_DIR.mkdir(parents=True, exist_ok=True)
        for path in staged.iterdir():
            shutil.copyfile(path, VENDOR_DIR / path.name)
    print(f"vendored {len(ASSETS)} files into {VENDOR_DIR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
