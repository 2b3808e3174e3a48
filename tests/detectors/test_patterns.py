import pytest

from warden.detectors.base import TextItem
from warden.detectors.patterns import PatternDetector


def found(text: str) -> set[tuple[str, str]]:
    return {(f.category, f.text) for f in PatternDetector().detect([TextItem(text)])[0]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jo Bloggs, 34, of Harrogate was arrested", ("pattern.named_person_age", "Jo Bloggs, 34")),
        ("Amy, 7, meets PC Smith", ("pattern.named_child", "Amy, 7")),
        ("Mary Ann Jones (15) was charged", ("pattern.named_child", "Mary Ann Jones (15)")),
        ("a 15-year-old boy", ("pattern.child_age", "15-year-old")),
        ("a girl aged 12", ("pattern.child_age", "aged 12")),
        ("pupils at St Mary's Primary", ("pattern.school_name", "St Mary's Primary")),
        ("Burglary is down 50% this year", ("pattern.statistic", "down 50%")),
        ("crime fell by 12 per cent (source: ONS)", ("pattern.source_cited", "source:")),
        ("Mr Patel was seen", ("pattern.person_name", "Mr Patel")),
        ("an assault in Elm Rd last night", ("pattern.street_name", "Elm Rd")),
        ("closed on Upper Church Street", ("pattern.street_name", "Upper Church Street")),
    ],
)
def test_patterns(text: str, expected: tuple[str, str]) -> None:
    assert expected in found(text)


@pytest.mark.parametrize("text", ["Thank You North Yorkshire Police", "Leeds Crown Court on Monday",
                                  "a 45-year-old man", "Happy Christmas Everyone"])
def test_not_names_or_children(text: str) -> None:
    categories = {c for c, _ in found(text)}
    assert not categories & {"pattern.person_name", "pattern.named_child", "pattern.child_age"}
