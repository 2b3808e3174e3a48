"""Load, validate and fingerprint policy packs."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import re2
import yaml
from pydantic import ValidationError

from warden.domain.errors import PolicyError
from warden.policy.schema import PolicyPack

BUILTIN_PACKS = ("uk-policing", "enterprise")
MAX_POLICY_BYTES = 2_000_000


@dataclass(frozen=True)
class Policy:
    """A validated pack with its revision hash and compiled patterns."""

    pack: PolicyPack
    revision: str
    patterns: tuple[tuple[str, str, int, str, Any], ...]  # name, category, severity, explanation, compiled

    @property
    def id(self) -> str:
        return self.pack.id

    @cached_property
    def triggers(self) -> tuple[tuple[frozenset[str], tuple[str, ...]], ...]:
        """Per rule, the exact categories and the prefixes ("pii.") that can
        make it fire, so evaluation skips rules at set speed."""
        out = []
        for rule in self.pack.rules:
            exact = frozenset(c for c in rule.when.any if not c.endswith(".*"))
            prefixes = tuple(c[:-1] for c in rule.when.any if c.endswith(".*"))
            out.append((exact, prefixes))
        return tuple(out)


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("str", "PerAccount") or "function-after" in str(part):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


_KEYED = re.compile(r"^([a-z_][\w\[\].]*): (.*)$", re.DOTALL)


def _explain(error: ValidationError, source: str) -> PolicyError:
    lines = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        location = _location(tuple(item["loc"]))
        keyed = _KEYED.match(message)
        if keyed:  # a model-level check that names the key inside its object
            inner, message = keyed.groups()
            location = inner if location == "(top level)" else f"{location}.{inner}"
        lines.append(f"  {location}: {message}")
    unique = list(dict.fromkeys(lines))
    return PolicyError(f"invalid policy {source}:\n" + "\n".join(unique))


def _compile_pattern(index: int, regex: str) -> Any:
    try:
        re.compile(regex)  # readable syntax errors; never executed here
    except re.error as exc:
        raise PolicyError(f"invalid policy: patterns[{index}].regex: {exc}") from exc
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = False
    try:
        return re2.compile(regex, options)
    except re2.error as exc:
        raise PolicyError(
            f"invalid policy: patterns[{index}].regex: not supported by the linear-time matcher "
            f"(back-references and look-arounds are not allowed): {exc}") from exc


def revision_of(pack: PolicyPack) -> str:
    canonical = json.dumps(pack.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def parse(text: str, source: str = "<text>") -> Policy:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"invalid policy {source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"invalid policy {source}: expected a mapping at the top level")
    try:
        pack = PolicyPack.model_validate(data)
    except ValidationError as exc:
        raise _explain(exc, source) from exc
    patterns = tuple(
        (p.name, p.category, p.severity, p.explanation or f"pattern {p.name!r}", _compile_pattern(i, p.regex))
        for i, p in enumerate(pack.patterns)
    )
    return Policy(pack=pack, revision=revision_of(pack), patterns=patterns)


def load_file(path: str | Path) -> Policy:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {path}: {exc.strerror}") from exc
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyError(f"policy file {path} is larger than {MAX_POLICY_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"policy file {path} is not valid UTF-8 (byte {exc.start})") from exc
    return parse(text, str(path))


@lru_cache(maxsize=8)
def builtin(name: str = "uk-policing") -> Policy:
    if name not in BUILTIN_PACKS:
        raise PolicyError(f"unknown built-in policy {name!r}; choose one of: {', '.join(BUILTIN_PACKS)}")
    text = resources.files("warden.policy.packs").joinpath(f"{name}.yaml").read_text("utf-8")
    return parse(text, f"built-in pack {name}")


def load(reference: str | Path | None) -> Policy:
    """A built-in pack by name, or a pack file by path (default: UK policing)."""
    if reference is None:
        return builtin()
    if isinstance(reference, str) and reference in BUILTIN_PACKS:
        return builtin(reference)
    return load_file(reference)
