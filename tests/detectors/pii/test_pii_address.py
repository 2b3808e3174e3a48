"""Street addresses and the counting traps."""

from __future__ import annotations

import pytest

from warden.detectors.base import TextItem
from warden.detectors.pii.address import RECOGNISER

CATEGORY = "pii.street_address"


def found(text: str) -> list[str]:
    return [f.text for f in RECOGNISER.find(TextItem(text))]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Burglary at 12 Baker Street last night", "12 Baker Street"),
        ("221B Baker Street", "221B Baker Street"),
        ("I live at 7 Elm Grove", "7 Elm Grove"),
        ("Fire at Flat 3, 21 Harbour Road", "Flat 3, 21 Harbour Road"),
        ("Drugs sold from Flat 2b, Queens Court", "Flat 2b, Queens Court"),
        ("parcel went to 15 victoria road", "15 victoria road"),
        ("check on 3 The Crescent please", "3 The Crescent"),
        ("stolen from 102 High St", "102 High St"),
        ("16 St John's Road", "16 St John's Road"),
        ("Suspicious man at 4-6 Bridge Street", "4-6 Bridge Street"),
        ("Fire at 3 Castle Hill", "3 Castle Hill"),  # weak suffix, capitals
        ("Apartment 12, 3 Dock Street", "Apartment 12, 3 Dock Street"),
        ("26 station rd anti-social behaviour", "26 station rd"),
    ],
)
def test_finds(text: str, address: str) -> None:
    assert found(text) == [address]


@pytest.mark.parametrize(
    "text",
    [
        "I waited 2 hours down the road for a bus",
        "It's a 10 minute walk from the station",
        "3 cars on the road were damaged",
        "It's 1 long way home",
        "5 minutes up the street from here",
        "2 lane road closure",
        "I drove 30 miles down the road",
        "Scored 3 goals in the park",
        "came 2nd place",
        "a 2 hour drive",
        "£5 street food",
    ],
)
def test_negatives(text: str) -> None:
    assert found(text) == []
