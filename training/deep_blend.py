"""Fit the deeper tier's blend (``src/warden/detectors/ml/blend.py``) for the
committed fast tier and deep model, on the calibration split:

    .venv/bin/python training/deep_blend.py

Per category, a logistic regression on [fast-tier log-odds, deep-model
log-odds] over the calib rows labelled for it (the deep model's own
calibration rows: at most 1,500 per source, in its order), and a threshold
with the best F1 there (F2 for threat, urgency and self-harm), as both tiers
choose theirs. The deep model's scores are its int8 ONNX scores, one text at
a time, as the detector runs them (cached per model version under
``training/.cache/deep``). The test split is never read. Writes
``models/deep/blend.json``; run it again whenever either model is retrained
(the runtime refuses a blend fitted for other versions). Needs the ``train``
extra (scikit-learn), no torch.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from ml_data import SOURCES, Example, load_all  # noqa: E402
from ml_labels import UNKNOWN, unit  # noqa: E402
from ml_train import BETA, _best_threshold  # noqa: E402

from warden.detectors.ml.blend import BLEND_FILE  # noqa: E402
from warden.detectors.ml.deep import DEEP_DIR, DeepModel  # noqa: E402
from warden.detectors.ml.detector import CATEGORIES  # noqa: E402
from warden.detectors.ml.model import LinearModel, load_model  # noqa: E402

CACHE = ROOT / "training" / ".cache" / "deep"
CALIB_CAP = 1_500  # as training/deep_train.py: the deep model's calibration rows


def calib_rows(examples: Sequence[Example], exclude: Sequence[str] = (), cap: int = CALIB_CAP) -> list[Example]:
    """The first ``cap`` calib rows per source, in the deep tier's own calib order."""
    out: list[Example] = []
    for source in SOURCES:
        if source in exclude:
            continue
        rows = [e for e in examples if e.split == "calib" and e.source == source]
        rows.sort(key=lambda e: unit(f"deep|{source}|{e.group}"))
        out.extend(rows[:cap])
    return out


class DeepLogOdds:
    """A deep model's log-odds per normalised text, cached on disk per model version."""

    def __init__(self, directory: Path = DEEP_DIR, cache: Path = CACHE, sub_batch: int = 1) -> None:
        self.model = DeepModel(directory, sub_batch=sub_batch)
        # padded batches move int8 scores: their cache is kept apart from the one-at-a-time scores
        self.path = cache / f"log-odds-{self.model.version}{f'-sb{sub_batch}' if sub_batch != 1 else ''}.npz"
        self._cache: dict[str, np.ndarray] = {}
        if self.path.exists():
            data = np.load(self.path)
            self._cache = dict(zip(data["texts"].tolist(), data["log_odds"], strict=True))

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            started = time.perf_counter()
            for i in range(0, len(missing), 1024):
                chunk = missing[i:i + 1024]
                self._cache.update(zip(chunk, self.model.log_odds(self.model.raw(chunk)), strict=True))
            print(f"(scored {len(missing):,} texts with {self.model.version} in "
                  f"{time.perf_counter() - started:.0f}s)", flush=True)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(self.path, texts=np.array(list(self._cache), dtype=str),
                     log_odds=np.vstack(list(self._cache.values())))
        return np.vstack([self._cache[t] for t in texts]) if texts else np.zeros((0, len(CATEGORIES)))


def fast_log_odds(model: LinearModel, texts: Sequence[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, len(CATEGORIES)))
    raw = model.raw(list(texts))
    return model.log_odds(raw, model.calibrate(raw))


def fit_category(fast: np.ndarray, deep: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Logistic regression on the two scores: (fast weight, deep weight, bias)."""
    from sklearn.linear_model import LogisticRegression

    fitted = LogisticRegression(max_iter=1000).fit(np.c_[fast, deep], y)
    return float(fitted.coef_[0, 0]), float(fitted.coef_[0, 1]), float(fitted.intercept_[0])


def blend_scores(weights: tuple[float, float, float], fast: np.ndarray, deep: np.ndarray) -> np.ndarray:
    z = weights[0] * fast + weights[1] * deep + weights[2]
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))
    return out


def main() -> None:
    from sklearn.metrics import roc_auc_score

    started = time.perf_counter()
    fast = load_model()
    deep = DeepLogOdds()
    rows = calib_rows(load_all())
    texts = [e.norm for e in rows]
    f_all, d_all = fast_log_odds(fast, texts), deep(texts)
    per: dict[str, Any] = {}
    print(f"blend of {fast.version} and {deep.model.version} on {len(rows):,} calib rows")
    print(f"{'category':<15}{'rows':>7}{'pos':>6}{'fast AUC':>10}{'deep AUC':>10}{'blend AUC':>11}"
          f"{'w fast':>8}{'w deep':>8}{'threshold':>11}")
    for k, category in enumerate(CATEGORIES):
        y = np.array([e.labels[category] for e in rows])
        known = y != UNKNOWN
        yk, f, d = y[known], f_all[known, k], d_all[known, k]
        weights = fit_category(f, d, yk)
        p = blend_scores(weights, f, d)
        beta = BETA.get(category, 1.0)
        threshold, fbeta = _best_threshold(yk, p, beta)
        aucs = [float(roc_auc_score(yk, s)) for s in (f, d, p)]
        per[category] = {"weights": [round(w, 6) for w in weights], "threshold": round(threshold, 6),
                         "threshold_rule": f"best F{beta:g}", "calib_fbeta": round(fbeta, 4),
                         "calib_rows": int(known.sum()), "calib_positives": int(yk.sum()),
                         "calib_auc": {"fast": round(aucs[0], 4), "deep": round(aucs[1], 4),
                                       "blend": round(aucs[2], 4)}}
        print(f"{category:<15}{int(known.sum()):>7,}{int(yk.sum()):>6,}{aucs[0]:>10.3f}{aucs[1]:>10.3f}"
              f"{aucs[2]:>11.3f}{weights[0]:>8.3f}{weights[1]:>8.3f}{threshold:>11.3f}")
    out = {
        "categories": list(CATEGORIES),
        "fast_version": fast.version,
        "deep_version": deep.model.version,
        "fitted_on": f"the calib split, at most {CALIB_CAP:,} rows per source in the deep tier's order "
                     f"({len(rows):,} rows); deep scores: int8 ONNX, one text at a time",
        "command": ".venv/bin/python training/deep_blend.py",
        "per_category": per,
    }
    path = DEEP_DIR / BLEND_FILE
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path} in {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
