"""The lexicon detector: every category file compiled once into one matcher.

Each text is scanned once per full normal form (one Aho-Corasick pass over
all categories together), and every hit becomes a ``lexicon.<category>``
finding whose span points into the original text. The version carries a
hash of the compiled data, so a changed entry (or a changed normaliser that
reads a term differently) changes the version recorded with each decision.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from warden.detectors.base import TextItem
from warden.detectors.lexicon.loader import Lexicon, load_lexicons
from warden.detectors.lexicon.matcher import PhraseMatcher
from warden.detectors.normalise import normalise_term
from warden.detectors.registry import register
from warden.domain.findings import Finding

BASE_VERSION = "1.0.0"


@dataclass(frozen=True, slots=True)
class LexiconHit:
    """What a matched spelling stands for (the matcher's payload)."""

    category: str  # "lexicon.<category>"
    lexicon: str  # "<category>"
    term: str
    severity: int
    explanation: str


# (category, start, end) in the original text -> the hit and what was matched
_Hits = dict[tuple[str, int, int], tuple[LexiconHit, str]]


@dataclass(frozen=True, slots=True)
class _Compiled:
    matcher: PhraseMatcher[LexiconHit]
    version: str
    categories: tuple[str, ...]
    sizes: tuple[tuple[str, int], ...]


def _key(spelling: str) -> tuple[str, bool]:
    prefix = spelling.endswith("*")
    return normalise_term(spelling[:-1] if prefix else spelling), prefix


def compile_lexicons(lexicons: Sequence[Lexicon]) -> _Compiled:
    terms: list[tuple[str, LexiconHit]] = []
    fingerprint: list[object] = []
    for lex in lexicons:
        category = f"lexicon.{lex.category}"
        for entry in lex.entries:
            term = entry.term.rstrip("*")
            hit = LexiconHit(
                category=category,
                lexicon=lex.category,
                term=term,
                severity=entry.severity,
                explanation=f'lexicon "{lex.category}" entry "{term}" (severity {entry.severity})',
            )
            keys: list[tuple[str, bool]] = []
            for spelling in entry.spellings:
                key = _key(spelling)
                if key in keys or not key[0]:
                    continue  # spellings that read the same would only repeat the finding
                keys.append(key)
                terms.append((spelling, hit))
            fingerprint.append([lex.category, term, entry.severity, sorted(keys)])
    digest = hashlib.sha256(json.dumps(fingerprint, ensure_ascii=False).encode("utf-8")).hexdigest()
    return _Compiled(
        matcher=PhraseMatcher(terms),
        version=f"{BASE_VERSION}+{digest[:10]}",
        categories=tuple(f"lexicon.{lex.category}" for lex in lexicons),
        sizes=tuple((lex.category, len(lex.entries)) for lex in lexicons),
    )


@lru_cache(maxsize=1)
def _packaged() -> _Compiled:
    """The packaged lexicons, compiled once per process."""
    return compile_lexicons(load_lexicons())


@register("lexicon")
class LexiconDetector:
    """Finds lexicon terms in every full normal form of each text."""

    name = "lexicon"

    def __init__(self, lexicons: Sequence[Lexicon] | None = None, *, directory: Path | None = None) -> None:
        """The packaged lexicons by default (compiled once per process), or the
        given ones, or every file in ``directory`` (compiled afresh)."""
        if lexicons is not None:
            compiled = compile_lexicons(lexicons)
        elif directory is not None:
            compiled = compile_lexicons(load_lexicons(directory))
        else:
            compiled = _packaged()
        self._matcher = compiled.matcher
        self.version: str = compiled.version
        self.categories: tuple[str, ...] = compiled.categories
        self.sizes: dict[str, int] = dict(compiled.sizes)

    def detect(self, batch: Sequence[TextItem]) -> list[list[Finding]]:
        return [self.detect_one(item) for item in batch]

    def detect_one(self, item: TextItem) -> list[Finding]:
        """Findings for one text, one per category and original span.

        A hit inside a longer hit of the same category and at least the same
        severity ("known to police" in "well known to police") adds nothing
        and is dropped. ``Finding`` is built directly (what ``item.finding``
        does, without its keyword plumbing): this loop is the engine's hot path.
        """
        hits: _Hits = {}
        for form in item.full_forms:
            normal = form.text
            for start, end, hit in self._matcher.find(normal):
                a, b = form.span(start, end)
                key = (hit.category, a, b)
                if key not in hits or hits[key][0].severity < hit.severity:
                    hits[key] = (hit, normal[start:end])
        if len(hits) > 1:
            hits = _drop_covered(hits)
        text, name, version = item.text, self.name, self.version
        return [
            Finding(
                detector=name,
                version=version,
                category=category,
                start=a,
                end=b,
                text=text[a:b],
                score=1.0,
                explanation=hit.explanation,
                matched=matched,
                severity=hit.severity,
                entry=hit.term,
            )
            for (category, a, b), (hit, matched) in sorted(hits.items(), key=lambda kv: (kv[0][1], -kv[0][2]))
        ]


def _drop_covered(hits: _Hits) -> _Hits:
    """Drop each hit lying inside another hit of its category with at least
    its severity. One sort and a sweep, so hostile input with thousands of
    hits stays linear-logarithmic."""
    kept: _Hits = {}
    category = None
    reach: dict[int, int] = {}  # severity -> furthest end among earlier hits at that severity or more
    for key in sorted(hits, key=lambda k: (k[0], k[1], -k[2])):
        if key[0] != category:
            category, reach = key[0], {}
        severity = hits[key][0].severity
        if reach.get(severity, -1) >= key[2]:
            continue
        kept[key] = hits[key]
        for level in range(1, severity + 1):
            reach[level] = max(reach.get(level, -1), key[2])
    return kept
