"""The deeper tier (``ml_deep``), on the committed int8 ONNX artefact (no training here).

Needs the optional ``deep`` extra (onnxruntime, tokenizers); the dev extra
installs it, so CI runs these. Without it the module is skipped, saying why.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime", reason="the optional 'deep' extra (onnxruntime) is not installed")
pytest.importorskip("tokenizers", reason="the optional 'deep' extra (tokenizers) is not installed")

from warden.detectors import registry
from warden.detectors.base import Detector, Scorer, TextItem
from warden.detectors.ml.deep import DEEP_DIR, DeepDetector, DeepModel, available, conditional_scores
from warden.detectors.ml.detector import CATEGORIES, MLDetector
from warden.detectors.pipeline import Pipeline
from warden.domain.context import CheckContext
from warden.domain.enums import Direction

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
    # the artefact is committed: with the extra installed, a missing one is a failure, not a skip
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
    detector = DeepDetector(DEEP_DIR, fast=MLDetector())
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
    detector = DeepDetector(DEEP_DIR, fast=MLDetector(), band=50.0)  # everything counts as "near"
    assert detector.selected([TextItem(CLEAN[1], CheckContext(direction=Direction.INBOUND))]) == [True]


def test_inbound_share_is_capped() -> None:
    detector = DeepDetector(DEEP_DIR, fast=MLDetector(), band=50.0, inbound_share=0.2)
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
