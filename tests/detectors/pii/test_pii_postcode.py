"""UK postcodes, checked against Royal Mail areas and position rules."""

from __future__ import annotations

import pytest

from warden.detectors.base import TextItem
from warden.detectors.pii.postcode import RECOGNISER, outward_ok

CATEGORY = "pii.uk_postcode"


def found(text: str) -> list[tuple[str, int, int]]:
    return [(f.text, f.start, f.end) for f in RECOGNISER.find(TextItem(text))]


@pytest.mark.parametrize(
    ("text", "postcode"),
    [
        ("at M1 1AE", "M1 1AE"),  # A9 9AA
        ("at B33 8TH", "B33 8TH"),  # A99 9AA
        ("at W1A 0AX", "W1A 0AX"),  # A9A 9AA
        ("at CR2 6XH", "CR2 6XH"),  # AA9 9AA
        ("at DN55 1PT", "DN55 1PT"),  # AA99 9AA
        ("at EC1A 1BB", "EC1A 1BB"),  # AA9A 9AA
        ("postcode ts1 2ab", "ts1 2ab"),
        ("postcode ls115dz", "ls115dz"),
        ("(wc2n5du)", "wc2n5du"),
        ("box 420-ip4-5we", "ip4-5we"),
        ("LS1 4AP.", "LS1 4AP"),
    ],
)
def test_finds(text: str, postcode: str) -> None:
    start = text.index(postcode)
    assert found(text) == [(postcode, start, start + len(postcode))]


@pytest.mark.parametrize(
    "text",
    [
        "QA1 2BC",  # Q never starts a postcode
        "XX1 1AA",  # no such area
        "LS1 1CA",  # C never in the inward letters
        "LS1 1AI",
        "crash on the A171",
        "M25 J10",
        "B1234",
        "the LS1 area",
        "CF99 is the Senedd",
        "@LS11AB",
        "#LS11AB",
        "W1I 1AA",  # I cannot end an A9A outward code
    ],
)
def test_negatives(text: str) -> None:
    assert found(text) == []


def test_outward_rules() -> None:
    assert outward_ok("sw", "1a")
    assert not outward_ok("sw", "1c")  # C is not an AA9A letter
    assert outward_ok("w", "1a")
    assert not outward_ok("qq", "1")
