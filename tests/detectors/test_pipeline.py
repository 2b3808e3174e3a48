from collections.abc import Sequence

from warden.detectors.base import TextItem
from warden.detectors.pipeline import Pipeline
from warden.domain.findings import Finding


class Fixed:
    """A detector that reports the same spans for every text."""

    name = "fixed"
    version = "1"
    categories = ("a", "b")

    def __init__(self, spans: list[tuple[str, int, int]]) -> None:
        self.spans = spans

    def detect(self, batch: Sequence[TextItem]) -> list[list[Finding]]:
        return [[Finding("fixed", "1", c, s, e, item.text[s:e], 1.0, "x") for c, s, e in self.spans] for item in batch]


class Scores:
    name = "scores"
    version = "2"
    categories = ()
    score_categories = ("toxicity",)

    def detect(self, batch: Sequence[TextItem]) -> list[list[Finding]]:
        return [[] for _ in batch]

    def scores(self, batch: Sequence[TextItem]) -> list[dict[str, float]]:
        return [{"toxicity": len(item.text) / 100} for item in batch]


def test_nested_same_category_findings_collapse_other_categories_stay() -> None:
    pipeline = Pipeline([Fixed([("a", 0, 5), ("a", 0, 12), ("a", 6, 12), ("b", 0, 5), ("a", 20, 25)])])
    found = pipeline.run([TextItem("idiot driver and more words")])[0].findings
    assert [(f.category, f.start, f.end) for f in found] == [("a", 0, 12), ("b", 0, 5), ("a", 20, 25)]


def test_scores_and_versions_are_collected_per_text() -> None:
    pipeline = Pipeline([Fixed([]), Scores()])
    out = pipeline.run([TextItem("ab"), TextItem("abcd")])
    assert [d.scores for d in out] == [{"toxicity": 0.02}, {"toxicity": 0.04}]
    assert pipeline.versions == {"fixed": "1", "scores": "2"}


def test_findings_per_category_are_capped() -> None:
    from warden.detectors.pipeline import MAX_FINDINGS_PER_CATEGORY

    spans = [("a", i * 2, i * 2 + 1) for i in range(100)] + [("b", 0, 1)]
    found = Pipeline([Fixed(spans)]).run([TextItem("x " * 100)])[0].findings
    assert sum(f.category == "a" for f in found) == MAX_FINDINGS_PER_CATEGORY
    assert [f.start for f in found if f.category == "a"] == [i * 2 for i in range(MAX_FINDINGS_PER_CATEGORY)]
    assert sum(f.category == "b" for f in found) == 1
