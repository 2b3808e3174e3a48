from warden.detectors.lexicon.matcher import PhraseMatcher


def test_boundaries_prefixes_and_phrases() -> None:
    matcher = PhraseMatcher([("fuck*", "F"), ("ass", "A"), ("red-handed", "R"), ("well known to police", "W")])
    text = "you fucking ass, caught red handed; class; well known to police"
    found = [(text[a:b], p) for a, b, p in matcher.find(text)]
    assert found == [("fucking", "F"), ("ass", "A"), ("red handed", "R"), ("well known to police", "W")]


def test_no_match_inside_words() -> None:
    matcher = PhraseMatcher([("git", "G"), ("ass", "A")])
    assert matcher.find("github assessment class") == []


def test_empty_matcher() -> None:
    assert PhraseMatcher([]).find("anything") == []
