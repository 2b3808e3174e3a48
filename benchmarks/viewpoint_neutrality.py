"""Viewpoint neutrality of the WHOLE engine (detectors and policy), inbound.

    .venv/bin/python benchmarks/viewpoint_neutrality.py

Two invented sets written for Warden (UK English, varied): 152 lawful messages
(criticism of the police, political opinions about policing, swearing at a
situation, sarcasm) and 154 genuinely abusive ones (threats, slurs, doxxing,
targeted abuse). Nothing here trained any model.

* false-hide rate: lawful messages the policy would hide (hide or
  hide_and_escalate), or escalate as urgent; target at most 2%.
* recall: abusive messages given any action other than none/redirect;
  target at least 0.90. Also shown: the share hidden or escalated outright.
"""

from __future__ import annotations

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


def main() -> None:
    engine = Engine()
    context = CheckContext(direction=Direction.INBOUND)
    lawful, abusive = load("viewpoint_lawful.txt"), load("viewpoint_abusive.txt")
    lawful_actions = [engine.check(t, context).action.value for t in lawful]
    abusive_actions = [engine.check(t, context).action.value for t in abusive]
    false_hide = sum(a in HIDDEN for a in lawful_actions) / len(lawful)
    recall = sum(a in CAUGHT for a in abusive_actions) / len(abusive)
    hidden = sum(a in HIDDEN for a in abusive_actions) / len(abusive)
    print(f"Viewpoint neutrality, whole engine, policy {engine.policy.pack.id} {engine.policy.revision}")
    print(f"{'measure':<48}{'value':>10}{'target':>10}")
    print(f"{'false-hide rate on ' + str(len(lawful)) + ' lawful messages':<48}{false_hide:>10.3f}{'<= 0.02':>10}")
    print(f"{'recall on ' + str(len(abusive)) + ' abusive messages (any action)':<48}{recall:>10.3f}{'>= 0.90':>10}")
    print(f"{'abusive hidden or escalated outright':<48}{hidden:>10.3f}{'':>10}")
    print("lawful actions:", dict(Counter(lawful_actions)))
    print("abusive actions:", dict(Counter(abusive_actions)))
    for text, action in zip(lawful, lawful_actions, strict=True):
        if action in HIDDEN:
            print(f"  lawful but {action}: {text}")


if __name__ == "__main__":
    main()
