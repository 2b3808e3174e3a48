"""E-mail addresses."""

from __future__ import annotations

import pytest

from warden.detectors.base import TextItem
from warden.detectors.pii.email import RECOGNISER

CATEGORY = "pii.email"


def found(text: str) -> list[str]:
    return [f.text for f in RECOGNISER.find(TextItem(text)) if f.category == CATEGORY]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("email jo.bloggs@example.com now", "jo.bloggs@example.com"),
        ("Write to First.Last@Example.Com today", "First.Last@Example.Com"),
        ("name+tag@sub.example.org is mine", "name+tag@sub.example.org"),
        ("<jo@example.com>", "jo@example.com"),
        ("mailto:press@example.org", "press@example.org"),
        ("my email is jo@example.com.", "jo@example.com"),
        ("JO@EXAMPLE.COM IS MY EMAIL", "JO@EXAMPLE.COM"),
        ("email me jo.bloggs [at] example [dot] com ok", "jo.bloggs [at] example [dot] com"),
        ("contact sam(at)example.org", "sam(at)example.org"),
    ],
)
def test_finds(text: str, address: str) -> None:
    assert found(text) == [address]


@pytest.mark.parametrize(
    "text",
    [
        "Follow @WestYorksPolice for updates",
        "meet @ 5pm at the park",
        "user@localhost is not an email",
        "visit www.example.com",
        "just show msg+ticket@kiosk.Valid 4-7/12",
        "name.@example.com",
        "a..b@example.com",
        "x@-bad.example.com",
    ],
)
def test_negatives(text: str) -> None:
    assert found(text) == []


def test_explains_itself() -> None:
    (f,) = RECOGNISER.find(TextItem("jo@example.com"))
    assert f.explanation.startswith("e-mail address") and ".com" in f.explanation
