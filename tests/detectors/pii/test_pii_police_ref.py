"""Police reference numbers: force formats and reference context."""

from __future__ import annotations

import pytest

from warden.detectors.base import TextItem
from warden.detectors.pii.police_ref import RECOGNISER

CATEGORY = "pii.police_reference"


def found(text: str) -> list[str]:
    return [f.text for f in RECOGNISER.find(TextItem(text))]


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("My crime ref is 42/123456/24, any update?", "42/123456/24"),
        ("ur ref is 42/009876/24 mate", "42/009876/24"),  # force format alone
        ("Reported it, CRN CR/12345/24", "CR/12345/24"),
        ("quote incident 1234 of 12/03 when you call", "1234 of 12/03"),
        ("Call 101 quoting log 456", "456"),
        ("Log 1876 - 12/03", "1876"),
        ("CAD 7891/14MAR24", "7891/14MAR24"),
        ("Custody number 12/3456/24", "12/3456/24"),
        ("incident number 0567 of 3rd April", "0567 of 3rd April"),
        ("log number 1120 of 01/05/2024 pls chase", "1120 of 01/05/2024"),
        ("incident ref INC-20240312-0456", "INC-20240312-0456"),
        ("CRN: 6654321/24", "6654321/24"),
        ("occurrence number 24000123456", "24000123456"),
        ("The police reference is PR/88213/24", "PR/88213/24"),
    ],
)
def test_finds(text: str, ref: str) -> None:
    assert found(text) == [ref]


@pytest.mark.parametrize(
    "text",
    [
        "Op 12 is now closed",
        "Operation Sceptre 2024",
        "order ref 12345",
        "booking ref 45782 for the event",
        "Log in to your account",
        "log 5 miles today",
        "Incident on the M1 earlier",
        "PC 1234 Smith received a commendation",
        "Section 59 notice issued",
        "the incident 2023 review",
        "12/03/2024",
    ],
)
def test_negatives(text: str) -> None:
    assert found(text) == []
