"""Recall on obfuscated copies of the benchmark cases stays within 5% of plain recall."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

from warden.detectors.base import TextItem
from warden.detectors.lexicon.detector import LexiconDetector

ROOT = Path(__file__).resolve().parents[3]


def _benchmark() -> ModuleType:
    name = "lexicon_obfuscation_benchmark"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "lexicon_obfuscation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bench = _benchmark()


@pytest.fixture(scope="module")
def tally() -> object:
    return bench.evaluate(LexiconDetector(), bench.load_cases(), seed=bench.SEED, copies=bench.COPIES)


def test_cases_cover_every_category() -> None:
    cases = bench.load_cases()
    assert len(cases) >= 300
    assert sum(1 for c in cases if not c.expected) >= 60
    covered = {c for case in cases for c in case.expected}
    assert covered == set(LexiconDetector().categories)


def test_plain_recall(tally: object) -> None:
    plain, _ = tally.recall()  # type: ignore[attr-defined]
    assert plain >= 0.99


def test_clean_texts_find_nothing(tally: object) -> None:
    assert tally.clean_with_findings == 0  # type: ignore[attr-defined]


def test_obfuscated_recall_ratio(tally: object) -> None:
    assert tally.ratio() >= 0.95, bench.table(tally)  # type: ignore[attr-defined]


def test_generator_is_deterministic() -> None:
    text, spans = "you absolute muppet", [(13, 19)]
    first = bench.obfuscate(text, spans, random.Random("1312:0:0"))
    assert first == bench.obfuscate(text, spans, random.Random("1312:0:0"))
    assert first.startswith("you absolute ") and first != text


def test_generator_touches_only_the_spans() -> None:
    text = "Officers said the idiot driver fled"
    for k in range(20):
        out = bench.obfuscate(text, [(18, 23)], random.Random(k))
        assert out.startswith("Officers said the ") and out.endswith(" driver fled")


@pytest.mark.parametrize("technique", ["leet", "spaced", "repeat", "zero_width", "homoglyph", "fullwidth"])
def test_each_technique_is_read_back(technique: str) -> None:
    rng = random.Random(7)
    word = "muppet"
    rewritten = {
        "leet": lambda: bench._leet(word, rng),
        "spaced": lambda: " ".join(word),
        "repeat": lambda: bench._repeat(word, rng),
        "zero_width": lambda: bench._zero_width(word, rng),
        "homoglyph": lambda: bench._homoglyph(word, rng),
        "fullwidth": lambda: bench._fullwidth(word),
    }[technique]()
    assert rewritten != word
    found = LexiconDetector().detect_one(TextItem(f"you {rewritten}"))
    assert [f.text for f in found if f.category == "lexicon.insult"] == [rewritten]
