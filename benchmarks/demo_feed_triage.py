"""How the whole engine (policy included) triages the bundled demo feeds:
420 invented, labelled inbound messages written apart from the detectors
and never used to train or tune them (src/warden/demo/README.md).

    .venv/bin/python benchmarks/demo_feed_triage.py

For each label: how many messages got each inbound action. Then the rates that
matter: threats and crises escalated, ordinary speech and lawful criticism
left visible (not hidden, not escalated).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from importlib import resources

from warden.domain.context import CheckContext, Registers
from warden.domain.enums import AccountType, Direction
from warden.engine import Engine
from warden.policy.loader import load

FEEDS = ("inbound_corporate.jsonl", "inbound_neighbourhood.jsonl")
REGISTERS = Registers(active_proceedings=("Jason Tulley", "Kim Rowsell", "Wayne Marsh", "Jo Bloggs"))
ACTIONS = ("none", "review", "redirect", "hide", "hide_and_escalate", "escalate_urgent")
HARMLESS = ("ordinary", "criticism", "figurative")


def main() -> None:
    engine = Engine(load(None))
    by_label: dict[str, Counter[str]] = defaultdict(Counter)
    for feed in FEEDS:
        for line in resources.files("warden.demo").joinpath(feed).read_text("utf-8").splitlines():
            record = json.loads(line)
            decision = engine.check(record["text"], CheckContext(direction=Direction.INBOUND,
                                                                 account_type=AccountType.CORPORATE,
                                                                 registers=REGISTERS))
            by_label[record["_label"]][decision.action.value] += 1
    print("demo feeds (420 invented messages, not used in training or tuning): inbound action by label")
    print(f"{'label':14} {'n':>4} " + " ".join(f"{a[:12]:>12}" for a in ACTIONS))
    for label in sorted(by_label):
        counts = by_label[label]
        print(f"{label:14} {sum(counts.values()):4} " + " ".join(f"{counts[a]:12}" for a in ACTIONS))

    def rate(labels: tuple[str, ...], actions: tuple[str, ...]) -> str:
        total = sum(sum(by_label[x].values()) for x in labels)
        hit = sum(by_label[x][a] for x in labels for a in actions)
        return f"{hit}/{total} = {hit / total:.2f}" if total else "n/a"

    escalated = ("escalate_urgent", "hide_and_escalate")
    print(f"\nthreats escalated:                  {rate(('threat',), escalated)}")
    print(f"self-harm / crisis escalated:       {rate(('self_harm',), escalated)}")
    print(f"crime reports redirected or urgent: {rate(('crime_report',), ('redirect', *escalated))}")
    print(f"abuse + hate hidden or escalated:   {rate(('abuse', 'hate_abuse'), ('hide', *escalated))}")
    print(f"harmless hidden or escalated:       {rate(HARMLESS, ('hide', *escalated))}  (lower is better)")
    print(f"harmless sent to review:            {rate(HARMLESS, ('review',))}")


if __name__ == "__main__":
    main()
