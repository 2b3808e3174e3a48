"""Runs every detector over a batch and gathers findings and scores per text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from warden.detectors.base import Detector, Scorer, TextItem
from warden.domain.findings import Finding


@dataclass(frozen=True, slots=True)
class Detection:
    """All the evidence the pipeline found in one text."""

    findings: tuple[Finding, ...]
    scores: dict[str, float] = field(default_factory=dict)


class Pipeline:
    def __init__(self, detectors: Sequence[Detector]) -> None:
        self.detectors = tuple(detectors)
        self.versions = {d.name: d.version for d in self.detectors}
        # Checked once: a runtime protocol check per text costs more than a lexicon pass.
        self._scoring = tuple(isinstance(d, Scorer) for d in self.detectors)

    def run(self, batch: Sequence[TextItem]) -> list[Detection]:
        per_item: list[list[Finding]] = [[] for _ in batch]
        scores: list[dict[str, float]] = [{} for _ in batch]
        for detector, scoring in zip(self.detectors, self._scoring, strict=True):
            for i, found in enumerate(detector.detect(batch)):
                per_item[i].extend(found)
            if scoring:
                for i, item_scores in enumerate(cast(Scorer, detector).scores(batch)):
                    scores[i].update(item_scores)
        return [Detection(_dedupe(f), s) for f, s in zip(per_item, scores, strict=True)]


# Past this many findings of one category in one text, more evidence changes
# no decision; the cap keeps hostile input ("🔪" x 30,000) from making policy
# evaluation quadratic.
MAX_FINDINGS_PER_CATEGORY = 25


def _dedupe(findings: list[Finding]) -> tuple[Finding, ...]:
    """One finding per stretch of text and category: a match inside a longer
    match of the same category ("idiot" in "idiot driver", or the same word
    found in two normal forms) adds nothing. Ordered by position."""
    kept: list[Finding] = []
    count = 0
    for f in sorted(findings, key=lambda f: (f.category, f.start, -f.end, -f.score)):
        last = kept[-1] if kept else None
        if last is not None and last.category == f.category:
            if (last.start <= f.start and f.end <= last.end) or count >= MAX_FINDINGS_PER_CATEGORY:
                continue
            count += 1
        else:
            count = 1
        kept.append(f)
    return tuple(sorted(kept, key=lambda f: (f.start, -f.end, f.category)))
