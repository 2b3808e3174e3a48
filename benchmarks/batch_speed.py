"""``warden check --input`` end to end: JSONL in, JSONL out, 1 and 2 worker
processes, as a person would run it.

    .venv/bin/python benchmarks/batch_speed.py [--texts 40000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import texts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=40_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.jsonl"
        with source.open("w", encoding="utf-8") as handle:
            for i, text in enumerate(texts(args.texts)):
                handle.write(json.dumps({"id": i, "text": text}) + "\n")
        print(f"warden check --input: {args.texts:,} texts from shared/data, whole process incl. start-up")
        print(f"{'workers':<10}{'seconds':>10}{'texts/s':>12}{'peak RSS MB (parent)':>24}")
        for workers in (1, 2):
            target = Path(folder) / f"out{workers}.jsonl"
            command = [sys.executable, "-c",
                       "import resource, sys; from warden.cli import main; sys.argv=sys.argv[1:]; "
                       "import atexit; atexit.register(lambda: print("
                       "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, file=sys.stderr)); main()",
                       "warden", "check", "--input", str(source), "--output", str(target), "--workers", str(workers)]
            started = time.perf_counter()
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - started
            rows = sum(1 for _ in target.open(encoding="utf-8"))
            assert rows == args.texts, (rows, result.stderr[-500:])
            peak = result.stderr.strip().splitlines()[-1]
            print(f"{workers:<10}{seconds:>10.2f}{args.texts / seconds:>12,.0f}{peak:>24}")


if __name__ == "__main__":
    main()
