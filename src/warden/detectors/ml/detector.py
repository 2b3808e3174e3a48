"""The ``ml`` detector: calibrated probabilities for nine categories on every
text, and a finding for each category whose probability reaches its
threshold (stored with the model), naming the words that drove it.

It reads ``item.full`` (the engine's normal form: leetspeak, spacing,
homoglyphs and repeats folded), so obfuscated spellings meet the model as
plain ones, and maps spans back to the original text.

The artefact is read once, on first use, and shared by every instance.
``detect`` and ``scores`` are called one after the other on the same batch by
the pipeline, so the probabilities of the last batch are kept and reused.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from itertools import groupby
from pathlib import Path

import numpy as np
import numpy.typing as npt

from warden.detectors.base import TextItem
from warden.detectors.ml.features import Encoded, token_spans
from warden.detectors.ml.model import (
    DEFAULT_NAME,
    MODEL_DIR,
    Contribution,
    LinearModel,
    contributions,
    load_model,
    read_meta,
    version_of,
)
from warden.detectors.registry import register
from warden.domain.findings import Finding

CATEGORIES: tuple[str, ...] = (
    "toxicity", "insult", "threat", "identity_hate", "profanity", "sexual", "spam", "urgency", "self_harm",
)
TOP_TERMS = 3


@lru_cache(maxsize=4)
def _model(directory: Path, name: str) -> LinearModel:
    model = load_model(directory, name)
    if model.categories != CATEGORIES:
        raise ValueError(f"ml model {name!r} has categories {model.categories}, expected {CATEGORIES}")
    return model


class MLDetector:
    """Fast tier: hashed word and character n-grams into calibrated linear models."""

    name = "ml"
    categories: tuple[str, ...] = tuple(f"ml.{c}" for c in CATEGORIES)
    score_categories: tuple[str, ...] = CATEGORIES

    def __init__(self, directory: Path = MODEL_DIR, model_name: str = DEFAULT_NAME) -> None:
        self._directory = directory
        self._model_name = model_name
        self.version: str = version_of(read_meta(directory, model_name))
        self._last: tuple[tuple[str, ...], Encoded, npt.NDArray[np.float64]] | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> LinearModel:
        return _model(self._directory, self._model_name)

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(zip(CATEGORIES, self.model.thresholds.tolist(), strict=True))

    def _scored(self, batch: Sequence[TextItem]) -> tuple[Encoded, npt.NDArray[np.float64]]:
        texts = tuple(item.full.text for item in batch)
        last = self._last
        if last is not None and last[0] == texts:
            return last[1], last[2]
        model = self.model
        encoded, raw = model.score(texts, trace=True)
        probs = model.calibrate(raw)
        probs.setflags(write=False)
        with self._lock:
            self._last = (texts, encoded, probs)
        return encoded, probs

    def probabilities(self, batch: Sequence[TextItem]) -> npt.NDArray[np.float64]:
        """Calibrated probabilities, ``len(batch) x len(CATEGORIES)``."""
        if not batch:
            return np.zeros((0, len(CATEGORIES)))
        return self._scored(batch)[1]

    def scores(self, batch: Sequence[TextItem]) -> list[dict[str, float]]:
        probs = self.probabilities(batch)
        return [dict(zip(CATEGORIES, row, strict=True)) for row in np.round(probs, 4).tolist()]

    def detect(self, batch: Sequence[TextItem]) -> list[list[Finding]]:
        out: list[list[Finding]] = [[] for _ in batch]
        if not batch:
            return out
        encoded, probs = self._scored(batch)
        model = self.model
        hits = probs >= model.thresholds
        thresholds = model.thresholds.tolist()
        for i, group in groupby(model.rank_hits(encoded, hits, TOP_TERMS), key=lambda hit: hit.row):
            row_hits = list(group)
            words = row_hits[0].words
            last = max(hit.ranked.last_token() for hit in row_hits)
            spans = token_spans(batch[i].full.text, words, last) if last >= 0 else []
            out[i] = [self._finding(batch[i], contributions(words, hit.ranked, spans), hit.ranked.strongest, spans,
                                    hit.category, float(probs[i, hit.category]), thresholds[hit.category])
                      for hit in row_hits]
        return out

    def _finding(self, item: TextItem, top: list[Contribution], strongest: int | None,
                 spans: list[tuple[int, int]], k: int, probability: float, threshold: float) -> Finding:
        form = item.full
        start, end = spans[strongest] if strongest is not None else (0, len(form.text.rstrip()))
        terms = ", ".join([f'"{c.text}" (+{c.weight:.2f})' for c in top]) or "no single word stands out"
        a, b = form.span(start, end)
        return Finding(
            detector="ml", version=self.version, category=_FINDING_CATEGORIES[k], start=a, end=b,
            text=item.text[a:b], matched=form.text[start:end], score=probability,
            explanation=f"{self._prefix[k]}{probability:.2f} >= threshold {threshold:.2f}; top terms: {terms}",
            severity=3 if probability >= 0.9 else (2 if probability >= 0.6 else 1),
            entry=self.model.name, attributes=(("threshold", f"{threshold:.4f}"),),
        )

    @property
    def _prefix(self) -> list[str]:
        model = self.model
        return _prefixes(model.version, model.description)


@lru_cache(maxsize=4)
def _prefixes(version: str, description: str) -> list[str]:
    return [f"model {version} ({description}): P({category}) = " for category in CATEGORIES]


_FINDING_CATEGORIES = tuple(f"ml.{c}" for c in CATEGORIES)

# Registered only when the artefact is there, so a checkout without it still
# runs every other detector; a policy naming ml.* categories then fails loudly
# at engine start (unknown category) instead of silently scoring nothing.
if (MODEL_DIR / f"{DEFAULT_NAME}.json").is_file():
    register("ml")(MLDetector)
