"""The deeper tier (``ml_deep``), on the committed int8 ONNX artefact and
blend (no training here)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from warden.detectors import registry
from warden.detectors.base import Detector, Scorer, TextItem
from warden.detectors.ml.blend import BLEND_FILE, read_blend
from warden.detectors.ml.deep import DEEP_DIR, DeepDetector, DeepModel, available, conditional_scores
from warden.detectors.ml.detector import CATEGORIES, MLDetector
from warden.detectors.pipeline import Pipeline
from warden.domain.context import CheckContext
from warden.domain.enums import Direction
from warden.domain.errors import ConfigurationError

ABUSIVE = [
    "you are a fucking idiot and everyone hates you",
    "shut up you stupid pathetic loser",
    "go back where you came from you filthy animal",
]
CLEAN = [
    "thank you officers for your help at the station today",
    "the charity fun run starts at 10am in the park",
    "road closed near the bridge this morning, please use the diversion",
]
ODD = ["", " ", "a", "!!!", "🙂", "\x00\x01\x02\x1b[31m\x7f", "\u200b\u200d\ufeff", "word " * 20_000,
       "x" * 70_000, "ünïcödé ñ 日本語 текст"]


@pytest.fixture(scope="module")
def model() -> DeepModel:
    # the artefact is committed: a missing one is a failure, not a skip
    assert available(), f"the deep artefact is missing from {DEEP_DIR} (training/deep_train.py writes it)"
    return DeepModel(DEEP_DIR)


def norm(texts: list[str]) -> list[str]:
    return [TextItem(t).full.text for t in texts]


def test_artefact_matches_its_record(model: DeepModel) -> None:
    meta = json.loads((DEEP_DIR / "deep.json").read_text("utf-8"))
    assert model.categories == CATEGORIES == tuple(meta["categories"])
    assert model.version.startswith("deep-1+") and meta["onnx_sha256"][:10] in model.version
    assert (DEEP_DIR / "model.onnx").stat().st_size < 26_000_000
    assert (DEEP_DIR.parent / "DEEP_MODEL_CARD.md").is_file()
    assert np.all((model.thresholds > 0.0) & (model.thresholds < 1.0))


def test_abusive_scores_above_clean(model: DeepModel) -> None:
    p = model.probabilities(norm(ABUSIVE + CLEAN))
    tox = CATEGORIES.index("toxicity")
    abusive, clean = p[:len(ABUSIVE), tox], p[len(ABUSIVE):, tox]
    assert abusive.min() > clean.max()
    assert (abusive >= model.thresholds[tox]).all()
    assert (clean < model.thresholds[tox]).all()
    profanity = CATEGORIES.index("profanity")
    assert p[0, profanity] > p[len(ABUSIVE), profanity]


def test_probabilities_are_calibrated_and_bounded(model: DeepModel) -> None:
    p = model.probabilities(norm(ABUSIVE + CLEAN + ODD))
    assert p.shape == (len(ABUSIVE + CLEAN + ODD), len(CATEGORIES))
    assert np.isfinite(p).all()
    assert (p >= 0.0).all() and (p <= 1.0).all()


def test_bad_input_is_handled(model: DeepModel) -> None:
    # empty, control characters, invisible characters and huge texts: scored, no error
    for text in ODD:
        p = model.probabilities([text])
        assert p.shape == (1, len(CATEGORIES)) and np.isfinite(p).all()
    assert model.probabilities([]).shape == (0, len(CATEGORIES))


def test_batch_and_single_agree(model: DeepModel) -> None:
    texts = norm(ABUSIVE + CLEAN)
    batch = model.probabilities(texts)
    single = np.vstack([model.probabilities([t]) for t in texts])
    # texts run one at a time by default: a score never depends on its batch
    assert np.array_equal(batch, single)
    batched = DeepModel(DEEP_DIR, sub_batch=32).probabilities(texts)
    # padded int8 batches (opt-in, faster) move scores a little with their neighbours
    assert np.abs(batched - single).max() < 0.25


def test_conditional_insult() -> None:
    z = np.array([[2.0, 1.0], [-3.0, 5.0]])
    raw = conditional_scores(z, [-1, 0])
    assert raw[0, 0] == 2.0
    assert raw[1, 1] == pytest.approx(1 / (1 + np.exp(3.0)) / (1 + np.exp(-5.0)))


def test_detector_runs_on_drafts_and_only_unsure_inbound(model: DeepModel) -> None:
    detector = DeepDetector(MLDetector(), DEEP_DIR)
    assert isinstance(detector, Detector) and isinstance(detector, Scorer)
    inbound = CheckContext(direction=Direction.INBOUND)
    outbound = CheckContext(direction=Direction.OUTBOUND)
    batch = [TextItem(ABUSIVE[0], outbound), TextItem(CLEAN[1], outbound),
             TextItem("the charity fun run starts at 10am in the park", inbound)]
    chosen = detector.selected(batch)
    assert chosen[:2] == [True, True]
    assert chosen[2] is False  # the fast tier is sure it is clean: not worth the deep model's time
    scores = detector.scores(batch)
    assert set(scores[0]) == set(detector.score_categories) and scores[2] == {}
    findings = detector.detect(batch)
    assert any(f.category == "ml_deep.toxicity" for f in findings[0])
    assert findings[1] == [] and findings[2] == []
    f = next(f for f in findings[0] if f.category == "ml_deep.toxicity")
    assert f.detector == "ml_deep" and f.version == detector.version and 0.0 <= f.score <= 1.0
    assert f.text == ABUSIVE[0][f.start:f.end]


def test_inbound_near_threshold_goes_deep() -> None:
    detector = DeepDetector(MLDetector(), DEEP_DIR, band=50.0)  # everything counts as "near"
    assert detector.selected([TextItem(CLEAN[1], CheckContext(direction=Direction.INBOUND))]) == [True]


def test_inbound_share_is_capped() -> None:
    detector = DeepDetector(MLDetector(), DEEP_DIR, band=50.0, inbound_share=0.2)
    inbound = CheckContext(direction=Direction.INBOUND)
    batch = [TextItem(t, inbound) for t in ABUSIVE + CLEAN + ["ok", "fine", "thanks", "hello"]]
    assert sum(detector.selected(batch)) == 2  # 20 % of 10, the texts nearest a threshold
    drafts = [TextItem(t) for t in ABUSIVE + CLEAN]
    assert all(detector.selected(drafts))  # drafts are never capped


def test_opt_in_registration_and_pipeline() -> None:
    assert "ml_deep" in registry.available()
    assert all(d.name != "ml_deep" for d in registry.create())  # never created by default
    (deep,) = registry.create(["ml_deep"])
    assert isinstance(deep, DeepDetector)
    (ml,) = registry.create(["ml"])
    results = Pipeline([ml, deep]).run([TextItem(ABUSIVE[1]), TextItem("")])
    assert "ml_deep.toxicity" in results[0].scores and "toxicity" in results[0].scores
    assert all(0.0 <= v <= 1.0 for v in results[1].scores.values())


def test_tampered_artefact_is_refused(tmp_path: Path) -> None:
    for name in ("deep.json", "tokenizer.json", "model.onnx"):
        shutil.copyfile(DEEP_DIR / name, tmp_path / name)
    with (tmp_path / "model.onnx").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ValueError, match="does not match"):
        DeepModel(tmp_path)


def test_engine_with_the_deep_tier_opted_in() -> None:
    from warden.engine import Engine

    names = [*(d.name for d in registry.create()), "ml_deep"]
    engine = Engine(detectors=registry.create(names))
    draft = engine.check(ABUSIVE[0])
    assert draft.scores["ml_deep.toxicity"] >= 0.5 and "toxicity" in draft.scores
    quiet = engine.check(CLEAN[1], CheckContext(direction=Direction.INBOUND))
    assert not any(k.startswith("ml_deep.") for k in quiet.scores)  # the fast tier was sure: not run


def test_findings_carry_the_blend_of_both_tiers() -> None:
    fast = MLDetector()
    detector = DeepDetector(fast, DEEP_DIR)
    batch = [TextItem(ABUSIVE[1])]
    (findings,) = detector.detect(batch)
    finding = next(f for f in findings if f.category == "ml_deep.insult")
    k = CATEGORIES.index("insult")
    model = detector.model
    deep = model.log_odds(model.raw([batch[0].full.text]))
    expected = detector.blend.probabilities(fast.log_odds(batch), deep)[0, k]
    assert finding.score == pytest.approx(expected)
    assert finding.score >= detector.blend.thresholds[k]
    assert detector.scores(batch)[0]["ml_deep.insult"] == pytest.approx(expected, abs=1e-4)
    assert "fast tier alone" in finding.explanation and "deep model alone" in finding.explanation
    assert fast.version in detector.version and model.version in detector.version


def test_the_committed_blend_was_fitted_for_the_committed_models(model: DeepModel) -> None:
    blend = read_blend(DEEP_DIR, CATEGORIES)
    assert (blend.fast_version, blend.deep_version) == (MLDetector().version, model.version)


def test_a_blend_fitted_for_another_fast_tier_is_refused(tmp_path: Path) -> None:
    for name in ("deep.json", "tokenizer.json", "model.onnx", BLEND_FILE):
        shutil.copyfile(DEEP_DIR / name, tmp_path / name)
    data = json.loads((tmp_path / BLEND_FILE).read_text("utf-8"))
    data["fast_version"] = "fast-1+0000000000"
    (tmp_path / BLEND_FILE).write_text(json.dumps(data), "utf-8")
    with pytest.raises(ConfigurationError, match=r"refit it with training/deep_blend\.py"):
        DeepDetector(MLDetector(), tmp_path)


@pytest.mark.parametrize("damage", [
    lambda d: "{not json",
    lambda d: json.dumps({**d, "categories": d["categories"][:-1]}),
    lambda d: json.dumps({**d, "per_category": {**d["per_category"], "insult": {"weights": [1, 2], "threshold": 0.5}}}),
    lambda d: json.dumps({**d, "per_category": {**d["per_category"],
                                                "insult": {"weights": [1, "nan", 0], "threshold": 0.5}}}),
    lambda d: json.dumps({**d, "per_category": {**d["per_category"],
                                                "threat": {"weights": [1, 1, 0], "threshold": 1.5}}}),
    lambda d: json.dumps({k: v for k, v in d.items() if k != "fast_version"}),
])
def test_a_damaged_blend_is_refused_clearly(tmp_path: Path, damage: Callable[[dict[str, Any]], str]) -> None:
    good = json.loads((DEEP_DIR / BLEND_FILE).read_text("utf-8"))
    (tmp_path / BLEND_FILE).write_text(damage(good), "utf-8")
    with pytest.raises(ConfigurationError, match="cannot read the deeper tier's blend"):
        read_blend(tmp_path, CATEGORIES)
    with pytest.raises(ConfigurationError):
        read_blend(tmp_path / "missing", CATEGORIES)


def test_inbound_text_already_flagged_by_the_fast_tier_is_not_sent_deep() -> None:
    fast = MLDetector()
    detector = DeepDetector(fast, DEEP_DIR, band=50.0)  # any gap counts, but only below a threshold
    item = TextItem(ABUSIVE[0], CheckContext(direction=Direction.INBOUND))
    p = fast.probabilities([item])[0]
    below = p < fast.model.thresholds
    assert detector.selected([item]) == [bool(below.any())]
    always_above = DeepDetector(fast, DEEP_DIR, band=0.0)  # nothing is near enough
    assert always_above.selected([item]) == [False]


def test_the_same_words_as_a_message_then_as_a_draft_are_read_as_a_draft() -> None:
    detector = DeepDetector(MLDetector(), DEEP_DIR)
    text = CLEAN[0]
    assert detector.scores([TextItem(text, CheckContext(direction=Direction.INBOUND))]) == [{}]
    draft = detector.scores([TextItem(text, CheckContext(direction=Direction.OUTBOUND))])
    assert set(draft[0]) == set(detector.score_categories)  # not the inbound batch's cached result
