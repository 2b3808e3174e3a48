"""The fast tier's featuriser and scoring arithmetic (no training here)."""

from __future__ import annotations

import numpy as np
import pytest

from warden.detectors.base import TextItem
from warden.detectors.ml import features
from warden.detectors.ml.features import _TOKEN, Featuriser, linear_scores, token_span, token_spans
from warden.detectors.ml.model import load_model

TEXTS = [
    "you are an idiot youareanidiot",
    "k1ll 4ll c0ps !!",
    "f***ing m0r0n, what a daaaay",
    "",
    "  leading and   trailing  ",
    "£1000 prize!!! txt WIN to 80082",
    "word " * 300,
]
VOCABULARY = {"you": -3.0, "are": -4.0, "an": -4.0, "idiot": -8.0, "kill": -8.0, "all": -4.0, "cops": -9.0}


def _same(a: features.Encoded, b: features.Encoded) -> bool:
    return (np.array_equal(a.indptr, b.indptr) and np.array_equal(a.columns, b.columns)
            and np.array_equal(a.counts, b.counts))


def test_a_text_encodes_the_same_alone_in_a_batch_and_after_the_table_restarts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    together = Featuriser(vocabulary=VOCABULARY).counts(TEXTS)
    fresh = Featuriser(vocabulary=VOCABULARY)
    for i, text in enumerate(TEXTS):
        alone = fresh.counts([text])
        a, b = together.indptr[i], together.indptr[i + 1]
        assert np.array_equal(alone.columns, together.columns[a:b])
        assert np.array_equal(alone.counts, together.counts[a:b])
    monkeypatch.setattr(features, "_CACHE_LIMIT", 5)  # every batch with new tokens starts a new table
    small = Featuriser(vocabulary=VOCABULARY)
    first = small.counts(TEXTS[:3])
    assert _same(small.counts(TEXTS), together)
    assert _same(small.counts(TEXTS[:3]), first)


def test_segmentation_reads_joined_words() -> None:
    featuriser = Featuriser(vocabulary=VOCABULARY)
    assert featuriser.segment("youareanidiot") == ["you", "are", "an", "idiot"]
    assert featuriser.segment("killallcops") == ["kill", "all", "cops"]
    assert featuriser.segment("you") == []
    assert featuriser.segment("x1d10t") == []


def test_character_ngrams_drop_asterisks_and_squeeze_repeats() -> None:
    featuriser = Featuriser()

    def columns(text: str) -> set[int]:
        return set(featuriser.counts([text]).columns.tolist())

    # only the word unigrams differ; every character n-gram is shared
    assert len(columns("fcking") ^ columns("f*cking")) == 2
    assert len(columns("fucking") ^ columns("fuuuucking")) == 2
    assert len(columns("idiot") ^ columns("1d10t")) == 2


def test_token_span_matches_token_spans() -> None:
    for text in [*TEXTS, "\u00a0x y", "a  b\t c"]:
        form = TextItem(text).full.text if text.strip() else text
        tokens = _TOKEN.findall(form)
        spans = token_spans(form, tokens)
        for index in range(len(tokens)):
            assert token_span(form, tokens, index) == spans[index]


def test_scores_are_the_row_sums_of_the_weighted_parts() -> None:
    model = load_model()
    encoded = model.featuriser.transform([TextItem(t).full.text for t in TEXTS if t])
    scores = linear_scores(encoded, model.weights)
    assert encoded.values is not None
    dense = np.zeros((encoded.rows, model.weights.shape[0]))
    for row in range(encoded.rows):
        a, b = encoded.indptr[row], encoded.indptr[row + 1]
        dense[row, encoded.columns[a:b]] = encoded.values[a:b]
    assert np.allclose(scores, dense @ model.weights.astype(np.float64), atol=1e-4)


def test_insult_is_conditional_on_toxicity() -> None:
    model = load_model()
    insult, toxicity = model.categories.index("insult"), model.categories.index("toxicity")
    assert model.calibrations[insult].given == toxicity
    assert all(c.given < 0 for k, c in enumerate(model.calibrations) if k != insult)
    probabilities = model.probabilities([TextItem(t).full.text for t in ("you are a pathetic moron",
                                                                         "lovely day for a walk")])
    assert probabilities[0, insult] > probabilities[1, insult]
