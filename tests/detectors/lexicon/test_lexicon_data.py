"""The packaged lexicon files: all load, all categories have real content."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from warden.detectors.lexicon.detector import LexiconDetector
from warden.detectors.lexicon.loader import DATA_DIR, load_lexicons
from warden.detectors.normalise import normalise_term

ROOT = Path(__file__).resolve().parents[3]
SURGE_CSV = ROOT.parent / "shared" / "data" / "surge_profanity" / "profanity_en.csv"

CATEGORIES = {
    "profanity", "slur", "insult", "threat", "violence", "mockery", "trivialising", "serious_incident",
    "sub_judice", "character", "arrest", "charged", "sexual_offence", "child", "fatality", "nok_informed",
    "police_info", "opsec", "officer_safety", "political", "controversy", "boasting", "endorsement",
    "grievance", "alcohol", "speculation", "appeal", "appeal_authorised", "criminal_label", "consent",
    "self_harm", "emergency", "crime_report", "doxxing", "spam", "protected_group",
}


def test_every_category_file_exists_and_loads() -> None:
    lexicons = load_lexicons()
    assert {lex.category for lex in lexicons} == CATEGORIES
    assert {p.stem for p in DATA_DIR.glob("*.yaml")} == CATEGORIES


def test_every_category_has_content() -> None:
    for lex in load_lexicons():
        assert len(lex.entries) >= 5, lex.category
        assert lex.description and lex.source
        assert all(1 <= e.severity <= 3 for e in lex.entries)


def test_detector_categories_match_the_files() -> None:
    assert set(LexiconDetector().categories) == {f"lexicon.{c}" for c in CATEGORIES}


def test_every_spelling_matches_itself() -> None:
    """Each entry, written as a text, is found by its own category (catches
    spellings the normaliser reads differently from how the term was meant)."""
    detector = LexiconDetector()
    from warden.detectors.base import TextItem

    missing = []
    for lex in load_lexicons():
        for entry in lex.entries:
            for spelling in entry.spellings:
                text = spelling.rstrip("*")
                found = {f.category for f in detector.detect_one(TextItem(f"({text})"))}
                if f"lexicon.{lex.category}" not in found:
                    missing.append((lex.category, spelling))
    assert missing == []


def test_slurs_are_strong() -> None:
    (slur,) = [lex for lex in load_lexicons() if lex.category == "slur"]
    assert sum(e.severity == 3 for e in slur.entries) / len(slur.entries) > 0.8


def test_dropped_ambiguous_words_are_absent() -> None:
    keys = {normalise_term(s.rstrip("*")) for lex in load_lexicons() if lex.category in ("profanity", "slur")
            for e in lex.entries for s in e.spellings}
    for word in ("69", "hell", "balls", "screw", "suck", "cock", "dick", "fag", "fags", "knob", "tits", "niger",
                 "spook", "knickers", "twatt", "sob", "hoe", "tart", "tramp", "dyke", "k"):
        assert word not in keys, word
    for word in ("bollocks", "wanker", "twat", "bellend", "knobhead", "tosser", "pillock", "minger", "slag", "git",
                 "sod off", "bloody", "bugger", "arse", "shite", "paki", "pikey", "gyppo", "spastic", "poof"):
        assert word in keys, word


@pytest.mark.skipif(not SURGE_CSV.exists(), reason="surge_profanity source not available")
def test_generated_files_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_profanity_lexicon.py"), "--check", "--csv", str(SURGE_CSV)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
