"""Shared plumbing for the UK personal-data recognisers.

Every recogniser reads ``item.light`` (NFKC, case-folded, zero-width removed,
digits kept) and reports spans through ``item.finding`` so that they index the
ORIGINAL text. All patterns use bounded quantifiers only, so matching stays
linear on hostile input.
"""

from __future__ import annotations

import re
from typing import Protocol

from warden.detectors.base import TextItem
from warden.domain.findings import Finding

DETECTOR = "pii"
VERSION = "1.0.0"


class Recogniser(Protocol):
    """One kind of personal data. ``needs_digit``: the recogniser can only
    fire on texts holding at least one digit (the cheap prefilter)."""

    category: str
    needs_digit: bool

    def find(self, item: TextItem) -> list[Finding]: ...


def emit(
    item: TextItem,
    start: int,
    end: int,
    *,
    category: str,
    score: float,
    explanation: str,
    entry: str,
) -> Finding:
    """A finding for ``item.light.text[start:end]``, mapped to the original."""
    return item.finding(
        item.light,
        start,
        end,
        detector=DETECTOR,
        version=VERSION,
        category=category,
        score=score,
        explanation=explanation,
        entry=entry,
    )


def before(pattern: re.Pattern[str], text: str, start: int, window: int) -> re.Match[str] | None:
    """The last match of ``pattern`` lying wholly in the ``window`` characters before ``start``."""
    found: re.Match[str] | None = None
    for m in pattern.finditer(text, max(0, start - window), start):
        found = m
    return found


def after(pattern: re.Pattern[str], text: str, end: int, window: int) -> re.Match[str] | None:
    """The first match of ``pattern`` lying wholly in the ``window`` characters after ``end``."""
    return pattern.search(text, end, min(len(text), end + window))


def original(item: TextItem, start: int, end: int) -> str:
    """The original text behind ``item.light.text[start:end]``."""
    a, b = item.light.span(start, end)
    return item.text[a:b]


def words(text: str) -> frozenset[str]:
    """A word list written as one whitespace-separated string."""
    return frozenset(text.split())
