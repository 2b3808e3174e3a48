"""Regression guard on the invented viewpoint-neutrality sets (the benchmark
prints the figures): lawful criticism is never hidden; abuse is caught."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from viewpoint_neutrality import CAUGHT, HIDDEN, load
from warden.domain.context import CheckContext
from warden.domain.enums import Direction
from warden.engine import Engine


def test_false_hide_rate_and_recall() -> None:
    engine = Engine()
    context = CheckContext(direction=Direction.INBOUND)
    lawful = [engine.check(t, context).action.value for t in load("viewpoint_lawful.txt")]
    abusive = [engine.check(t, context).action.value for t in load("viewpoint_abusive.txt")]
    assert len(lawful) >= 150 and len(abusive) >= 150
    assert sum(a in HIDDEN for a in lawful) / len(lawful) <= 0.02
    assert sum(a in CAUGHT for a in abusive) / len(abusive) >= 0.90
