"""The deeper tier (``ml_deep``): a fine-tuned MiniLM-L6 transformer run with
onnxruntime, int8, on the CPU. No torch at run time, nothing downloaded.

Where it runs — never on every inbound message (it costs about 100 times
the fast tier per text):

* drafts (outbound checks): every one, since a person waits on a single text
  and a missed insult goes out under the force's name;
* inbound messages only when the fast tier (``ml``) nearly made a finding:
  its probability for some category lies below that category's threshold by
  at most ``band`` (in log-odds); and never more than ``inbound_share`` of an
  inbound batch (the texts nearest a threshold first).

It reports its own categories (``ml_deep.<category>``): for every text it
ran on, the blend of both tiers' scores (``blend.py``: fitted on the
calibration split, better on held-out data than either tier alone), and a
finding when the blend reaches its threshold. A policy pack opts in by naming
them (the engine then creates this detector); the fast tier's ``ml.*``
findings are left as they are.

Needs ``onnxruntime`` and ``tokenizers`` and the artefact in ``models/deep``
(``training/deep_train.py`` and ``training/deep_blend.py`` write it; see
``models/DEEP_MODEL_CARD.md``). Without them, the detector is not registered.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from warden.detectors.base import TextItem
from warden.detectors.ml.blend import BLEND_FILE, read_blend
from warden.detectors.ml.detector import CATEGORIES, MLDetector
from warden.domain.enums import Direction
from warden.domain.findings import Finding

DEEP_DIR = Path(__file__).resolve().parent / "models" / "deep"
MAX_TOKENS = 64
# 64 WordPiece tokens never need more characters than this; longer input is cut
# before tokenising so a hostile 64 kB text costs no more than a tweet
MAX_CHARS = 2_048
# Texts are run one at a time by default: int8 activations are quantised with
# one scale per tensor, so in a padded batch a text's score would move (by up
# to 0.15 in probability, measured) with its neighbours. One at a time, a text
# scores the same alone or in any batch, at about 30 % less throughput.
SUB_BATCH = 1
# An inbound text goes deep when the fast tier's probability for some category
# is within DEFAULT_BAND log-odds of that category's threshold, and at most
# DEFAULT_INBOUND_SHARE of an inbound batch does (those nearest a threshold
# first), so the deep tier's cost per inbound batch has a ceiling.
DEFAULT_BAND = 0.5
DEFAULT_INBOUND_SHARE = 0.2


def _sigmoid(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))
    return out


def _logit(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    out: npt.NDArray[np.float64] = np.log(p / (1 - p))
    return out


def conditional_scores(logits: npt.ArrayLike, given: Sequence[int]) -> npt.NDArray[np.float64]:
    """Raw scores from logits: the logit itself, or for a conditional category
    (insult given toxicity) P(given) x P(category | given)."""
    z = np.asarray(logits, dtype=np.float64)
    raw = z.copy()
    for k, g in enumerate(given):
        if g >= 0:
            raw[:, k] = _sigmoid(z[:, g]) * _sigmoid(z[:, k])
    return raw


def _calibrated(kind: str, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64],
                z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    if kind == "platt":
        return _sigmoid(x[0] * z + x[1])
    out: npt.NDArray[np.float64] = np.interp(z, x, y)
    return out


class DeepModel:
    """The exported network, its tokenizer and its calibration, read from a directory."""

    def __init__(self, directory: Path = DEEP_DIR, threads: int = 2, sub_batch: int = SUB_BATCH) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        meta: dict[str, Any] = json.loads((directory / "deep.json").read_text(encoding="utf-8"))
        model_bytes = (directory / "model.onnx").read_bytes()
        digest = hashlib.sha256(model_bytes).hexdigest()
        if digest != meta["onnx_sha256"]:
            raise ValueError(f"{directory / 'model.onnx'} does not match deep.json (sha256 {digest[:12]})")
        self.meta = meta
        self.categories: tuple[str, ...] = tuple(meta["categories"])
        self.given: tuple[int, ...] = tuple(meta["given"])
        self.max_tokens = int(meta["max_tokens"])
        self.version = f"deep-1+{digest[:10]}"
        self.description: str = meta.get("description", "")
        cal = meta["calibration"]
        self._cal = [(c["kind"], np.asarray(c["x"], dtype=np.float64), np.asarray(c["y"], dtype=np.float64))
                     for c in cal]
        self.thresholds = np.array([c["threshold"] for c in cal], dtype=np.float64)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer = tokenizer
        self._lock = threading.Lock()  # a Tokenizer is not documented as thread-safe
        self.sub_batch = max(1, sub_batch)

    def logits(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One logit per output column for each (already normalised) text."""
        out = np.zeros((len(texts), len(self.categories)), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            encoded = self._tokenizer.encode_batch([t[:MAX_CHARS] for t in texts])
        ids = [e.ids for e in encoded]
        order = np.argsort([len(x) for x in ids], kind="stable")
        for b in range(0, len(order), self.sub_batch):
            idx = order[b:b + self.sub_batch]
            n = max(len(ids[i]) for i in idx)
            input_ids = np.zeros((len(idx), n), dtype=np.int64)
            mask = np.zeros((len(idx), n), dtype=np.int64)
            for j, i in enumerate(idx.tolist()):
                input_ids[j, :len(ids[i])] = ids[i]
                mask[j, :len(ids[i])] = 1
            out[idx] = self._session.run(["logits"], {"input_ids": input_ids, "attention_mask": mask})[0]
        return out

    def raw(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Uncalibrated scores (monotone in the calibrated ones): what ROC AUC is measured on."""
        return conditional_scores(self.logits(texts), self.given)

    def log_odds(self, raw: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Raw scores on a log-odds scale (a conditional category's product as its logit): the blend's input."""
        out = raw.copy()
        for k, g in enumerate(self.given):
            if g >= 0:
                out[:, k] = _logit(raw[:, k])
        return out

    def calibrate(self, raw: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out = np.empty_like(raw)
        for k, (kind, x, y) in enumerate(self._cal):
            out[:, k] = _calibrated(kind, x, y, raw[:, k])
        clipped: npt.NDArray[np.float64] = np.clip(out, 0.0, 1.0)
        return clipped

    def probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Calibrated probabilities, ``len(texts) x len(categories)``."""
        return self.calibrate(self.raw(texts))


@lru_cache(maxsize=2)
def load_deep(directory: Path = DEEP_DIR, threads: int = 2) -> DeepModel:
    return DeepModel(directory, threads)


def available(directory: Path = DEEP_DIR) -> bool:
    """The optional packages are installed and the artefact is there."""
    from importlib.util import find_spec

    if find_spec("onnxruntime") is None or find_spec("tokenizers") is None:
        return False
    return all((directory / name).is_file() for name in ("deep.json", "model.onnx", "tokenizer.json", BLEND_FILE))


class DeepDetector:
    """Deeper tier: drafts, and inbound texts the fast tier is unsure about,
    scored by the blend of both tiers (``blend.py``)."""

    name = "ml_deep"

    def __init__(self, fast: MLDetector, directory: Path = DEEP_DIR, band: float = DEFAULT_BAND,
                 threads: int = 2, inbound_share: float = DEFAULT_INBOUND_SHARE) -> None:
        meta = json.loads((directory / "deep.json").read_text(encoding="utf-8"))
        self._directory = directory
        self._threads = threads
        deep_version = f"deep-1+{meta['onnx_sha256'][:10]}"
        cats: tuple[str, ...] = tuple(meta["categories"])
        self.blend = read_blend(directory, cats)
        self.blend.check(fast.version, deep_version)
        self.version: str = f"{deep_version}+{fast.version}"
        self.score_categories: tuple[str, ...] = tuple(f"ml_deep.{c}" for c in cats)
        self.categories: tuple[str, ...] = self.score_categories
        self._model_categories = cats
        self._fast_columns = [CATEGORIES.index(c) for c in cats]
        self.band = band
        self.inbound_share = inbound_share
        self._fast = fast
        self._last: tuple[tuple[tuple[str, ...], tuple[Direction, ...]], _Scored] | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> DeepModel:
        return load_deep(self._directory, self._threads)

    def selected(self, batch: Sequence[TextItem]) -> list[bool]:
        """Which texts of the batch the deeper tier reads: every draft; an
        inbound text when some category's fast-tier probability lies below its
        threshold by at most ``band`` log-odds (a finding the fast tier nearly
        made: above the threshold it has made it already), nearest first, at
        most ``inbound_share`` of the inbound texts."""
        chosen = [item.context.direction != Direction.INBOUND for item in batch]
        inbound = [i for i, c in enumerate(chosen) if not c]
        if not inbound:
            return chosen
        fast_p = self._fast.probabilities(batch)[inbound][:, self._fast_columns]
        fast_t = np.asarray(self._fast.model.thresholds, dtype=np.float64)[self._fast_columns]
        gap = _logit(fast_t) - _logit(np.asarray(fast_p, dtype=np.float64))
        distance = np.where(gap > 0, gap, np.inf).min(axis=1)
        cap = math.ceil(self.inbound_share * len(inbound))
        for j in np.argsort(distance, kind="stable")[:cap].tolist():
            if distance[j] <= self.band:
                chosen[inbound[j]] = True
        return chosen

    def _scored(self, batch: Sequence[TextItem]) -> _Scored:
        texts = tuple(item.full.text for item in batch)
        # which texts go deep depends on their direction too: the same words as a draft and as a message differ
        key = (texts, tuple(item.context.direction for item in batch))
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        chosen = tuple(self.selected(batch))
        rows = [i for i, c in enumerate(chosen) if c]
        shape = (len(batch), len(self._model_categories))
        scored = _Scored(chosen, np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan))
        if rows:
            model = self.model
            deep_raw = model.raw([texts[i] for i in rows])
            fast = self._fast.log_odds(batch)[rows][:, self._fast_columns]
            scored.blended[rows] = self.blend.probabilities(fast, model.log_odds(deep_raw))
            scored.fast[rows] = self._fast.probabilities(batch)[rows][:, self._fast_columns]
            scored.deep[rows] = model.calibrate(deep_raw)
        with self._lock:
            self._last = (key, scored)
        return scored

    def scores(self, batch: Sequence[TextItem]) -> list[dict[str, float]]:
        if not batch:
            return []
        scored = self._scored(batch)
        rounded = np.round(np.nan_to_num(scored.blended), 4).tolist()
        return [dict(zip(self.score_categories, row, strict=True)) if c else {}
                for c, row in zip(scored.chosen, rounded, strict=True)]

    def detect(self, batch: Sequence[TextItem]) -> list[list[Finding]]:
        out: list[list[Finding]] = [[] for _ in batch]
        if not batch:
            return out
        scored = self._scored(batch)
        if not any(scored.chosen):
            return out
        thresholds = self.blend.thresholds
        hits = np.nan_to_num(scored.blended, nan=-1.0) >= thresholds
        for i, k in zip(*np.nonzero(hits), strict=True):
            item = batch[int(i)]
            form = item.full
            end = len(form.text.rstrip())
            a, b = form.span(0, end)
            p, t = float(scored.blended[i, k]), float(thresholds[k])
            category = self._model_categories[k]
            out[int(i)].append(Finding(
                detector=self.name, version=self.version, category=self.score_categories[k], start=a, end=b,
                text=item.text[a:b], matched=form.text[:end], score=p,
                explanation=f"{self.model.description} blended with the fast tier ({self.version}): "
                            f"P({category}) = {p:.2f} >= threshold {t:.2f} (whole text; fast tier alone "
                            f"{float(scored.fast[i, k]):.2f}, deep model alone {float(scored.deep[i, k]):.2f})",
                severity=3 if p >= 0.9 else (2 if p >= 0.6 else 1), entry="deep",
                attributes=(("threshold", f"{t:.4f}"),),
            ))
        return out


@dataclass(frozen=True, slots=True)
class _Scored:
    """A batch as the deeper tier saw it: which texts it read, and per category
    the blended probability and each tier's own (NaN where it did not read)."""

    chosen: tuple[bool, ...]
    blended: npt.NDArray[np.float64]
    fast: npt.NDArray[np.float64]
    deep: npt.NDArray[np.float64]
