"""What a detector reports: a category, a score and the evidence that carries it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of evidence in one text.

    ``start``/``end`` index the ORIGINAL text (``text`` is the original slice);
    ``matched`` is what the detector saw after normalisation. ``explanation``
    names the rule, pattern, lexicon entry or model that fired.
    """

    detector: str
    version: str
    category: str
    start: int
    end: int
    text: str
    score: float
    explanation: str
    matched: str = ""
    severity: int = 1
    entry: str = ""
    attributes: tuple[tuple[str, str], ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            "detector": self.detector,
            "category": self.category,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "score": round(self.score, 4),
            "explanation": self.explanation,
        }


_Span = TypeVar("_Span", tuple[int, int], tuple[int, int, int])


def pinpointing(spans: list[_Span], text: str) -> list[_Span]:
    """The spans worth highlighting in ``text`` (each starts ``(start, end, ...)``):
    a span over the whole text (a verdict on the text as a whole, such as the
    deeper classifier's) would bury the words narrower evidence points at, so it
    is left out when there is any; alone, it is kept."""
    end = len(text.rstrip())
    narrow = [s for s in spans if not (s[0] <= 0 and s[1] >= end)]
    return narrow or spans
