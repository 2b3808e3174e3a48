"""National Insurance numbers and HMRC's prefix rules."""

from __future__ import annotations

import pytest

from warden.detectors.base import TextItem
from warden.detectors.pii.nino import RECOGNISER, prefix_ok

CATEGORY = "pii.uk_nino"


def found(text: str) -> list[str]:
    return [f.text for f in RECOGNISER.find(TextItem(text))]


@pytest.mark.parametrize(
    ("text", "nino"),
    [
        ("NI number AB 12 34 56 C", "AB 12 34 56 C"),
        ("mine is AB123456C ok", "AB123456C"),
        ("ab 12 34 56 c", "ab 12 34 56 c"),
        ("ab123456c", "ab123456c"),
        ("JG-10-37-59-A", "JG-10-37-59-A"),
        ("CE 123456 D", "CE 123456 D"),
        ("NI number AB 12 34 56 C.", "AB 12 34 56 C"),
        ("ni no ce 12 34 56", "ce 12 34 56"),  # no suffix, but in context
        ("national insurance: ab123456", "ab123456"),
    ],
)
def test_finds(text: str, nino: str) -> None:
    assert found(text) == [nino]


@pytest.mark.parametrize(
    "text",
    [
        "QQ 12 34 56 C",  # Q first
        "DA 12 34 56 C",  # D first
        "FA 12 34 56 C",
        "IA 12 34 56 C",
        "UA 12 34 56 C",
        "VA 12 34 56 C",
        "AD 12 34 56 C",  # D second
        "AO 12 34 56 C",  # O second
        "AQ 12 34 56 C",
        "BG 12 34 56 A",  # forbidden prefixes
        "GB 12 34 56 A",
        "KN 12 34 56 A",
        "NK 12 34 56 A",
        "NT 12 34 56 A",
        "TN 12 34 56 A",
        "ZZ 12 34 56 A",
        "NI number AB 12 34 56 E",  # suffix beyond D
        "AB 12 34 56",  # no suffix and no context
        "AB 12 34 5 C",
    ],
)
def test_negatives(text: str) -> None:
    assert found(text) == []


def test_prefix_rules() -> None:
    assert prefix_ok("ab")
    assert prefix_ok("ce")
    assert not prefix_ok("gb")
    assert not prefix_ok("qa")
    assert not prefix_ok("ao")


def test_explanation_names_hmrc_rules() -> None:
    (f,) = RECOGNISER.find(TextItem("AB123456C"))
    assert "HMRC" in f.explanation and "suffix C" in f.explanation
