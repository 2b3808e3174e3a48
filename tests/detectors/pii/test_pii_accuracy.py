"""The invented UK PII table: recall and precision per category."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from warden.detectors.base import TextItem
from warden.detectors.pii.detectors import CATEGORIES, find_pii

TABLE = Path(__file__).resolve().parents[3] / "benchmarks" / "data" / "uk_pii_cases.jsonl"


def load() -> list[dict[str, Any]]:
    with TABLE.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_table_shape() -> None:
    cases = load()
    assert len(cases) >= 400
    positives = Counter(e["category"] for c in cases for e in c["expected"])
    for category in CATEGORIES:
        assert positives[category] >= 25, category
    assert sum(1 for c in cases if not c["expected"]) >= 120
    for c in cases:
        for e in c["expected"]:
            assert e["text"] in c["text"], c


def score() -> dict[str, tuple[float, float, int]]:
    found_ok: Counter[str] = Counter()
    expected_n: Counter[str] = Counter()
    pred_ok: Counter[str] = Counter()
    pred_n: Counter[str] = Counter()
    for case in load():
        text = str(case["text"])
        spans = []
        for e in case["expected"]:
            start = text.index(e["text"])
            spans.append((e["category"], start, start + len(e["text"])))
        findings = find_pii(TextItem(text))
        for cat, a, b in spans:
            expected_n[cat] += 1
            found_ok[cat] += any(f.category == cat and f.start < b and a < f.end for f in findings)
        for f in findings:
            pred_n[f.category] += 1
            pred_ok[f.category] += any(f.category == cat and f.start < b and a < f.end for cat, a, b in spans)
    return {
        cat: (
            found_ok[cat] / expected_n[cat] if expected_n[cat] else 1.0,
            pred_ok[cat] / pred_n[cat] if pred_n[cat] else 1.0,
            expected_n[cat],
        )
        for cat in CATEGORIES
    }


SCORES = score()


@pytest.mark.parametrize("category", CATEGORIES)
def test_recall_and_precision(category: str) -> None:
    recall, precision, support = SCORES[category]
    assert support >= 25
    assert recall >= 0.98, f"{category} recall {recall:.3f}"
    assert precision >= 0.97, f"{category} precision {precision:.3f}"
