"""Dates of birth, only in birth-date context."""

from __future__ import annotations

import pytest

from warden.detectors.base import TextItem
from warden.detectors.pii.dob import RECOGNISER

CATEGORY = "pii.date_of_birth"


def found(text: str) -> list[str]:
    return [f.text for f in RECOGNISER.find(TextItem(text))]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("DOB 12/03/1985", "12/03/1985"),
        ("dob: 3/7/92", "3/7/92"),
        ("D.O.B. 25-12-2001", "25-12-2001"),
        ("d.o.b: 1st Jan 1970", "1st Jan 1970"),
        ("date of birth 01.11.1979", "01.11.1979"),
        ("date of birth: March 3rd, 1975", "March 3rd, 1975"),
        ("born on 4th July 1990", "4th July 1990"),
        ("Born on the 21st of June 1988", "21st of June 1988"),
        ("my birthday is 12 March", "12 March"),
        ("wanted man, dob 1984-06-30", "1984-06-30"),
        ("They asked for my date of birth (02/02/1972)", "02/02/1972"),
        ("23/04/1986 (dob) on a lost bag", "23/04/1986"),
        ("12th March is my birthday", "12th March"),
        ("birthdate 29/02/1996", "29/02/1996"),
    ],
)
def test_finds(text: str, date: str) -> None:
    assert found(text) == [date]


@pytest.mark.parametrize(
    "text",
    [
        "Court hearing on 12/03/2024",
        "The station opened on 12 March 1985",
        "Born in 1985 and still going",
        "Birthday party on Saturday at 3pm",
        "Happy 50th birthday to our station!",
        "DOB 31/02/1985",  # no such day
        "DOB 13/13/1985",  # no 13th month either way round
        "dob 12.30",  # a time
        "DOB of the victim withheld",
        "born on 12/03/2099",  # in the future
    ],
)
def test_negatives(text: str) -> None:
    assert found(text) == []


def test_explains_with_iso_date() -> None:
    (f,) = RECOGNISER.find(TextItem("DOB 12/03/1985"))
    assert "1985-03-12" in f.explanation and "DOB" in f.explanation
