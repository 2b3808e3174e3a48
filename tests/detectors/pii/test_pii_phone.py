"""UK phone numbers: formats, validators, hard negatives."""

from __future__ import annotations

import pytest

from warden.detectors.base import TextItem
from warden.detectors.pii.detectors import find_pii
from warden.detectors.pii.phone import RECOGNISER, validate

CATEGORY = "pii.uk_phone"


def spans(text: str) -> list[tuple[str, int, int]]:
    return [(f.category, f.start, f.end) for f in find_pii(TextItem(text))]


def expect(text: str, *subs: str) -> list[tuple[str, int, int]]:
    return [(CATEGORY, text.index(s), text.index(s) + len(s)) for s in subs]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("call 07700 900123 now", "07700 900123"),
        ("call 07700900123 now", "07700900123"),
        ("ring +44 7700 900456", "+44 7700 900456"),
        ("ring +447700900456", "+447700900456"),
        ("ring 0044 7700 900 456", "0044 7700 900 456"),
        ("ring +44 (0)20 7946 0123", "+44 (0)20 7946 0123"),
        ("ring +44(0)7700 900111 pls", "+44(0)7700 900111"),
        ("ring +44-7700-900222", "+44-7700-900222"),
        ("ring (020) 7946 0123", "(020) 7946 0123"),
        ("ring 020 7946 0999", "020 7946 0999"),
        ("ring 0113 496 0000 ext 12", "0113 496 0000"),
        ("ring (0113) 496 0123", "(0113) 496 0123"),
        ("ring 07700-900-777", "07700-900-777"),
        ("ring 07700.900.777", "07700.900.777"),
        ("tel:07700900456", "07700900456"),
        ("freephone 0808 157 0123", "0808 157 0123"),
        ("call 028 9649 6123", "028 9649 6123"),
        ("call 07911 123456 (libphonenumber-valid mobile)", "07911 123456"),
        ("Leeds office 0113 496 0999.", "0113 496 0999"),
    ],
)
def test_finds_uk_numbers(text: str, number: str) -> None:
    assert spans(text) == expect(text, number)


def test_two_numbers_with_a_slash() -> None:
    text = "07700 900444/07700 900555 either"
    assert spans(text) == expect(text, "07700 900444", "07700 900555")


def test_trailing_number_is_not_swallowed() -> None:
    text = "call 020 7946 0123 2 times"
    assert spans(text) == expect(text, "020 7946 0123")


def test_drama_numbers_explained() -> None:
    (f,) = RECOGNISER.find(TextItem("07700 900123"))
    assert "Ofcom drama range" in f.explanation
    (g,) = RECOGNISER.find(TextItem("07911 123456"))
    assert "valid per libphonenumber" in g.explanation and "mobile" in g.explanation


def test_validator() -> None:
    assert validate("7700900000") is not None
    assert validate("7700900999") is not None
    assert validate("1632960123") is not None
    assert validate("7700900") is None
    assert validate("12345678901") is None


@pytest.mark.parametrize(
    "text",
    [
        "Meeting at 10:30",
        "train at 22.45",
        "£12.99",
        "Call 999 or 101",
        "Call Crimestoppers anonymously on 0800 555 111",
        "Childline 0800 1111",
        "Action Fraud 0300 123 2040",
        "ring 0770 090 012",
        "phone 07700 12",
        "Call the club on 0113 4960",
        "tracking no 07700900123 on the parcel",
        "order #07700900123",
        "dated 01.02.2024",
        "01/02/2024",
        "on 12-03-2024",
        "version 0.12.345",
        "phone 01234 5678",
        "abc07700900123",
    ],
)
def test_negatives(text: str) -> None:
    assert [c for c, _, _ in spans(text) if c == CATEGORY] == []
