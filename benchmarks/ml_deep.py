"""What the deeper tier (``ml_deep``: fine-tuned MiniLM-L6, int8 ONNX) adds to
the fast tier, and what it costs, on held-out data, side by side with
alt-profanity-check.

    .venv/bin/python benchmarks/ml_deep.py [--fast-ablations] [--skip-speed]

Needs the ``deep`` extra (onnxruntime, tokenizers), the committed artefact in
``src/warden/detectors/ml/models/deep``, and for the cross-data-set rows the
leave-one-source-out deep models written by ``training/deep_train.py
--variants no-olid no-toxic_spans no-hatexplain`` into ``benchmarks/.cache/deep``
(rows are skipped, with a note, when a model is missing). The fast tier's
cross-data-set models are the ablation models of ``benchmarks/ml_accuracy.py``
(``benchmarks/.cache/ml``; ``--fast-ablations`` trains any that are missing).

Every score is on the TEST split (never trained or calibrated on). The
blend (logistic regression on the fast tier's and the deep tier's log-odds)
is the one the detector runs (``models/deep/blend.json``, fitted on the
calibration split by ``training/deep_blend.py``); for the cross-data-set rows
it is fitted the same way for the two leave-one-out models, on the other
sources' calibration rows. Deep scores are cached per model version in
``benchmarks/.cache/deep``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from deep_blend import DeepLogOdds, blend_scores, calib_rows, fast_log_odds, fit_category  # noqa: E402
from ml_data import SOURCES, Example, load_all  # noqa: E402
from ml_labels import UNKNOWN  # noqa: E402

from apc_recipe import ApcRecipe  # noqa: E402
from warden.detectors.ml.blend import read_blend  # noqa: E402
from warden.detectors.ml.deep import DEEP_DIR, DEFAULT_BAND, DEFAULT_INBOUND_SHARE, DeepModel  # noqa: E402
from warden.detectors.ml.detector import CATEGORIES  # noqa: E402
from warden.detectors.ml.model import LinearModel, load_model  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache" / "deep"
FAST_CACHE = ROOT / "benchmarks" / ".cache" / "ml"
CALIB_CAP = 1_500
IN_DOMAIN = [("olid", "toxicity"), ("olid", "insult"), ("olid", "profanity"), ("hatexplain", "toxicity"),
             ("hatexplain", "identity_hate"), ("stormfront", "identity_hate"), ("toxic_spans", "insult"),
             ("toxic_spans", "identity_hate"), ("toxic_spans", "profanity"), ("davidson", "toxicity"),
             ("davidson", "identity_hate"), ("invented", "threat"), ("invented", "self_harm"),
             ("invented", "urgency"), ("crisislex", "urgency"), ("sms_spam", "spam")]
CROSS = [("olid", "toxicity"), ("olid", "insult"), ("olid", "profanity"), ("hatexplain", "toxicity"),
         ("hatexplain", "identity_hate"), ("toxic_spans", "insult"), ("toxic_spans", "identity_hate"),
         ("toxic_spans", "profanity")]
OFFENSIVE = ("toxicity", "insult", "profanity", "identity_hate")
APC_TRAINED_ON = ("davidson",)


def apc_scores(texts: Sequence[str]) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from profanity_check import predict_prob

        return np.asarray(predict_prob(list(texts)), dtype=np.float64)


def auc(y: np.ndarray, s: np.ndarray) -> float:
    return float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else float("nan")


def fast_ablation(source: str, train_missing: bool) -> LinearModel | None:
    name = f"no-{source}"
    if train_missing:
        from ml_accuracy import ablation
        from warden.detectors.ml.model import load_model as production

        return ablation(source, False, production())
    if (FAST_CACHE / f"{name}.json").exists():
        return load_model(FAST_CACHE, name)
    return None


def fmt(x: float) -> str:
    return "   n/a" if x != x else f"{x:6.3f}"


def speed(directory: Path, texts: list[str]) -> None:
    sample = texts[:1024]
    for sub_batch, label in ((1, "one text at a time (default: scores independent of the batch)"),
                             (32, "padded int8 batches of 32 (opt-in)")):
        model = DeepModel(directory, sub_batch=sub_batch)
        model.probabilities(sample[:64])  # warm-up
        started = time.perf_counter()
        for i in range(0, len(sample), 256):
            model.probabilities(sample[i:i + 256])
        rate = len(sample) / (time.perf_counter() - started)
        print(f"  throughput, calls of 256 texts, {label}: {rate:,.0f} texts/s ({1e3 / rate:.1f} ms per text)")
    model = DeepModel(directory)
    latencies = []
    for text in texts[1024:1424]:
        t0 = time.perf_counter()
        model.probabilities([text])
        latencies.append((time.perf_counter() - t0) * 1e3)
    lens = np.array([len(t) for t in texts[1024:1424]])
    print(f"  single text: p50 {np.percentile(latencies, 50):.1f} ms, p99 {np.percentile(latencies, 99):.1f} ms, "
          f"max {max(latencies):.1f} ms (400 test texts, mean {lens.mean():.0f} characters)")
    print(f"  sample: test-split texts in load order ({len(sample):,} for throughput; mean "
          f"{np.mean([len(t) for t in sample]):.0f} characters)")


def share_near(fast: LinearModel, rows: list[Example]) -> None:
    """How many inbound texts the detector would send deep: those with some category's fast-tier probability
    below its threshold by at most ``DEFAULT_BAND`` log-odds (the detector's rule, before its cap)."""
    p = np.clip(fast.probabilities([e.norm for e in rows]), 1e-6, 1 - 1e-6)
    t = np.clip(fast.thresholds, 1e-6, 1 - 1e-6)
    gap = np.log(t / (1 - t)) - np.log(p / (1 - p))
    near = (gap > 0) & (gap <= DEFAULT_BAND)
    print(f"  inbound texts with a fast-tier probability below a threshold by at most {DEFAULT_BAND:g} log-odds: "
          f"{near.any(axis=1).mean():.1%} of the {len(rows):,} test-split texts of all sources (about half of them "
          f"toxic: more than real traffic); the detector sends at most {DEFAULT_INBOUND_SHARE:.0%} of an inbound "
          "batch, nearest first")
    for source in dict.fromkeys(e.source for e in rows):
        m = np.array([e.source == source for e in rows])
        print(f"    {source:<12} {near[m].any(axis=1).mean():6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast-ablations", action="store_true", help="train missing fast-tier ablation models")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--model-dir", type=Path, default=DEEP_DIR, help="the deep model (default: the committed one)")
    parser.add_argument("--sub-batch", type=int, default=1,
                        help="texts per onnxruntime call when scoring for ROC AUC (1 = as the detector runs)")
    parser.add_argument("--cross-dir", type=Path, default=CACHE, help="where the leave-one-out deep models are")
    args = parser.parse_args()
    started = time.perf_counter()
    examples = load_all()
    fast = load_model()
    deep = DeepLogOdds(args.model_dir, CACHE, args.sub_batch)
    meta = deep.model.meta
    size = (args.model_dir / "model.onnx").stat().st_size + (args.model_dir / "tokenizer.json").stat().st_size
    print(f"Warden deeper tier — model {deep.model.version} ({deep.model.description}); fast tier {fast.version}")
    print(f"Deep model trained on: the train split of {', '.join(SOURCES)} (capped per source: "
          f"{json.dumps(meta['training']['train_cap'])}), {meta['training']['epochs']:g} epochs; calibrated on the "
          f"calib split (<= {CALIB_CAP:,} rows per source). Fast tier: all 8 sources, train split.")
    print("Scores: ROC AUC on the TEST split (never trained or calibrated on). APC = alt-profanity-check 1.9.1 on the "
          "original text; Warden tiers on the engine's normal form. Deep scores: int8 ONNX, "
          + ("one text at a time (as the detector runs)." if args.sub_batch == 1 else
             f"padded batches of {args.sub_batch} (faster to measure; the detector runs one text at a time)."))

    test = [e for e in examples if e.split == "test"]
    deep_test = deep([e.norm for e in test])
    fast_test = fast_log_odds(fast, [e.norm for e in test])
    blend = read_blend(args.model_dir, CATEGORIES)
    blend.check(fast.version, deep.model.version)  # the detector's blend, for these very models
    blended = blend.probabilities(fast_test, deep_test)
    apc_test = apc_scores([e.text for e in test])
    recipe_test = ApcRecipe(examples)([e.text for e in test])
    source = np.array([e.source for e in test])

    def labels(rows: list[Example], k: int) -> np.ndarray:
        return np.array([e.labels[CATEGORIES[k]] for e in rows])

    print("\n1. In-domain (every model trained on the train split of all sources, including the tested one)")
    header = (f"{'tested on (test split)':<24}{'category':<15}{'n':>7}{'pos':>6}{'fast':>8}{'deep':>8}{'blend':>8}"
              f"{'APC':>8}{'deep-APC':>10}{'blend-APC':>10}{'deep-fast':>11}{'recipe':>8}{'blend-rec':>10}")
    print(header)
    short: list[str] = []
    for name, category in IN_DOMAIN:
        k = CATEGORIES.index(category)
        y_all = labels(test, k)
        rows = (source == name) & (y_all != UNKNOWN)
        if rows.sum() == 0 or y_all[rows].min() == y_all[rows].max():
            continue
        y = y_all[rows]
        f, d, bl, a, r = (auc(y, fast_test[rows, k]), auc(y, deep_test[rows, k]), auc(y, blended[rows, k]),
                          auc(y, apc_test[rows]), auc(y, recipe_test[rows]))
        dagger = " †" if name in APC_TRAINED_ON else ""
        best = bl
        print(f"{name + dagger:<24}{category:<15}{int(rows.sum()):>7,}{int(y.sum()):>6,}{fmt(f):>8}{fmt(d):>8}"
              f"{fmt(bl):>8}{fmt(a):>8}{d - a:>+10.3f}{best - a:>+10.3f}{d - f:>+11.3f}{fmt(r):>8}{best - r:>+10.3f}")
        if category in OFFENSIVE and name not in APC_TRAINED_ON and best - a < 0.05:
            short.append(f"{name} {category} ({best - a:+.3f})")
    print("   † alt-profanity-check was trained on Davidson et al.: those rows are in-sample for APC, not held out.")
    print(f"   blend = the detector's: logistic regression on [fast, deep] log-odds, fitted on the calib split "
          f"({blend.meta['fitted_on']}).")
    print("   recipe = APC's own training recipe fitted on the fast tier's training rows (benchmarks/apc_recipe.py): "
          "Warden's data, APC's method.")

    print("\n2. Cross-data-set (each model trained WITHOUT any of the tested data set; tested on its test split)")
    print(f"{'tested on (test split)':<24}{'trained on':<22}{'category':<15}{'n':>7}{'pos':>6}{'fast':>8}{'deep':>8}"
          f"{'blend':>8}{'APC':>8}{'deep-APC':>10}{'blend-APC':>10}{'deep-fast':>11}{'recipe':>8}{'blend-rec':>10}")
    behind: list[str] = []
    for held in dict.fromkeys(n for n, _ in CROSS):
        directory = args.cross_dir / f"no-{held}"
        if not (directory / "deep.json").exists():
            print(f"{held:<24}{'all but ' + held:<22}(no deep model: run training/deep_train.py --variants no-{held})")
            continue
        cross_deep = DeepLogOdds(directory, CACHE, args.sub_batch)
        print(f"{'':<24}(deep model without {held}: {cross_deep.model.description}, "
              f"{cross_deep.model.meta['training']['epochs']:g} epoch)")
        cross_fast = fast_ablation(held, args.fast_ablations)
        rows_e = [e for e in test if e.source == held]
        d_raw = cross_deep([e.norm for e in rows_e])
        f_raw = fast_log_odds(cross_fast, [e.norm for e in rows_e]) if cross_fast is not None else None
        a_raw = apc_test[source == held]
        r_raw = ApcRecipe(examples, exclude=(held,))([e.text for e in rows_e])
        # the blend of the two leave-one-out models, fitted on calib rows of the OTHER sources only
        cal_x = calib_rows(examples, exclude=(held,))
        d_cal = cross_deep([e.norm for e in cal_x])
        f_cal = fast_log_odds(cross_fast, [e.norm for e in cal_x]) if cross_fast is not None else None
        for name, category in CROSS:
            if name != held:
                continue
            k = CATEGORIES.index(category)
            y = labels(rows_e, k)
            m = y != UNKNOWN
            d = auc(y[m], d_raw[m, k])
            f = auc(y[m], f_raw[m, k]) if f_raw is not None else float("nan")
            a, r = auc(y[m], a_raw[m]), auc(y[m], r_raw[m])
            bl = float("nan")
            if f_raw is not None and f_cal is not None:
                yc = labels(cal_x, k)
                kc = yc != UNKNOWN
                weights = fit_category(f_cal[kc, k], d_cal[kc, k], yc[kc])
                bl = auc(y[m], blend_scores(weights, f_raw[m, k], d_raw[m, k]))
            best = bl if bl == bl else d
            print(f"{held:<24}{'all but ' + held:<22}{category:<15}{int(m.sum()):>7,}{int(y[m].sum()):>6,}{fmt(f):>8}"
                  f"{fmt(d):>8}{fmt(bl):>8}{fmt(a):>8}{d - a:>+10.3f}{best - a:>+10.3f}{d - f:>+11.3f}"
                  f"{fmt(r):>8}{best - r:>+10.3f}")
            if category in OFFENSIVE and best - a < 0.05:
                short.append(f"{held} {category}, cross ({best - a:+.3f}; APC's recipe on the same data "
                             f"{r:.3f}, {r - a:+.3f} from APC)")
            if category in OFFENSIVE and best - r < 0.05:
                behind.append(f"{held} {category} ({best - r:+.3f})")
    print("   fast = the fast tier's ablation model from benchmarks/ml_accuracy.py (n/a: not cached here; "
          "--fast-ablations trains it); blend = both leave-one-out models, fitted on calib rows of the other sources.")
    print("   recipe = APC's own training recipe fitted on the fast ablation model's training rows (all but the "
          "tested set).")
    print(f"\nOffensive/toxic rows held out for APC where the blend (the detector's output) is short of APC + 0.05: "
          f"{'; '.join(short) or 'none'}")
    print(f"Cross-data-set rows where the blend is short of APC's recipe on the same data + 0.05: "
          f"{'; '.join(behind) or 'none'}")

    print(f"\n3. Cost: model {size / 1e6:.1f} MB on disk (int8 ONNX + tokenizer), "
          f"onnxruntime {_version('onnxruntime')}, 2 intra-op threads, this machine's CPU (shared 2-core VM)")
    share_near(fast, test)
    if not args.skip_speed:
        speed(args.model_dir, [e.norm for e in test])
    print(f"\n(done in {time.perf_counter() - started:.0f}s)")


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    hashlib.sha256()  # stable import order for linters
    main()
