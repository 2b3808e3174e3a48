"""NHS numbers and the modulus-11 check."""

from __future__ import annotations

import pytest

from warden.detectors.base import TextItem
from warden.detectors.pii.nhs import RECOGNISER, mod11_ok

CATEGORY = "pii.nhs_number"


def found(text: str) -> list[str]:
    return [f.text for f in RECOGNISER.find(TextItem(text))]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("NHS number 943 476 5919", "943 476 5919"),
        ("nhs no 9434765919", "9434765919"),
        ("NHS: 943-476-5919", "943-476-5919"),
        ("patient number 943 476 5919 on the sheet", "943 476 5919"),
        ("found 943 476 5919 on a letter", "943 476 5919"),  # spaced 3-3-4 needs no context
        ("nhs number 401 023 2137", "401 023 2137"),
    ],
)
def test_finds(text: str, number: str) -> None:
    assert found(text) == [number]


@pytest.mark.parametrize(
    "text",
    [
        "NHS number 943 476 5918",  # bad check digit
        "nhs no 9434765910",
        "9434765919",  # bare ten digits, no context
        "order 4010232137",
        "Call 403 288 1111",  # phone-shaped, after "call"
        "call 415-954-7621",
        "nhs 000 000 0000",  # all one digit
        "nhs 94347659190",  # eleven digits
    ],
)
def test_negatives(text: str) -> None:
    assert found(text) == []


def test_mod11() -> None:
    assert mod11_ok("9434765919")
    assert mod11_ok("4010232137")
    assert not mod11_ok("9434765918")
    assert not mod11_ok("1111111111")
    # check digit would be 10: never valid
    assert not any(mod11_ok("050000000" + d) for d in "0123456789")
