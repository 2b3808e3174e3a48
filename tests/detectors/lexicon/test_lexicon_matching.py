"""The lexicon detector: boundaries, obfuscation, phrases, spans on the original text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from warden.detectors.base import Detector, TextItem
from warden.detectors.lexicon.detector import LexiconDetector
from warden.detectors.lexicon.loader import DATA_DIR, load_lexicons
from warden.domain.findings import Finding


@pytest.fixture(scope="module")
def detector() -> LexiconDetector:
    return LexiconDetector()


def detect(detector: LexiconDetector, text: str) -> list[Finding]:
    return detector.detect([TextItem(text)])[0]


def spans(detector: LexiconDetector, text: str, category: str) -> list[str]:
    return [f.text for f in detect(detector, text) if f.category == f"lexicon.{category}"]


def test_detector_contract(detector: LexiconDetector) -> None:
    assert isinstance(detector, Detector)
    assert detector.name == "lexicon"
    assert detector.version.startswith("1.0.0+") and len(detector.version) == len("1.0.0+") + 10
    assert "lexicon.profanity" in detector.categories and "lexicon.self_harm" in detector.categories
    assert all(c.startswith("lexicon.") for c in detector.categories)


def test_registered_under_its_name() -> None:
    from warden.detectors import registry

    assert registry._FACTORIES["lexicon"] is LexiconDetector


def test_finding_fields(detector: LexiconDetector) -> None:
    (finding,) = [f for f in detect(detector, "What an idiot.") if f.category == "lexicon.insult"]
    assert (finding.start, finding.end, finding.text, finding.matched) == (8, 13, "idiot", "idiot")
    assert finding.detector == "lexicon" and finding.version == detector.version
    assert finding.score == 1.0 and finding.severity == 2 and finding.entry == "idiot"
    assert finding.explanation == 'lexicon "insult" entry "idiot" (severity 2)'


def test_batches_keep_order(detector: LexiconDetector) -> None:
    out = detector.detect([TextItem("all fine here"), TextItem("you muppet"), TextItem("")])
    assert [[f.category for f in found] for found in out] == [[], ["lexicon.insult"], []]


@pytest.mark.parametrize(
    "text",
    [
        "Our code is on github", "Scunthorpe United", "a class of year 9", "risk assessment",
        "cockpit tour", "cut the grass", "Penistone Road", "Cockermouth", "Arsenal fans", "Essex and Sussex",
        "Middlesex", "the assassin's creed", "bass guitar", "Cumbria", "a document", "analysis",
        "hello there", "Dick Turpin", "Matt Hancock", "knee-jerk", "cigarettes and fags", "Offa's Dyke",
        "Dyke Road, Brighton", "Niger and Chad", "blue tits on the feeder", "Jo Cox", "hoar frost",
        "shiitake mushrooms", "a jam tart", "the spooks", "knickers", "chicken nuggets", "Twatt, Orkney",
        "the BBC", "sob quietly", "Sheffield Wednesday", "a shuttlecock", "peacocks", "hitchcock",
    ],
)
def test_ordinary_words_do_not_hit_profanity_or_slurs(detector: LexiconDetector, text: str) -> None:
    hits = [f for f in detect(detector, text) if f.category in ("lexicon.profanity", "lexicon.slur")]
    assert hits == []


def test_no_hit_inside_words_for_other_categories(detector: LexiconDetector) -> None:
    assert spans(detector, "She saw a therapist", "criminal_label") == []
    assert spans(detector, "she is scared of scumbles", "insult") == []
    assert spans(detector, "I will call you later", "emergency") == []


@pytest.mark.parametrize(
    ("text", "original"),
    [
        ("you f u c k mate", "f u c k"),
        ("oh f.u.c.k that", "f.u.c.k"),
        ("fuuuuck this", "fuuuuck"),
        ("well sh1t", "sh1t"),
        ("ｆｕｃｋ mate", "ｆｕｃｋ"),
        ("fu\u200bck mate", "fu\u200bck"),
        ("FuCk mate", "FuCk"),
        ("sh\u200bit.", "sh\u200bit"),
    ],
)
def test_obfuscated_profanity_spans_the_original(detector: LexiconDetector, text: str, original: str) -> None:
    found = [f for f in detect(detector, text)
             if f.category == "lexicon.profanity" and f.entry.startswith(("fuck", "shit"))]
    assert found, text
    assert found[0].text == original
    assert text[found[0].start : found[0].end] == original


def test_trailing_exclamation_mark(detector: LexiconDetector) -> None:
    assert spans(detector, "Caught red-handed!", "sub_judice") == ["Caught red-handed"]
    assert spans(detector, "Oh sh!t, not again", "profanity") == ["sh!t"]


def test_cyrillic_lookalikes(detector: LexiconDetector) -> None:
    text = "what a twаt"  # Cyrillic а
    (finding,) = [f for f in detect(detector, text) if f.category == "lexicon.profanity"]
    assert finding.text == "twаt" and finding.matched == "twat"
    assert spans(detector, "yоu muppеt", "insult") == ["muppеt"]  # Cyrillic о and е


def test_zero_width_inside_a_phrase(detector: LexiconDetector) -> None:
    text = "i will k\u200bi\u2060ll you"
    assert spans(detector, text, "threat") == [text]


def test_emoji_read_as_words(detector: LexiconDetector) -> None:
    text = "Crash on the A64 😂👍"
    found = {(f.category, f.text, f.matched.strip()) for f in detect(detector, text)}
    assert ("lexicon.trivialising", "😂", "laughing") in found
    assert ("lexicon.trivialising", "👍", "thumbs up") in found
    assert ("lexicon.serious_incident", "Crash", "crash") in found


def test_emoji_threat(detector: LexiconDetector) -> None:
    assert spans(detector, "ur getting the 🔪", "violence") == ["🔪"]


@pytest.mark.parametrize(
    ("text", "original"),
    [
        ("I know where\nyou live", "know where\nyou live"),
        ("watch  your   back", "watch  your   back"),
        ("watch\tyour\r\nback", "watch\tyour\r\nback"),
    ],
)
def test_phrases_across_whitespace(detector: LexiconDetector, text: str, original: str) -> None:
    assert spans(detector, text, "threat") == [original]


def test_phrases_across_hyphens(detector: LexiconDetector) -> None:
    assert spans(detector, "sod-off", "profanity") == ["sod-off"]
    assert spans(detector, "Caught red-handed at the till", "sub_judice") == ["Caught red-handed"]
    assert spans(detector, "a well-known to police local", "character") == ["well-known to police"]
    assert "knob-head" in spans(detector, "what a knob-head", "profanity")


def test_prefix_entry_covers_the_whole_word(detector: LexiconDetector) -> None:
    assert spans(detector, "Bunch of muppets", "insult") == ["muppets"]
    assert spans(detector, "a supermuppet", "insult") == []


def test_apostrophes_and_curly_quotes(detector: LexiconDetector) -> None:
    assert spans(detector, "You\u2019re dead", "threat") == ["You\u2019re dead"]
    assert spans(detector, "youre dead", "threat") == ["youre dead"]


def test_repeated_letters_with_natural_doubles(detector: LexiconDetector) -> None:
    assert spans(detector, "i will killlll you", "threat") != []
    assert spans(detector, "muppppppet", "insult") == ["muppppppet"]


def test_hits_inside_longer_hits_of_the_category_are_dropped(detector: LexiconDetector) -> None:
    assert spans(detector, "fuck off", "profanity") == ["fuck off"]
    assert spans(detector, "i will kill you", "threat") == ["i will kill you"]


def test_one_finding_per_category_and_span(detector: LexiconDetector) -> None:
    found = detect(detector, "fuuuuuck")  # read twice (two full forms), reported once
    keys = [(f.category, f.start, f.end) for f in found]
    assert len(keys) == len(set(keys))


def test_same_word_in_two_categories(detector: LexiconDetector) -> None:
    categories = {f.category for f in detect(detector, "Fatal collision")}
    assert {"lexicon.fatality", "lexicon.serious_incident"} <= categories


def test_ages_and_children(detector: LexiconDetector) -> None:
    assert spans(detector, "the 15-year-old from the school", "child") == ["15-year-old"]
    assert spans(detector, "a 15 year old", "child") == ["15 year old"]
    assert spans(detector, "a 45-year-old man", "child") == []
    assert spans(detector, "a 115-year-old tree", "child") == []


def test_percent_and_hashtag_terms(detector: LexiconDetector) -> None:
    assert spans(detector, "20% off today", "endorsement") == ["% off"]
    assert spans(detector, "new boots #ad", "endorsement") == ["#ad"]
    assert spans(detector, "#adventure awaits", "endorsement") == []
    assert spans(detector, "#ToriesOut", "political") == ["ToriesOut"]


def test_appeal_reference_prefix(detector: LexiconDetector) -> None:
    assert spans(detector, "Ref AP-2291", "appeal_authorised") == ["Ref AP"]
    assert spans(detector, "Ref: AP2291", "appeal_authorised") == ["Ref: AP2291"]


def test_version_changes_when_data_changes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    before = LexiconDetector(directory=data).version
    assert before == LexiconDetector().version  # the hash is of the data, not the path
    path = data / "insult.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "  - term: gobdaw\n", encoding="utf-8")
    after = LexiconDetector(directory=data)
    assert after.version != before
    assert [f.text for f in after.detect([TextItem("you gobdaw")])[0]] == ["gobdaw"]
    path.write_text(path.read_text(encoding="utf-8").replace("term: gobdaw", "term: gobdaw\n    severity: 3"),
                    encoding="utf-8")
    assert LexiconDetector(directory=data).version not in (before, after.version)


def test_explicit_lexicons(tmp_path: Path) -> None:
    (tmp_path / "threat.yaml").write_text(
        "category: threat\nversion: 1\ndescription: d\nsource: s\nentries:\n  - term: watch your back\n",
        encoding="utf-8",
    )
    small = LexiconDetector(load_lexicons(tmp_path))
    assert small.categories == ("lexicon.threat",)
    assert small.sizes == {"threat": 1}
    assert [f.category for f in small.detect([TextItem("Watch your back")])[0]] == ["lexicon.threat"]
