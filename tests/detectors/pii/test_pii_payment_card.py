"""Payment cards: issuer ranges, lengths, grouping and Luhn."""

from __future__ import annotations

import pytest

from warden.detectors.base import TextItem
from warden.detectors.pii.payment_card import RECOGNISER, brand, luhn_ok

CATEGORY = "pii.payment_card"


def found(text: str) -> list[str]:
    return [f.text for f in RECOGNISER.find(TextItem(text))]


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("card 4111 1111 1111 1111 exp 12/25", "4111 1111 1111 1111"),
        ("card 4111-1111-1111-1111", "4111-1111-1111-1111"),
        ("4242424242424242", "4242424242424242"),
        ("mc 5555 5555 5555 4444", "5555 5555 5555 4444"),
        ("amex 3782 822463 10005", "3782 822463 10005"),
        ("amex 378282246310005", "378282246310005"),
        ("diners 3056 930902 5904", "3056 930902 5904"),
        ("mc 2223 0031 2200 3222", "2223 0031 2200 3222"),
        ("maestro 6759 6498 2643 8453", "6759 6498 2643 8453"),
        ("4111 1111 1111 1111 2025 was the year", "4111 1111 1111 1111"),
    ],
)
def test_finds(text: str, card: str) -> None:
    assert found(text) == [card]


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # bad Luhn
        "5555 5555 5555 4445",
        "1234 5678 9012 3456",  # no issuer
        "4111 1111 1111",  # too short
        "41111 11111 11111 1",  # not a card grouping
        "12-34-56 12345678",  # bank details, not a card
        "£4111111111111111",
        "0000 0000 0000 0000",
    ],
)
def test_negatives(text: str) -> None:
    assert found(text) == []


def test_validators() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
    assert brand("378282246310005") == "American Express"
    assert brand("37828224631000") is None  # Amex is 15 digits
    assert brand("4111111111111111") == "Visa"
    (f,) = RECOGNISER.find(TextItem("4111 1111 1111 1111"))
    assert "Visa" in f.explanation and "Luhn" in f.explanation
