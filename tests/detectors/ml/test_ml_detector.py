"""The fast-tier ML detector, on the committed artefact (no training here)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from warden.detectors.base import Detector, Scorer, TextItem
from warden.detectors.ml.detector import CATEGORIES, MLDetector
from warden.detectors.ml.model import MODEL_DIR, load_model
from warden.detectors.pipeline import Pipeline
from warden.domain.errors import ConfigurationError

TEXTS = [
    "Lovely morning for the charity fun run in Roundhay Park",
    "You are a useless idiot and everyone knows it",
    "I'm going to k i l l you, I know where you live",
    "Y0u 4re a f*cking m0r0n",
    "Ｙｏｕ ａｒｅ ａｎ ｉｄｉｏｔ",
    "WINNER!! Claim your £1000 prize now, txt CLAIM to 80082",
    "There's a man with a knife outside the school right now, please send someone",
    "I've taken all my tablets and written my goodbye letters",
    "!!!",
    "🙂",
    "a",
    "word " * 2000,
]


@pytest.fixture(scope="module")
def detector() -> MLDetector:
    return MLDetector()


def items(texts: list[str]) -> list[TextItem]:
    return [TextItem(t) for t in texts]


def test_artefact_loads_and_matches_its_card(detector: MLDetector) -> None:
    model = detector.model
    meta = json.loads((MODEL_DIR / "fast.json").read_text("utf-8"))
    assert model.categories == CATEGORIES == tuple(meta["categories"])
    assert detector.version.startswith("fast-") and meta["npz_sha256"][:10] in detector.version
    assert (MODEL_DIR / "fast.npz").stat().st_size < 8_000_000
    assert (MODEL_DIR / "MODEL_CARD.md").is_file()
    assert all(0.0 < t < 1.0 for t in detector.thresholds.values())


def test_implements_both_protocols(detector: MLDetector) -> None:
    assert isinstance(detector, Detector)
    assert isinstance(detector, Scorer)
    assert detector.categories == tuple(f"ml.{c}" for c in CATEGORIES)
    assert detector.score_categories == CATEGORIES


def test_every_category_scored_in_unit_interval(detector: MLDetector) -> None:
    scores = detector.scores(items(TEXTS))
    assert len(scores) == len(TEXTS)
    for row in scores:
        assert tuple(row) == CATEGORIES
        assert all(0.0 <= p <= 1.0 for p in row.values())


def test_empty_batch(detector: MLDetector) -> None:
    assert detector.scores([]) == []
    assert detector.detect([]) == []


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("You are a useless idiot and everyone knows it", "ml.insult"),
        ("Y0u 4re a f*cking m0r0n", "ml.toxicity"),
        ("Ｙｏｕ ａｒｅ ａｎ ｉｄｉｏｔ", "ml.insult"),
        ("I'm going to k i l l you, I know where you live", "ml.threat"),
        ("WINNER!! Claim your £1000 prize now, txt CLAIM to 80082", "ml.spam"),
        ("I've taken all my tablets and written my goodbye letters", "ml.self_harm"),
    ],
)
def test_findings_carry_spans_into_the_original_text(detector: MLDetector, text: str, category: str) -> None:
    [found] = detector.detect(items([text]))
    hits = [f for f in found if f.category == category]
    assert hits, f"no {category} finding in {[f.category for f in found]}"
    for finding in found:
        assert 0 <= finding.start < finding.end <= len(text)
        assert finding.text == text[finding.start:finding.end]
        assert finding.detector == "ml" and finding.version == detector.version
        assert "model fast-" in finding.explanation and "top terms" in finding.explanation
        assert finding.score >= float(dict(finding.attributes)["threshold"])


def test_span_points_at_the_obfuscated_word(detector: MLDetector) -> None:
    text = "I'm going to k i l l you"
    [found] = detector.detect(items([text]))
    threat = next(f for f in found if f.category == "ml.threat")
    assert threat.text == "k i l l"
    assert threat.matched == "kill"


def test_clear_cases_rank_above_neutral(detector: MLDetector) -> None:
    neutral = "Lovely morning for the charity fun run in Roundhay Park"
    cases = {
        "threat": "I know where you live and I'm going to stab you",
        "insult": "you are a pathetic moron",
        "toxicity": "shut up you stupid bitch",
        "identity_hate": "all muslims are terrorists and should be deported",
        "profanity": "what the fuck is this shit",
        "sexual": "send me nudes babe",
        "spam": "URGENT! You have won a guaranteed £2000 cash prize, call 09061790121 now",
        "urgency": "Help, someone is breaking into my neighbour's house right now",
        "self_harm": "I can't go on, tonight I'm going to end my life",
    }
    base = detector.scores(items([neutral]))[0]
    scored = detector.scores(items(list(cases.values())))
    thresholds = detector.thresholds
    for (category, text), row in zip(cases.items(), scored, strict=True):
        assert base[category] < thresholds[category] <= row[category], (category, text, row[category])
        assert row[category] > 5 * base[category]


def test_figurative_speech_is_not_self_harm_or_urgent(detector: MLDetector) -> None:
    figurative = ["my mixtape is fire", "this traffic is killing me", "I'm dying of laughter"]
    for row in detector.scores(items(figurative)):
        assert row["self_harm"] < detector.thresholds["self_harm"]
        assert row["urgency"] < detector.thresholds["urgency"]


def test_deterministic_and_independent_of_batching(detector: MLDetector) -> None:
    together = detector.probabilities(items(TEXTS))
    alone = np.vstack([detector.probabilities(items([t])) for t in TEXTS])
    again = MLDetector().probabilities(items(list(reversed(TEXTS))))[::-1]
    assert np.array_equal(together, alone)
    assert np.array_equal(together, again)
    assert detector.detect(items(TEXTS)) == detector.detect(items(TEXTS))


def test_explanation_parts_sum_to_the_raw_score(detector: MLDetector) -> None:
    model = detector.model
    for text in TEXTS[:8]:
        form = TextItem(text).full.text
        explanation = model.explain(form)
        raw = model.raw([form])[0]
        assert np.allclose(explanation.total() + model.bias, raw, atol=1e-4)


def test_pipeline_puts_every_probability_in_scores(detector: MLDetector) -> None:
    detections = Pipeline([detector]).run(items(TEXTS[:3]))
    for detection in detections:
        assert set(CATEGORIES) <= set(detection.scores)
    assert any(f.category == "ml.insult" for f in detections[1].findings)


def test_registered_as_ml() -> None:
    from warden.detectors import registry

    assert "ml" in registry._FACTORIES
    assert isinstance(registry.create(["ml"])[0], MLDetector)


def test_missing_artefact_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        MLDetector(directory=tmp_path)


def test_tampered_artefact_is_refused(tmp_path: Path) -> None:
    shutil.copy(MODEL_DIR / "fast.json", tmp_path / "fast.json")
    data = bytearray((MODEL_DIR / "fast.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "fast.npz").write_bytes(bytes(data))
    with pytest.raises(ConfigurationError):
        load_model(tmp_path)


def test_batch_ranking_matches_single_text_explanations(detector: MLDetector) -> None:
    model = detector.model
    texts = [TextItem(t).full.text for t in [*TEXTS, "you stupid idiot, I will find you", "idiot idiot idiot"]]
    encoded, raw = model.score(texts, trace=True)
    hits = model.calibrate(raw) >= model.thresholds
    ranked = model.rank_hits(encoded, hits, 3)
    assert len(ranked) == int(hits.sum()) > 5
    for hit in ranked:
        single = model.explain(texts[hit.row])
        assert hit.words == single.words
        assert hit.ranked == single.ranked([hit.category], 3)[0]


def test_instances_reading_one_artefact_score_a_batch_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # the deeper tier's gate holds its own MLDetector; it must reuse the fast tier's scores of the same batch
    first, second = MLDetector(), MLDetector()
    batch = [TextItem("shared batch, scored once: you absolute melt"), TextItem("road closed near the bridge")]
    expected = first.probabilities(batch)

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the batch was scored a second time")

    monkeypatch.setattr(first.model, "score", refuse)
    assert np.array_equal(second.probabilities(batch), expected)
