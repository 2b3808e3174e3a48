"""The ``ml`` detector: calibrated probabilities for nine categories on every
text, and a finding for each category whose probability reaches its
threshold (stored with the model), naming the words that drove it.

It reads ``item.full`` (the engine's normal form: leetspeak, spacing,
homoglyphs and repeats folded), so obfuscated spellings meet the model as
plain ones, and maps spans back to the original text.

The artefact is read once, on first use, and shared by every instance.
``detect`` and ``scores`` are called one after the other on the same batch by
the pipeline, so the probabilities of the last batch are kept and reused,
by every instance reading the same artefact (the deeper tier holds its own).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from warden.detectors.base import TextItem
from warden.detectors.ml.features import Encoded, token_span
from warden.detectors.ml.model import (
    DEFAULT_NAME,
    MODEL_DIR,
    LinearModel,
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


class _LastBatch:
    """The last batch scored with one artefact, shared by every detector instance reading it: the fast tier
    and the deeper tier's gate (which decides from the fast tier's scores) see the same batch one after the
    other, and it is scored once."""

    def __init__(self) -> None:
        self.scored: tuple[tuple[str, ...], Encoded, npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None
        self.lock = threading.Lock()


@lru_cache(maxsize=4)
def _last_batch(directory: Path, name: str) -> _LastBatch:
    return _LastBatch()


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
        self._last = _last_batch(directory, model_name)

    @property
    def model(self) -> LinearModel:
        return _model(self._directory, self._model_name)

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(zip(CATEGORIES, self.model.thresholds.tolist(), strict=True))

    def _scored(self, batch: Sequence[TextItem]) -> tuple[Encoded, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        texts = tuple(item.full.text for item in batch)
        last = self._last.scored
        if last is not None and last[0] == texts:
            return last[1], last[2], last[3]
        model = self.model
        encoded, raw = model.score(texts, trace=True)
        probs = model.calibrate(raw)
        probs.setflags(write=False)
        raw.setflags(write=False)
        with self._last.lock:
            self._last.scored = (texts, encoded, raw, probs)
        return encoded, raw, probs

    def probabilities(self, batch: Sequence[TextItem]) -> npt.NDArray[np.float64]:
        """Calibrated probabilities, ``len(batch) x len(CATEGORIES)``."""
        if not batch:
            return np.zeros((0, len(CATEGORIES)))
        return self._scored(batch)[2]

    def log_odds(self, batch: Sequence[TextItem]) -> npt.NDArray[np.float64]:
        """Scores on a log-odds scale (``LinearModel.log_odds``), for the deeper tier's blend."""
        if not batch:
            return np.zeros((0, len(CATEGORIES)))
        _, raw, probs = self._scored(batch)
        return self.model.log_odds(raw, probs)

    def scores(self, batch: Sequence[TextItem]) -> list[dict[str, float]]:
        probs = self.probabilities(batch)
        return [dict(zip(CATEGORIES, row, strict=True)) for row in np.round(probs, 4).tolist()]

    def detect(self, batch: Sequence[TextItem]) -> list[list[Finding]]:
        out: list[list[Finding]] = [[] for _ in batch]
        if not batch:
            return out
        encoded, _, probs = self._scored(batch)
        model = self.model
        hits = probs >= model.thresholds
        if not hits.any():
            return out
        ranking = model.ranking(encoded, hits, TOP_TERMS)
        rows, categories, best = ranking.rows.tolist(), ranking.categories.tolist(), ranking.best.tolist()
        tokens, ptr = ranking.tokens, ranking.token_ptr.tolist()
        left, right = ranking.pair_left.tolist(), ranking.pair_right.tolist()
        terms: list[list[str]] = [[] for _ in rows]
        for h, w, v in zip(ranking.part_hit.tolist(), ranking.part_which.tolist(), ranking.part_value.tolist(),
                           strict=True):
            base = ptr[rows[h]]
            word = tokens[base + w] if w >= 0 else f"{tokens[base + left[-1 - w]]} {tokens[base + right[-1 - w]]}"
            terms[h].append(f'"{word}" (+{v:.2f})')
        spans: dict[tuple[int, int], tuple[int, int]] = {}
        prefixes, middles, attributes = _wording(model.version, model.description, tuple(model.thresholds.tolist()))
        hit_probabilities = probs[ranking.rows, ranking.categories].tolist()
        for h, (i, k) in enumerate(zip(rows, categories, strict=True)):
            item = batch[i]
            form = item.full
            strongest = best[h]
            if strongest >= 0:
                span = spans.get((i, strongest))
                if span is None:
                    span = spans[i, strongest] = token_span(form.text, tokens[ptr[i]:ptr[i + 1]], strongest)
                start, end = span
            else:
                start, end = 0, len(form.text.rstrip())
            a, b = form.span(start, end)
            probability = hit_probabilities[h]
            out[i].append(Finding(
                detector="ml", version=self.version, category=_FINDING_CATEGORIES[k], start=a, end=b,
                text=item.text[a:b], matched=form.text[start:end], score=probability,
                explanation=f"{prefixes[k]}{probability:.2f}{middles[k]}"
                            f"{', '.join(terms[h]) or 'no single word stands out'}",
                severity=3 if probability >= 0.9 else (2 if probability >= 0.6 else 1),
                entry=model.name, attributes=attributes[k],
            ))
        return out


@lru_cache(maxsize=4)
def _wording(version: str, description: str, thresholds: tuple[float, ...]
             ) -> tuple[list[str], list[str], list[tuple[tuple[str, str], ...]]]:
    """Per category, the fixed parts of a finding's explanation and its attributes."""
    return ([f"model {version} ({description}): P({category}) = " for category in CATEGORIES],
            [f" >= threshold {t:.2f}; top terms: " for t in thresholds],
            [(("threshold", f"{t:.4f}"),) for t in thresholds])


_FINDING_CATEGORIES = tuple(f"ml.{c}" for c in CATEGORIES)

# Registered only when the artefact is there, so a checkout without it still
# runs every other detector; a policy naming ml.* categories then fails loudly
# at engine start (unknown category) instead of silently scoring nothing.
if (MODEL_DIR / f"{DEFAULT_NAME}.json").is_file():
    register("ml")(MLDetector)
