"""Lexicon files are validated, and every error names the file, entry and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from warden.detectors.lexicon.loader import load_file, load_lexicons
from warden.domain.errors import LexiconError

GOOD = """\
category: {name}
version: 1
description: test lexicon
source: tests
entries:
  - term: idiot
    severity: 2
    variants: [idiots]
  - term: "muppet*"
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str, name: str = "insult") -> str:
    with pytest.raises(LexiconError) as caught:
        load_file(write(tmp_path, name, text))
    assert caught.value.code == "invalid_lexicon"
    return caught.value.message


def test_good_file_loads_with_defaults(tmp_path: Path) -> None:
    lex = load_file(write(tmp_path, "insult", GOOD.format(name="insult")))
    assert lex.category == "insult"
    assert [e.term for e in lex.entries] == ["idiot", "muppet*"]
    assert lex.entries[0].severity == 2 and lex.entries[0].variants == ("idiots",)
    assert lex.entries[1].severity == 1  # no default_severity: mild


def test_default_severity_applies_to_entries_without_one(tmp_path: Path) -> None:
    text = GOOD.format(name="threat").replace("entries:", "default_severity: 3\nentries:")
    lex = load_file(write(tmp_path, "threat", text))
    assert [e.severity for e in lex.entries] == [2, 3]


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    message = error_for(tmp_path, "category: insult\nentries: [unclosed\n  - term: x\n")
    assert message.startswith("insult.yaml: invalid YAML at line")


def test_missing_term_names_entry_and_key(tmp_path: Path) -> None:
    text = GOOD.format(name="insult") + "  - severity: 2\n"
    assert error_for(tmp_path, text) == "insult.yaml: entries[2].term: missing required key"


def test_missing_file_key_is_named(tmp_path: Path) -> None:
    text = GOOD.format(name="insult").replace("source: tests\n", "")
    assert error_for(tmp_path, text) == "insult.yaml: source: missing required key"


@pytest.mark.parametrize("severity", ["5", "0", "high", "true", "2.5"])
def test_bad_severity_names_entry_and_key(tmp_path: Path, severity: str) -> None:
    text = GOOD.format(name="insult").replace("severity: 2", f"severity: {severity}")
    message = error_for(tmp_path, text)
    assert message.startswith("insult.yaml: entries[0].severity: must be an integer 1-3")


def test_bad_default_severity_is_named(tmp_path: Path) -> None:
    text = GOOD.format(name="insult").replace("entries:", "default_severity: 9\nentries:")
    assert error_for(tmp_path, text).startswith("insult.yaml: default_severity: must be an integer 1-3")


@pytest.mark.parametrize("term", ['""', '"   "', '"*"', '"\u200b"'])
def test_empty_term_names_entry_and_key(tmp_path: Path, term: str) -> None:
    text = GOOD.format(name="insult").replace("term: idiot", f"term: {term}")
    message = error_for(tmp_path, text)
    assert message.startswith("insult.yaml: entries[0].term: ")
    assert "empty" in message


def test_term_that_is_not_a_string_is_named(tmp_path: Path) -> None:
    text = GOOD.format(name="insult").replace("term: idiot", "term: [idiot]")
    assert error_for(tmp_path, text).startswith("insult.yaml: entries[0].term: must be a string")


def test_too_short_term_is_rejected(tmp_path: Path) -> None:
    text = GOOD.format(name="insult").replace("term: idiot", "term: x")
    assert "too short" in error_for(tmp_path, text)


def test_empty_variant_names_its_index(tmp_path: Path) -> None:
    text = GOOD.format(name="insult").replace("[idiots]", '[idiots, ""]')
    assert error_for(tmp_path, text) == "insult.yaml: entries[0].variants[1]: must not be empty"


def test_variants_must_be_a_list(tmp_path: Path) -> None:
    text = GOOD.format(name="insult").replace("[idiots]", "idiots")
    assert error_for(tmp_path, text).startswith("insult.yaml: entries[0].variants: must be a list")


def test_unknown_entry_key_is_named(tmp_path: Path) -> None:
    text = GOOD.format(name="insult").replace("severity: 2", "severity: 2\n    weight: 3")
    assert error_for(tmp_path, text).startswith("insult.yaml: entries[0].weight: unknown key")


def test_unknown_file_key_is_named(tmp_path: Path) -> None:
    text = "language: en\n" + GOOD.format(name="insult")
    assert error_for(tmp_path, text).startswith("insult.yaml: language: unknown key")


def test_entry_must_be_a_mapping(tmp_path: Path) -> None:
    text = GOOD.format(name="insult") + "  - just a string\n"
    assert error_for(tmp_path, text).startswith("insult.yaml: entries[2]: must be a mapping")


def test_category_must_match_file_name(tmp_path: Path) -> None:
    message = error_for(tmp_path, GOOD.format(name="insult"), name="threat")
    assert message == "threat.yaml: category: 'insult' does not match the file name 'threat'"


@pytest.mark.parametrize(("version", "shown"), [("0", "0"), ("one", "'one'"), ("true", "True")])
def test_bad_version(tmp_path: Path, version: str, shown: str) -> None:
    text = GOOD.format(name="insult").replace("version: 1", f"version: {version}")
    assert error_for(tmp_path, text) == f"insult.yaml: version: must be an integer >= 1, got {shown}"


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    assert error_for(tmp_path, "- idiot\n- moron\n").startswith("insult.yaml: top level must be a mapping")


def test_entries_must_not_be_empty(tmp_path: Path) -> None:
    text = GOOD.format(name="insult").split("entries:")[0] + "entries: []\n"
    assert error_for(tmp_path, text) == "insult.yaml: entries: must be a non-empty list"


def test_spellings_that_read_the_same_in_two_entries_are_rejected(tmp_path: Path) -> None:
    text = GOOD.format(name="insult") + "  - term: 1d10t\n"
    message = error_for(tmp_path, text)
    assert message.startswith("insult.yaml: entries[2].term: '1d10t' reads the same as a spelling of entries[0]")


def test_spellings_that_read_the_same_in_one_entry_are_allowed(tmp_path: Path) -> None:
    text = GOOD.format(name="insult").replace("[idiots]", "[idiots, 1d10t, i d i o t]")
    assert load_file(write(tmp_path, "insult", text)).entries[0].variants[-1] == "i d i o t"


def test_directory_loads_every_file_sorted(tmp_path: Path) -> None:
    write(tmp_path, "threat", GOOD.format(name="threat"))
    write(tmp_path, "insult", GOOD.format(name="insult"))
    assert [lex.category for lex in load_lexicons(tmp_path)] == ["insult", "threat"]


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="no lexicon files"):
        load_lexicons(tmp_path)


def test_unreadable_bytes_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "insult.yaml"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(LexiconError, match=r"^insult\.yaml: cannot read"):
        load_file(path)
