"""What the deeper tier adds to the checking of DRAFTS (outbound), whole engine,
policy included: with the built-in pack as it is, and with its rules that
name the deeper tier (``ml_deep.*``) taken out.

    .venv/bin/python benchmarks/drafts_review.py [--pack uk-policing] [--show]

Two invented sets (``benchmarks/data``), written for this benchmark by one
author after both models were trained; neither model trained on them:

* ``drafts_ordinary.txt`` (220): posts a force would publish: appeals, road
  closures, court results, knife-crime and drink-driving campaigns, hate-crime
  and domestic-abuse signposting, replies, light-hearted posts;
* ``drafts_careless.txt`` (120): drafts an approver should see first:
  mockery, contempt for a place or a group, sneering at victims, veiled
  threats, bullying; two thirds without a swear word or a listed insult.

Printed: the share of each set held or blocked (the approver sees it), the
rules that did it, and the cost per draft.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import numpy as np

from engine_speed import without_rules_on
from warden.domain.context import CheckContext
from warden.domain.decision import Decision
from warden.domain.enums import AccountType, Direction
from warden.engine import Engine
from warden.policy.loader import Policy, load

DATA = Path(__file__).resolve().parent / "data"
STOPPED = {"hold", "block"}
DEEP = "ml_deep."


def lines(name: str) -> list[str]:
    return [line for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def without_deep(policy: Policy) -> Policy:
    """The same pack minus every rule naming the deeper tier's categories."""
    return without_rules_on(policy, DEEP)


def check_all(engine: Engine, texts: list[str], context: CheckContext) -> tuple[list[Decision], list[float]]:
    decisions, times = [], []
    for text in texts:
        started = time.perf_counter()
        decisions.append(engine.check(text, context))
        times.append((time.perf_counter() - started) * 1e3)
    return decisions, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pack", default=None, help="built-in pack or file (default: the built-in default)")
    parser.add_argument("--show", action="store_true", help="list the drafts each configuration stops differently")
    args = parser.parse_args()
    policy = load(args.pack)
    engines = {"with the deeper tier": Engine(policy), "without (fast tier, lexicon)": Engine(without_deep(policy))}
    deep_rules = sorted({r.id for r in policy.pack.rules} - {r.id for r in without_deep(policy).pack.rules})
    if not deep_rules:
        raise SystemExit(f"pack {policy.id} names no ml_deep.* category: nothing to compare")
    context = CheckContext(direction=Direction.OUTBOUND, account_type=AccountType.CORPORATE)
    sets = {"ordinary": lines("drafts_ordinary.txt"), "careless": lines("drafts_careless.txt")}
    engines["with the deeper tier"].check("warm-up", context)
    print(f"Drafts, whole engine, pack {policy.id} {policy.revision}, corporate account; rules naming the deeper "
          f"tier: {', '.join(deep_rules)}")
    print(f"{'configuration':<32}{'set':<10}{'n':>5}{'held/blocked':>14}{'warned':>8}{'ms p50':>8}{'ms p99':>8}"
          f"   stopped by (rule: drafts)")
    stopped: dict[tuple[str, str], list[bool]] = {}
    for label, engine in engines.items():
        for name, texts in sets.items():
            decisions, times = check_all(engine, texts, context)
            actions = [d.action.value for d in decisions]
            stopped[label, name] = [a in STOPPED for a in actions]
            rules = Counter(r.rule_id for d in decisions if d.action.value in STOPPED for r in d.reasons
                            if r.action.value in STOPPED)
            print(f"{label:<32}{name:<10}{len(texts):>5}{np.mean(stopped[label, name]):>14.3f}"
                  f"{actions.count('warn') / len(texts):>8.3f}{np.percentile(times, 50):>8.1f}"
                  f"{np.percentile(times, 99):>8.1f}   {', '.join(f'{k}: {v}' for k, v in rules.most_common(6))}")
    print("held/blocked: the share an approver sees before it goes out (target: high on careless, low on ordinary)")
    for name, texts in sets.items():
        a, b = stopped["with the deeper tier", name], stopped["without (fast tier, lexicon)", name]
        added = [t for t, x, y in zip(texts, a, b, strict=True) if x and not y]
        print(f"{name}: {len(added)} drafts stopped only because of the deeper tier")
        if args.show:
            print("\n".join(f"  + {t}" for t in added))


if __name__ == "__main__":
    main()
