import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warden.detectors.normalise import full, light, normalise_term


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("Hello World", "hello world"),
        ("f u c k you", "fuck you"),
        ("f.u.c.k", "fuck"),
        ("f-u-c-k off", "fuck off"),
        ("sh1t", "shit"),
        ("5h1t h3ad", "shit head"),
        ("901n9 70 k1ll 7h3 l0t", "going 70 kill the lot"),  # one letter among leet digits, digit first
        ("FUUUUCK", "fuck"),
        ("ki\u200bll", "kill"),
        ("ｆｕｃｋ", "fuck"),
        ("Fuсk", "fuck"),  # Cyrillic es
        ("Ñandú", "nandu"),
        ("I will 🔪 you", "i will knife you"),
        ("red-handed", "red handed"),
        ("well  known\nto police", "well known to police"),
        ("Straße", "strasse"),
        ("\U0001d41f\U0001d42e\U0001d41c\U0001d424", "fuck"),  # mathematical bold
    ],
)
def test_full_form(original: str, expected: str) -> None:
    assert full(light(original)).text == expected


@pytest.mark.parametrize("text", ["Meet at 10:30 on the A171", "£12.99 for 3", "call 07700 900123", "M25 J10",
                                  "the 2nd time in 24h", "B1234 at J10"])
def test_numbers_are_not_leet_folded(text: str) -> None:
    assert full(light(text)).text == text.lower()


def test_light_keeps_digits_and_maps_full_width_digits() -> None:
    assert light("０７７００ ９００１２３").text == "07700 900123"


@pytest.mark.parametrize(
    ("original", "needle", "expected_original"),
    [
        ("You f u c k i n g idiot", "fucking", "f u c k i n g"),
        ("big FUUUUCK up", "fuck", "FUUUUCK"),
        ("a ki\u200bll b", "kill", "ki\u200bll"),
        ("x 🔪 y", "knife", "🔪"),
        ("ｆｕｃｋ off", "fuck", "ｆｕｃｋ"),
        ("Straße zu", "strasse", "Straße"),
    ],
)
def test_spans_map_back_to_original(original: str, needle: str, expected_original: str) -> None:
    form = full(light(original))
    start = form.text.index(needle)
    a, b = form.span(start, start + len(needle))
    assert original[a:b] == expected_original


def test_second_form_keeps_doubles() -> None:
    base = light("killllll him")
    assert full(base).text == "kil him"
    assert full(base, keep_doubles=True).text == "kill him"


def test_terms_and_text_meet() -> None:
    assert normalise_term("Red-Handed") == full(light("caught red handed")).text[len("caught "):]


@given(st.text(max_size=200))
def test_span_map_is_total_and_monotonic(text: str) -> None:
    form = full(light(text))
    for i in range(len(form.text)):
        a, b = form.span(i, i + 1)
        assert 0 <= a <= b <= len(text)
    if form.starts is not None:
        assert form.starts == sorted(form.starts)


@pytest.mark.parametrize("hostile", ["a " * 30000, "a." * 30000, "aaaa" * 15000, "1" * 60000, "\u200b" * 60000,
                                     "f-" * 30000, "🔪" * 20000])
def test_pathological_input_is_fast(hostile: str) -> None:
    started = time.perf_counter()
    full(light(hostile))
    assert time.perf_counter() - started < 1.0
