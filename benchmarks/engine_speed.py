"""Speed and memory of the whole risk engine (normalise, lexicons, PII,
links, registers, patterns, policy) in ONE process on this machine.

    .venv/bin/python benchmarks/engine_speed.py [--texts 20000]

Prints batch throughput, single-text latency percentiles and peak memory.
Throughput (and the p99 latency) are also given in CPU time of this process:
on a shared machine the wall-clock figures count time spent waiting for a
core, the CPU-time ones do not (on a quiet machine the two agree).
"""

from __future__ import annotations

import argparse
import gc
import platform
import resource
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import texts
from warden.detectors.registry import available, create
from warden.domain.context import CheckContext, Registers
from warden.engine import Engine
from warden.policy.loader import Policy, load

REGISTERS = Registers(active_proceedings=("Jo Bloggs", "Sam Smith"), anonymity=("Alex Doe",),
                      operations=("Nightjar", "Kestrel"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    # neither learned tier: the fast classifiers (ml) nor the opt-in deeper tier (ml_deep)
    rules_only = [name for name in available() if name not in ("ml", "ml_deep")]
    measure("rules only: normalise, lexicons, PII, links, registers, patterns, policy", Engine(
        policy=without_ml_rules(load(None)), detectors=create(rules_only)), args)
    print()
    measure("everything, with the learned classifiers (ml)", Engine(), args)


def without_ml_rules(policy: Policy) -> Policy:
    """The pack less its rules on ml.* categories (an engine without the
    classifiers refuses a policy naming categories nothing produces)."""
    rules = [rule for rule in policy.pack.rules
             if not any(c.startswith("ml.") for c in (*rule.when.any, *rule.when.also_any, *rule.when.none))]
    return replace(policy, pack=policy.pack.model_copy(update={"rules": rules}))


def measure(title: str, engine: Engine, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    engine.check("warm up the lazily loaded parts")
    build = time.perf_counter() - started
    corpus = texts(args.texts)
    context = CheckContext(registers=REGISTERS)
    contexts = [context] * args.batch
    mean_chars = statistics.mean(len(t) for t in corpus)

    engine.check_batch(corpus[: args.batch], contexts)  # warm caches
    gc.collect()
    started, cpu_started = time.perf_counter(), time.process_time()
    for i in range(0, len(corpus), args.batch):
        chunk = corpus[i:i + args.batch]
        engine.check_batch(chunk, contexts[: len(chunk)])
    batch_rate = len(corpus) / (time.perf_counter() - started)
    cpu_rate = len(corpus) / (time.process_time() - cpu_started)

    latencies = []
    cpu_latencies = []
    for text in corpus[:5000]:
        t0, c0 = time.perf_counter(), time.thread_time()
        engine.check(text, context)
        latencies.append((time.perf_counter() - t0) * 1000)
        cpu_latencies.append((time.thread_time() - c0) * 1000)
    latencies.sort()
    cpu_latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # process peak so far
    print(f"Warden engine speed, {title} — {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}, one process, {len(corpus):,} texts (mean {mean_chars:.0f} chars) "
          "from shared/data + demo samples")
    print(f"{'measure':<36}{'value':>14}{'target':>14}")
    rows = [
        ("first check incl. lazy loading (s)", f"{build:.2f}", ""),
        ("batch throughput (texts/s)", f"{batch_rate:,.0f}", ">= 5,000"),
        ("  same, per CPU-second (texts/s)", f"{cpu_rate:,.0f}", ""),
        ("single text p50 (ms)", f"{pct(50):.3f}", ""),
        ("single text p95 (ms)", f"{pct(95):.3f}", ""),
        ("single text p99 (ms)", f"{pct(99):.3f}", "<= 5"),
        ("  same, CPU time of the thread (ms)", f"{cpu_latencies[int(0.99 * len(cpu_latencies))]:.3f}", ""),
        ("single text max (ms)", f"{latencies[-1]:.3f}", ""),
        ("peak memory, RSS (MB)", f"{peak_mb:.0f}", "<= 400"),
    ]
    for name, value, target in rows:
        print(f"{name:<36}{value:>14}{target:>14}")


if __name__ == "__main__":
    main()
