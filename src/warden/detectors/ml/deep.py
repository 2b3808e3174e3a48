"""The deeper tier (``ml_deep``): a fine-tuned MiniLM-L6 transformer run with
onnxruntime, int8, on the CPU. No torch at run time, nothing downloaded.

Where it runs — never on every inbound message (it costs about 100 times
the fast tier per text):

* drafts (outbound checks): every one, since a person waits on a single text
  and a missed insult goes out under the force's name;
* inbound messages only when the fast tier (``ml``) is unsure: its
  probability for some category lies within ``band`` (in log-odds) of that
  category's threshold; and never more than ``inbound_share`` of an inbound
  batch (the texts nearest a threshold first).

It reports its own categories (``ml_deep.<category>``): a score for every
text it ran on and a finding when a calibrated probability reaches the
threshold stored with the model. A policy pack opts in by naming them; the
fast tier's ``ml.*`` findings are left as they are.

Optional: needs the ``deep`` extra (``onnxruntime``, ``tokenizers``) and the
artefact in ``models/deep`` (``training/deep_train.py`` writes it; see
``models/DEEP_MODEL_CARD.md``). Without either, the detector is not
registered and everything else runs as before.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from warden.detectors.base import TextItem
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
    return (directory / "deep.json").is_file() and (directory / "model.onnx").is_file()


def _logit(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    out: npt.NDArray[np.float64] = np.log(p / (1 - p))
    return out


class DeepDetector:
    """Deeper tier: drafts, and inbound texts the fast tier is unsure about."""

    name = "ml_deep"

    def __init__(self, directory: Path = DEEP_DIR, fast: Any = None, band: float = DEFAULT_BAND,
                 threads: int = 2, inbound_share: float = DEFAULT_INBOUND_SHARE) -> None:
        meta = json.loads((directory / "deep.json").read_text(encoding="utf-8"))
        self._directory = directory
        self._threads = threads
        self.version: str = f"deep-1+{meta['onnx_sha256'][:10]}"
        cats: tuple[str, ...] = tuple(meta["categories"])
        self.score_categories: tuple[str, ...] = tuple(f"ml_deep.{c}" for c in cats)
        self.categories: tuple[str, ...] = self.score_categories
        self._model_categories = cats
        self.band = band
        self.inbound_share = inbound_share
        self._fast = fast
        self._last: tuple[tuple[str, ...], tuple[bool, ...], npt.NDArray[np.float64]] | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> DeepModel:
        return load_deep(self._directory, self._threads)

    def selected(self, batch: Sequence[TextItem]) -> list[bool]:
        """Which texts of the batch the deeper tier reads."""
        chosen = [item.context.direction != Direction.INBOUND for item in batch]
        inbound = [i for i, c in enumerate(chosen) if not c]
        if not inbound or self._fast is None:
            return chosen
        sub = [batch[i] for i in inbound]
        fast_p = np.asarray(self._fast.probabilities(sub), dtype=np.float64)
        thresholds: dict[str, float] = self._fast.thresholds
        names = list(thresholds)
        columns = [names.index(c) for c in self._model_categories if c in thresholds]
        fast_t = np.array([thresholds[names[k]] for k in columns], dtype=np.float64)
        distance = np.abs(_logit(fast_p[:, columns]) - _logit(fast_t)).min(axis=1)
        cap = math.ceil(self.inbound_share * len(inbound))
        order = np.argsort(distance, kind="stable")[:cap]
        for j in order.tolist():
            if distance[j] <= self.band:
                chosen[inbound[j]] = True
        return chosen

    def _scored(self, batch: Sequence[TextItem]) -> tuple[tuple[bool, ...], npt.NDArray[np.float64]]:
        texts = tuple(item.full.text for item in batch)
        last = self._last
        if last is not None and last[0] == texts:
            return last[1], last[2]
        chosen = tuple(self.selected(batch))
        probs = np.full((len(batch), len(self._model_categories)), np.nan)
        rows = [i for i, c in enumerate(chosen) if c]
        if rows:
            probs[rows] = self.model.probabilities([texts[i] for i in rows])
        probs.setflags(write=False)
        with self._lock:
            self._last = (texts, chosen, probs)
        return chosen, probs

    def scores(self, batch: Sequence[TextItem]) -> list[dict[str, float]]:
        if not batch:
            return []
        chosen, probs = self._scored(batch)
        rounded = np.round(np.nan_to_num(probs), 4).tolist()
        return [dict(zip(self.score_categories, row, strict=True)) if c else {}
                for c, row in zip(chosen, rounded, strict=True)]

    def detect(self, batch: Sequence[TextItem]) -> list[list[Finding]]:
        out: list[list[Finding]] = [[] for _ in batch]
        if not batch:
            return out
        chosen, probs = self._scored(batch)
        if not any(chosen):
            return out
        model = self.model
        for i, k in zip(*np.nonzero(np.nan_to_num(probs, nan=-1.0) >= model.thresholds), strict=True):
            item = batch[int(i)]
            form = item.full
            end = len(form.text.rstrip())
            a, b = form.span(0, end)
            p = float(probs[i, k])
            t = float(model.thresholds[k])
            out[int(i)].append(Finding(
                detector=self.name, version=self.version, category=self.score_categories[k], start=a, end=b,
                text=item.text[a:b], matched=form.text[:end], score=p,
                explanation=f"model {self.version} ({model.description}): "
                            f"P({self._model_categories[k]}) = {p:.2f} >= threshold {t:.2f} (whole text)",
                severity=3 if p >= 0.9 else (2 if p >= 0.6 else 1), entry="deep",
                attributes=(("threshold", f"{t:.4f}"),),
            ))
        return out
