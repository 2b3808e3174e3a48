"""Train Warden's fast-tier classifiers from ../shared/data and training/invented.

    .venv/bin/python training/train_classifiers.py                 # the committed model
    .venv/bin/python training/train_classifiers.py --exclude davidson --out benchmarks/.cache/ml --name no-davidson

The first form rewrites src/warden/detectors/ml/models/fast.{npz,json}. The
second trains an ablation model without one data set (for the cross-data-set
figures in benchmarks/ml_accuracy.py). Deterministic: the same data gives
the same files.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ml_data import SOURCES, load_all  # noqa: E402
from ml_train import fit  # noqa: E402

from warden.detectors.ml.model import DEFAULT_NAME, MODEL_DIR, save_model  # noqa: E402

ROOT = HERE.parent
# The fast tier's own training code only: the deeper tier's files (training/deep_*.py) do not decide it.
FINGERPRINTED = ("training/ml_*.py", "training/train_classifiers.py", "training/invented/*.tsv",
                 "src/warden/detectors/ml/features.py", "src/warden/detectors/normalise.py",
                 "src/warden/detectors/homoglyphs.py", "src/warden/detectors/emoji_words.py")


def fingerprint() -> str:
    """Hash of what decides a trained model: this code, the invented data and
    the normaliser (a model read text through the normaliser it was trained with)."""
    digest = hashlib.sha256()
    for pattern in FINGERPRINTED:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def train(out: Path = MODEL_DIR, name: str = DEFAULT_NAME, exclude: tuple[str, ...] = (), bits: int = 18,
          quick: bool = False, char_min: int = 3) -> Path:
    started = time.perf_counter()
    examples = load_all(exclude=exclude)
    print(f"loaded {len(examples):,} deduplicated examples from {', '.join(s for s in SOURCES if s not in exclude)}"
          f" ({time.perf_counter() - started:.0f}s)")
    fitted = fit(examples, bits=bits, char_min=char_min, c_grid=(4.0,) if quick else (1.0, 4.0, 16.0))
    command = "training/train_classifiers.py" + (f" --exclude {' '.join(exclude)}" if exclude else "")
    fitted.meta["training"]["command"] = f".venv/bin/python {command}"
    fitted.meta["training"]["excluded_sources"] = list(exclude)
    fitted.meta["training"]["fingerprint"] = fingerprint()
    path = save_model(out, name, fitted.arrays, fitted.meta)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) in {time.perf_counter() - started:.0f}s")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--name", default=DEFAULT_NAME)
    parser.add_argument("--exclude", nargs="*", default=[], choices=SOURCES)
    parser.add_argument("--bits", type=int, default=18)
    parser.add_argument("--char-min", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one C instead of a grid (ablations, experiments)")
    args = parser.parse_args()
    train(args.out, args.name, tuple(args.exclude), args.bits, args.quick, args.char_min)


if __name__ == "__main__":
    main()
