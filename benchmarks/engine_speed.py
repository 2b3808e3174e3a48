"""Speed and memory of the whole risk engine (normalise, lexicons, PII,
links, registers, patterns, policy) in ONE process on this machine.

    .venv/bin/python benchmarks/engine_speed.py [--texts 20000] [--skip-deep]

Three configurations: rules only; the fast pipeline (rules and the fast
classifiers, ``ml``; the pack's rules on the deeper tier left out), which
the targets are for; and the default pack as it runs, deeper tier
included, on inbound texts (it reads only those the fast tier nearly
flagged) and on drafts (it reads every one).

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
from warden.domain.enums import Direction
from warden.engine import Engine
from warden.policy.loader import Policy, load

REGISTERS = Registers(active_proceedings=("Jo Bloggs", "Sam Smith"), anonymity=("Alex Doe",),
                      operations=("Nightjar", "Kestrel"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--skip-deep", action="store_true", help="leave out the deeper tier's configurations")
    args = parser.parse_args()
    # neither learned tier: the fast classifiers (ml) nor the opt-in deeper tier (ml_deep)
    rules_only = [name for name in available() if name not in ("ml", "ml_deep")]
    policy = load(None)
    measure("rules only: normalise, lexicons, PII, links, registers, patterns, policy", Engine(
        policy=without_rules_on(policy, "ml.", "ml_deep."), detectors=create(rules_only)), args)
    print()
    measure("the fast pipeline: everything with the fast classifiers (ml), without the deeper tier", Engine(
        policy=without_rules_on(policy, "ml_deep.")), args)
    if args.skip_deep:
        return
    engine = Engine(policy)
    if "ml_deep" not in engine.pipeline.versions:
        print(f"\n(pack {policy.id} names no ml_deep.* category: the deeper tier is not running)")
        return
    print()
    measure("the default pack as it runs, deeper tier included: INBOUND (only texts the fast tier nearly flagged "
            "go deep; reported, the targets are the fast pipeline's)", engine, args, Direction.INBOUND, targets=False)
    print()
    args.texts = min(args.texts, 2_000)
    measure("the default pack as it runs, deeper tier included: DRAFTS (every text goes deep; reported, no target)",
            engine, args, Direction.OUTBOUND, targets=False)


def without_rules_on(policy: Policy, *prefixes: str) -> Policy:
    """The pack less its rules on categories with these prefixes (an engine
    without a detector refuses a policy naming categories nothing produces)."""
    rules = [rule for rule in policy.pack.rules if not any(c.startswith(prefixes) for c in rule.named_categories)]
    return replace(policy, pack=policy.pack.model_copy(update={"rules": rules}))


def measure(title: str, engine: Engine, args: argparse.Namespace, direction: Direction = Direction.OUTBOUND,
            targets: bool = True) -> None:
    started = time.perf_counter()
    engine.check("warm up the lazily loaded parts")
    build = time.perf_counter() - started
    corpus = texts(args.texts)
    context = CheckContext(registers=REGISTERS, direction=direction)
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
        ("batch throughput (texts/s)", f"{batch_rate:,.0f}", ">= 5,000" if targets else ""),
        ("  same, per CPU-second (texts/s)", f"{cpu_rate:,.0f}", ""),
        ("single text p50 (ms)", f"{pct(50):.3f}", ""),
        ("single text p95 (ms)", f"{pct(95):.3f}", ""),
        ("single text p99 (ms)", f"{pct(99):.3f}", "<= 5" if targets else ""),
        ("  same, CPU time of the thread (ms)", f"{cpu_latencies[int(0.99 * len(cpu_latencies))]:.3f}", ""),
        ("single text max (ms)", f"{latencies[-1]:.3f}", ""),
        ("peak memory, RSS (MB)", f"{peak_mb:.0f}", "<= 400"),
    ]
    for name, value, target in rows:
        print(f"{name:<36}{value:>14}{target:>14}")


if __name__ == "__main__":
    main()
