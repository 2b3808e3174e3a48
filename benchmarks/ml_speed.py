"""Speed of the ML fast tier alone, and of the whole engine with and without it.

    .venv/bin/python benchmarks/ml_speed.py [--texts 20000] [--batch 256]

Texts: the speed corpus of benchmarks/_corpus.py (OLID, Davidson, SMS and
demo samples: far more abusive than real traffic, so many texts are flagged
and explained). The ml detector's own cost is timed on texts whose normal
form is already computed (the engine computes it once for every detector).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import texts
from warden.detectors.base import TextItem
from warden.detectors.ml.detector import MLDetector


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


def ml_alone(corpus: list[str], batch: int) -> list[tuple[str, str]]:
    detector = MLDetector()
    items = [TextItem(t) for t in corpus]
    for item in items:
        _ = item.full
    detector.detect(items[:batch])  # load the artefact, warm the token cache
    for i in range(0, len(items), batch):  # one pass so the token cache holds the corpus, as in steady state
        detector.scores(items[i:i + batch])
    detector._last = None
    started = time.perf_counter()
    findings = 0
    for i in range(0, len(items), batch):
        chunk = items[i:i + batch]
        findings += sum(map(len, detector.detect(chunk)))
        detector.scores(chunk)
    per_text = (time.perf_counter() - started) / len(items) * 1e6
    started = time.perf_counter()
    for i in range(0, len(items), batch):
        detector._last = None
        detector.scores(items[i:i + batch])
    scores_only = (time.perf_counter() - started) / len(items) * 1e6
    latencies = []
    for item in items[:5000]:
        detector._last = None
        t0 = time.perf_counter()
        detector.detect([item])
        detector.scores([item])
        latencies.append((time.perf_counter() - t0) * 1000)
    return [
        ("ml: detect + scores, batches (us/text)", f"{per_text:.1f}"),
        ("ml: scores only, batches (us/text)", f"{scores_only:.1f}"),
        ("ml: findings per text in this corpus", f"{findings / len(items):.2f}"),
        ("ml: single text p50 (ms)", f"{percentile(latencies, 50):.3f}"),
        ("ml: single text p99 (ms)", f"{percentile(latencies, 99):.3f}"),
    ]


def engine(corpus: list[str], batch: int, with_ml: bool) -> list[tuple[str, str]]:
    from warden.detectors.registry import available, create
    from warden.domain.context import CheckContext
    from warden.engine import Engine

    names = [n for n in available() if n != "ml_deep" and (with_ml or n != "ml")]  # the deeper tier is opt-in
    if with_ml and "ml" not in names:
        names.append("ml")
    label = "engine + ml" if with_ml else "engine without ml"
    try:
        from engine_speed import without_rules_on
        from warden.policy.loader import load

        # without a detector, the pack's rules on its categories would name categories nothing produces
        prefixes = ("ml_deep.",) if with_ml else ("ml.", "ml_deep.")
        policy = without_rules_on(load(None), *prefixes)
        eng = Engine(policy=policy, detectors=create(names))
    except Exception as error:  # a benchmark row says what failed instead of stopping
        return [(f"{label}: not measured", type(error).__name__)]
    context = CheckContext()
    contexts = [context] * batch
    eng.check_batch(corpus[:batch], contexts)
    started = time.perf_counter()
    for i in range(0, len(corpus), batch):
        chunk = corpus[i:i + batch]
        eng.check_batch(chunk, contexts[: len(chunk)])
    rate = len(corpus) / (time.perf_counter() - started)
    latencies = []
    for text in corpus[:3000]:
        t0 = time.perf_counter()
        eng.check(text, context)
        latencies.append((time.perf_counter() - t0) * 1000)
    return [
        (f"{label}: batch throughput (texts/s)", f"{rate:,.0f}"),
        (f"{label}: single text p50 (ms)", f"{percentile(latencies, 50):.3f}"),
        (f"{label}: single text p99 (ms)", f"{percentile(latencies, 99):.3f}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    corpus = texts(args.texts)
    print(f"Warden ML speed — {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"one process, {len(corpus):,} texts, batches of {args.batch}")
    rows = ml_alone(corpus, args.batch)
    rows += engine(corpus, args.batch, with_ml=False)
    rows += engine(corpus, args.batch, with_ml=True)
    width = max(len(r[0]) for r in rows) + 2
    for name, value in rows:
        print(f"{name:<{width}}{value:>12}")
    print("targets: whole engine >= 5,000 texts/s per process, single text p99 <= 5 ms")


if __name__ == "__main__":
    main()
