"""Sort codes and account numbers: together, or in context."""

from __future__ import annotations

import pytest

from warden.detectors.base import TextItem
from warden.detectors.pii.bank_account import RECOGNISER

CATEGORY = "pii.uk_bank_account"


def found(text: str) -> list[str]:
    return [f.text for f in RECOGNISER.find(TextItem(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sort code 12-34-56 acc 12345678", ["12-34-56", "12345678"]),
        ("pay 12-34-56 12345678 now", ["12-34-56", "12345678"]),
        ("12-34-56 / 12345678 is the account", ["12-34-56", "12345678"]),
        ("s/c 40 47 84 a/c 70872490", ["40 47 84", "70872490"]),
        ("my sort code is 123456", ["123456"]),
        ("account number 12345678 please refund", ["12345678"]),
        ("acc no. 12345678", ["12345678"]),
        ("account 65082593 sort 67-92-82", ["67-92-82", "65082593"]),
    ],
)
def test_finds(text: str, expected: list[str]) -> None:
    assert sorted(found(text)) == sorted(expected)


@pytest.mark.parametrize(
    "text",
    [
        "Between 12-03-24 and 19-03-24",  # dates
        "order 12345678 arrived",
        "code 123456",
        "12 34 56 at the darts",
        "Version 12.34.56",
        "ref 42/12345678/24",
        "12-34-56",
    ],
)
def test_negatives(text: str) -> None:
    assert found(text) == []
