"""Vehicle registrations: current, prefix, suffix and dateless formats."""

from __future__ import annotations

import pytest

from warden.detectors.base import TextItem
from warden.detectors.pii.vehicle_reg import RECOGNISER

CATEGORY = "pii.uk_vehicle_reg"


def found(text: str) -> list[str]:
    return [f.text for f in RECOGNISER.find(TextItem(text))]


@pytest.mark.parametrize(
    ("text", "reg"),
    [
        ("Silver Ford Focus reg AB12 CDE failed to stop", "AB12 CDE"),
        ("If you see BD51 SMR call 999", "BD51 SMR"),  # current format needs no context
        ("AB12CDE keeps parking in the bay", "AB12CDE"),
        ("my car reg is ma70 hxg", "ma70 hxg"),
        ("seen ky61 ftp doing doughnuts", "ky61 ftp"),  # lower case, current format
        ("registration A123 BCD", "A123 BCD"),
        ("Spotted R789 XEF again", "R789 XEF"),  # prefix format in capitals
        ("old Mini, plate ABC 123D", "ABC 123D"),
        ("Seen GHT 45V on the estate", "GHT 45V"),  # suffix format in capitals
        ("private plate AB 1234 on a black Range Rover", "AB 1234"),
        ("reg XYZ 789", "XYZ 789"),
        ("registration number: 1234 AB", "1234 AB"),
        ("grey BMW DE72 BGR", "DE72 BGR"),
        ("black Audi A4 reg OE54 RHV seen", "OE54 RHV"),  # not "A4 reg"
    ],
)
def test_finds(text: str, reg: str) -> None:
    assert found(text) == [reg]


@pytest.mark.parametrize(
    "text",
    [
        "Crash on the A171 near Whitby",
        "Long delays on the M25 this morning",
        "B1234 closed",
        "car crash on the M62 involving 3 cars",
        "my car is a 2015 Ford Fiesta",
        "BMW X5 for sale",
        "M4 Pro chips are fast",
        "Take the A171 and then the M25",
        "AB01 CDE",  # 01 was never an age identifier
        "AB50 CDE",
        "QB12 CDE",  # Q is not a memory tag
        "ab60 the california law",
        "Toyota GT 86 launch",
        "My MK1 Golf is a classic",
        "@B105LSA great photo",
        "NBA2K is trash",
        "plates 3 d on his car",
        "TAKE THE A171 AND THE M25 NOW",
        "the 3d printer",
    ],
)
def test_negatives(text: str) -> None:
    assert found(text) == []


def test_age_identifier_in_explanation() -> None:
    (f,) = RECOGNISER.find(TextItem("BD51 SMR"))
    assert "age identifier 51 (September 2001)" in f.explanation
