"""Loads and validates the lexicon YAML files, one category per file.

A file looks like::

    category: insult            # must equal the file name without ".yaml"
    version: 1                  # integer >= 1, bumped when entries change
    description: Insults aimed at a person
    source: Warden curated
    default_severity: 2         # optional, 1-3; entries without severity take it (else 1)
    entries:
      - term: idiot
        severity: 2             # 1 mild, 2 strong, 3 severe
        variants: [idiots, idiotic]
      - term: "muppet*"         # trailing * = prefix match

Every problem raises ``LexiconError`` naming the file, the entry index and
the key, so a bad edit is found without reading the loader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from warden.detectors.normalise import normalise_term
from warden.domain.errors import LexiconError

DATA_DIR = Path(__file__).with_name("data")

_CATEGORY = re.compile(r"^[a-z][a-z0-9_]*$")
_FILE_KEYS = frozenset({"category", "version", "description", "source", "default_severity", "entries"})
_REQUIRED_FILE_KEYS = ("category", "version", "description", "source", "entries")
_ENTRY_KEYS = frozenset({"term", "severity", "variants"})

# libyaml's safe loader is several times faster; the pure-Python one is the fallback.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Entry:
    """One lexicon entry: a canonical term, its severity and its other spellings."""

    term: str
    severity: int
    variants: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.term, *self.variants)


@dataclass(frozen=True, slots=True)
class Lexicon:
    category: str
    version: int
    description: str
    source: str
    entries: tuple[Entry, ...]
    path: str = ""


def _fail(where: str, message: str) -> LexiconError:
    return LexiconError(f"{where}: {message}")


def _severity(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3:
        raise _fail(where, f"must be an integer 1-3 (1 mild, 2 strong, 3 severe), got {value!r}")
    return value


def _spelling(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _fail(where, f"must be a string, got {type(value).__name__} {value!r}")
    text = value.strip()
    if not text:
        raise _fail(where, "must not be empty")
    body = text[:-1] if text.endswith("*") else text
    key = normalise_term(body)
    if not key:
        raise _fail(where, f"{value!r} is empty after normalisation")
    if len(key) < 2:
        raise _fail(where, f"{value!r} reads as {key!r}, too short to match safely")
    return text


def _entry(raw: Any, where: str, default_severity: int) -> Entry:
    if not isinstance(raw, dict):
        raise _fail(where, f"must be a mapping with a 'term' key, got {type(raw).__name__}")
    unknown = sorted(str(k) for k in raw if k not in _ENTRY_KEYS)
    if unknown:
        raise _fail(f"{where}.{unknown[0]}", f"unknown key (allowed: {', '.join(sorted(_ENTRY_KEYS))})")
    if "term" not in raw:
        raise _fail(f"{where}.term", "missing required key")
    term = _spelling(raw["term"], f"{where}.term")
    severity = _severity(raw["severity"], f"{where}.severity") if "severity" in raw else default_severity
    variants_raw = raw.get("variants", [])
    if variants_raw is None:
        variants_raw = []
    if not isinstance(variants_raw, list):
        raise _fail(f"{where}.variants", f"must be a list of strings, got {type(variants_raw).__name__}")
    variants = tuple(_spelling(v, f"{where}.variants[{j}]") for j, v in enumerate(variants_raw))
    return Entry(term=term, severity=severity, variants=variants)


def _key(spelling: str) -> tuple[str, bool]:
    prefix = spelling.endswith("*")
    return normalise_term(spelling[:-1] if prefix else spelling), prefix


def parse_lexicon(data: Any, name: str, *, expected_category: str | None = None) -> Lexicon:
    """Validate one parsed YAML document; ``name`` is used in error messages."""
    if not isinstance(data, dict):
        raise _fail(name, f"top level must be a mapping, got {type(data).__name__}")
    unknown = sorted(str(k) for k in data if k not in _FILE_KEYS)
    if unknown:
        raise _fail(f"{name}: {unknown[0]}", f"unknown key (allowed: {', '.join(sorted(_FILE_KEYS))})")
    for required in _REQUIRED_FILE_KEYS:
        if required not in data:
            raise _fail(f"{name}: {required}", "missing required key")
    category = data["category"]
    if not isinstance(category, str) or not _CATEGORY.match(category):
        raise _fail(f"{name}: category", f"must be a lower-case identifier, got {category!r}")
    if expected_category is not None and category != expected_category:
        raise _fail(f"{name}: category", f"{category!r} does not match the file name {expected_category!r}")
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _fail(f"{name}: version", f"must be an integer >= 1, got {version!r}")
    for text_key in ("description", "source"):
        value = data[text_key]
        if not isinstance(value, str) or not value.strip():
            raise _fail(f"{name}: {text_key}", "must be a non-empty string")
    default = _severity(data["default_severity"], f"{name}: default_severity") if "default_severity" in data else 1
    raw_entries = data["entries"]
    if not isinstance(raw_entries, list) or not raw_entries:
        raise _fail(f"{name}: entries", "must be a non-empty list")
    entries: list[Entry] = []
    owner: dict[tuple[str, bool], int] = {}
    for i, raw in enumerate(raw_entries):
        where = f"{name}: entries[{i}]"
        entry = _entry(raw, where, default)
        labels = ["term", *(f"variants[{j}]" for j in range(len(entry.variants)))]
        for label, spelling in zip(labels, entry.spellings, strict=True):
            first = owner.setdefault(_key(spelling), i)
            if first != i:
                raise _fail(
                    f"{where}.{label}",
                    f"{spelling!r} reads the same as a spelling of entries[{first}] "
                    f"({entries[first].term!r}); merge them",
                )
        entries.append(entry)
    return Lexicon(
        category=category,
        version=version,
        description=str(data["description"]).strip(),
        source=str(data["source"]).strip(),
        entries=tuple(entries),
        path=name,
    )


def load_file(path: Path) -> Lexicon:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path.name, f"cannot read: {exc}") from exc
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise _fail(path.name, f"invalid YAML{at}: {problem}") from exc
    return parse_lexicon(data, path.name, expected_category=path.stem)


def load_lexicons(directory: Path | None = None, paths: Iterable[Path] | None = None) -> tuple[Lexicon, ...]:
    """Every ``*.yaml`` under ``directory`` (the packaged data by default), by name."""
    if paths is None:
        folder = directory or DATA_DIR
        files = sorted(folder.glob("*.yaml"))
        if not files:
            raise LexiconError(f"{folder}: no lexicon files (*.yaml)")
    else:
        files = sorted(paths)
    lexicons = tuple(load_file(p) for p in files)
    seen: dict[str, str] = {}
    for lex in lexicons:
        if lex.category in seen:
            raise LexiconError(f"{lex.path}: category {lex.category!r} already defined in {seen[lex.category]}")
        seen[lex.category] = lex.path
    return lexicons
