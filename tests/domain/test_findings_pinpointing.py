"""Which evidence spans are highlighted: a verdict on the whole text never buries the words."""

from warden.domain.findings import pinpointing

TEXT = "Another idiot driver doing 90 in a 30.  "


def test_a_whole_text_span_gives_way_to_narrower_evidence() -> None:
    whole = (0, len(TEXT.rstrip()), 2)
    word = (8, 13, 1)
    assert pinpointing([whole, word], TEXT) == [word]
    assert pinpointing([(0, len(TEXT), 3), word], TEXT) == [word]  # trailing space or not


def test_a_whole_text_span_alone_is_kept_and_narrow_spans_are_untouched() -> None:
    assert pinpointing([(0, 38)], TEXT) == [(0, 38)]
    assert pinpointing([(0, 7), (8, 13)], TEXT) == [(0, 7), (8, 13)]  # starts at 0 but is not the whole text
    assert pinpointing([], TEXT) == []
