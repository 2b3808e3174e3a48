"""The registered "pii" detector: protocol, overlaps, offsets, speed, safety."""

from __future__ import annotations

import itertools
import time

import pytest

from warden.detectors.base import Detector, TextItem
from warden.detectors.pii.detectors import CATEGORIES, PiiDetector, find_pii

ALL = (
    "pii.uk_phone",
    "pii.email",
    "pii.uk_postcode",
    "pii.uk_nino",
    "pii.uk_vehicle_reg",
    "pii.nhs_number",
    "pii.payment_card",
    "pii.uk_bank_account",
    "pii.date_of_birth",
    "pii.street_address",
    "pii.police_reference",
)


def test_protocol_and_categories() -> None:
    detector = PiiDetector()
    assert isinstance(detector, Detector)
    assert detector.name == "pii" and detector.version == "1.0.0"
    assert sorted(detector.categories) == sorted(ALL) == sorted(CATEGORIES)


def test_registered() -> None:
    from warden.detectors import registry

    assert registry._FACTORIES["pii"] is PiiDetector


def test_batch_in_order() -> None:
    batch = [TextItem("nothing here"), TextItem("call 07700 900123"), TextItem("jo@example.com")]
    out = PiiDetector().detect(batch)
    assert [[f.category for f in fs] for fs in out] == [[], ["pii.uk_phone"], ["pii.email"]]


def test_findings_carry_detector_and_explanation() -> None:
    (f,) = find_pii(TextItem("call 07700 900123"))
    assert (f.detector, f.version, f.category) == ("pii", "1.0.0", "pii.uk_phone")
    assert f.explanation and f.entry and 0 < f.score <= 1


@pytest.mark.parametrize(
    ("text", "category", "sub"),
    [
        ("call\u200b me on 07700\u200b900\u200b111", "pii.uk_phone", "07700\u200b900\u200b111"),
        ("ring \uff10\uff17\uff17\uff10\uff10 \uff19\uff10\uff10\uff12\uff13\uff14 now", "pii.uk_phone",
         "\uff10\uff17\uff17\uff10\uff10 \uff19\uff10\uff10\uff12\uff13\uff14"),
        ("mail me: jo\u200b.bloggs@example.com", "pii.email", "jo\u200b.bloggs@example.com"),
        ("NI number \uff21\uff22 12 34 56 \uff23", "pii.uk_nino", "\uff21\uff22 12 34 56 \uff23"),
        ("postcode SW1A\u00a01AA", "pii.uk_postcode", "SW1A\u00a01AA"),
        ("\U0001F6A8 DOB \uff11\uff12/03/1985", "pii.date_of_birth", "\uff11\uff12/03/1985"),
        ("nhs no 943\u200b476\u200b5919", "pii.nhs_number", "943\u200b476\u200b5919"),
        ("CARD 4111\u00a01111\u00a01111\u00a01111", "pii.payment_card", "4111\u00a01111\u00a01111\u00a01111"),
    ],
)  # fmt: skip
def test_spans_map_to_original_text(text: str, category: str, sub: str) -> None:
    found = find_pii(TextItem(text))
    start = text.index(sub)
    assert [(f.category, f.start, f.end, f.text) for f in found] == [(category, start, start + len(sub), sub)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a card is not also a bank account or a phone
        ("card 4111 1111 1111 1111 acc", [("pii.payment_card", "4111 1111 1111 1111")]),
        # an NHS number in NHS context is not a phone
        ("nhs no 943 476 5919", [("pii.nhs_number", "943 476 5919")]),
        # a force-format crime number is not a date of birth or a bank detail
        ("crime ref 42/123456/24", [("pii.police_reference", "42/123456/24")]),
        # a NINO is not a dateless registration, even next to "car"
        ("car AB 12 34 56 C", [("pii.uk_nino", "AB 12 34 56 C")]),
        (
            "Flat 3, 12 Elm Road, LS6 2AB - call 07700 900123",
            [
                ("pii.street_address", "Flat 3, 12 Elm Road"),
                ("pii.uk_postcode", "LS6 2AB"),
                ("pii.uk_phone", "07700 900123"),
            ],
        ),
    ],
)
def test_one_category_per_span(text: str, expected: list[tuple[str, str]]) -> None:
    found = find_pii(TextItem(text))
    assert [(f.category, f.text) for f in found] == expected
    for a, b in itertools.pairwise(found):
        assert a.end <= b.start


@pytest.mark.parametrize(
    "text",
    [
        "Meeting at 10:30 at the station",
        "Last train 22.45",
        "£12.99 and £1,250",
        "Order number 48291037",
        "A171, M25 and B1234 closed",
        "We won 3-1",
        "back in 2019",
        "crime down 12%",
        "version 2.4.1",
        "hearing on 12/03/2024",
        "code 123456",
        "Op 12",
        "no digits or at-signs at all, just words about a road and a street",
    ],
)
def test_hard_negatives(text: str) -> None:
    assert find_pii(TextItem(text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "1 " * 30000,
        "a" * 60000,
        "0-" * 30000,
        "7" * 64000,
        "0 " * 32000,
        "a@" * 32000,
        "a" * 63 + "@" + "b." * 31000,
        "1 hours road " * 5000,
        "flat 1 " * 9000,
        "12-34-" * 10000,
        "dob 1/" * 10000,
        "incident 1/" * 6000,
        "x [at] y [dot] " * 4000,
        "+44 " * 16000,
        "reg a1 " * 9000,
        "4111 " * 13000,
        ("call 07700 900123 dob 12/03/1985 12 Baker Street reg AB12 CDE " * 1100)[:64000],
    ],
    ids=lambda t: repr(t[:12]),
)
def test_pathological_input_is_fast(text: str) -> None:
    item = TextItem(text)
    started = time.perf_counter()
    find_pii(item)
    assert time.perf_counter() - started < 1.0


def test_typical_tweet_cost() -> None:
    """Budget: ~60 µs per typical tweet, light normalisation included."""
    texts = [
        "Appeal: silver Ford Focus seen near the park at 10:30 last night. Any info call 101 quoting log 456.",
        "Great turnout at the community event today, thanks to everyone who came along and said hello!",
        "Road closed between J25 and J26 on the M62 after a collision, please avoid the area.",
        "@WestYorksPolice someone keeps parking across my drive, what can I do about it?",
        "Missing: Sam, 15, last seen in Leeds city centre wearing a black coat. Please share.",
    ] * 200
    items = [TextItem(t + f" #{i}") for i, t in enumerate(texts)]
    started = time.perf_counter()
    PiiDetector().detect(items)
    per_text = (time.perf_counter() - started) / len(items)
    assert per_text < 200e-6  # generous bound for slow CI; measured ~15-30 µs
