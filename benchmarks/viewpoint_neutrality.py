"""Viewpoint neutrality of the WHOLE engine (detectors and policy), inbound.

    .venv/bin/python benchmarks/viewpoint_neutrality.py [--show-misses] [--sets tuning|held-out|both]
        [--aggregate-only]

Two pairs of invented sets written for Warden (UK English, varied), each with
lawful messages (criticism of the police, political opinions about policing,
swearing at a situation, sarcasm) and genuinely abusive ones (threats, slurs,
doxxing, targeted abuse). Nothing here trained any model.

* TUNING sets (``viewpoint_lawful.txt``, 152; ``viewpoint_abusive.txt``, 154):
  the inbound ml policy rules were tuned while looking at them, so their
  figures are optimistic.
* HELD-OUT sets (``viewpoint_lawful_holdout.txt``, 155;
  ``viewpoint_abusive_holdout.txt``, 155): written later, by a different
  session, without looking at the misclassifications of the first pair and
  in different words; measured once, with no rule or model tuned on them
  afterwards. These are the figures to quote.

* false-hide rate: lawful messages the policy would hide (hide or
  hide_and_escalate), or escalate as urgent; target at most 2%.
* recall: abusive messages given any action other than none/redirect;
  target at least 0.90. Also shown: the share hidden or escalated outright.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from warden.domain.context import CheckContext
from warden.domain.enums import Direction
from warden.engine import Engine

DATA = Path(__file__).resolve().parent / "data"
HIDDEN = {"hide", "hide_and_escalate", "escalate_urgent"}
CAUGHT = HIDDEN | {"review"}


def load(name: str) -> list[str]:
    return [line for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


SETS = (
    ("tuning", "viewpoint_lawful.txt", "viewpoint_abusive.txt"),
    ("held-out", "viewpoint_lawful_holdout.txt", "viewpoint_abusive_holdout.txt"),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show-misses", action="store_true",
                        help="also list the abusive messages let through (never tune the held-out rules on them)")
    parser.add_argument("--sets", choices=("tuning", "held-out", "both"), default="both",
                        help="which pair to measure (tuning: as often as you like while working)")
    parser.add_argument("--aggregate-only", action="store_true",
                        help="print only the aggregate figures, no per-message lines (for an author writing "
                             "training data who must not read the held-out messages)")
    args = parser.parse_args()
    engine = Engine()
    context = CheckContext(direction=Direction.INBOUND)
    print(f"Viewpoint neutrality, whole engine, policy {engine.policy.pack.id} {engine.policy.revision}")
    print(f"{'set':<10}{'measure':<48}{'value':>10}{'target':>10}")
    details: list[str] = []
    for label, lawful_file, abusive_file in SETS:
        if args.sets not in ("both", label):
            continue
        lawful, abusive = load(lawful_file), load(abusive_file)
        lawful_actions = [engine.check(t, context).action.value for t in lawful]
        abusive_actions = [engine.check(t, context).action.value for t in abusive]
        false_hide = sum(a in HIDDEN for a in lawful_actions) / len(lawful)
        recall = sum(a in CAUGHT for a in abusive_actions) / len(abusive)
        hidden = sum(a in HIDDEN for a in abusive_actions) / len(abusive)
        print(f"{label:<10}{'false-hide rate on ' + str(len(lawful)) + ' lawful messages':<48}{false_hide:>10.3f}"
              f"{'<= 0.02':>10}")
        print(f"{label:<10}{'recall on ' + str(len(abusive)) + ' abusive messages (any action)':<48}{recall:>10.3f}"
              f"{'>= 0.90':>10}")
        print(f"{label:<10}{'abusive hidden or escalated outright':<48}{hidden:>10.3f}{'':>10}")
        details.append(f"{label} lawful actions: {dict(Counter(lawful_actions))}")
        details.append(f"{label} abusive actions: {dict(Counter(abusive_actions))}")
        details += [f"  {label}: lawful but {action}: {text}"
                    for text, action in zip(lawful, lawful_actions, strict=True) if action in HIDDEN]
        if args.show_misses:
            details += [f"  {label}: abusive but {action}: {text}"
                        for text, action in zip(abusive, abusive_actions, strict=True) if action not in CAUGHT]
    if args.aggregate_only:
        details = [line for line in details if not line.startswith("  ")]
    print("\n".join(details))


if __name__ == "__main__":
    main()
