import pytest

from warden.domain.errors import PolicyError
from warden.policy.loader import builtin, load, load_file, parse

MINIMAL = """
id: test-pack
name: Test
version: "1"
rules:
  - id: T1
    title: Test rule
    direction: outbound
    why: Because it is a test.
    when: {any: [lexicon.insult]}
    action: hold
"""


def test_minimal_pack_loads_and_has_a_stable_revision() -> None:
    first, second = parse(MINIMAL), parse(MINIMAL + "\n# a comment changes nothing\n")
    assert first.revision == second.revision
    assert first.revision != parse(MINIMAL.replace("action: hold", "action: block")).revision


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("action: hold", "action: explode"), "rules[0].action"),
        (("action: hold", "action: hide"), "not allowed for outbound"),
        (("direction: outbound", "direction: sideways"), "rules[0].direction"),
        (("why: Because it is a test.", "why: Because it is a test.\n    colour: red"), "rules[0].colour"),
        (("{any: [lexicon.insult]}", "{any: [Not A Category]}"), "rules[0].when.any"),
        (("{any: [lexicon.insult]}", "{any: []}"), "rules[0].when.any"),
        (("{any: [lexicon.insult]}", "{any: [lexicon.insult], near: 5}"), "rules[0].when.near: 'near' needs"),
        (("action: hold", "action: {corporate: hold, neighbourhood: hold, personal_officer: hide}"),
         "rules[0].action.personal_officer"),
        (("id: test-pack", "id: Test Pack!"), "id:"),
    ],
)
def test_errors_name_the_key(change: tuple[str, str], message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse(MINIMAL.replace(*change))
    assert message in str(caught.value)


def test_duplicate_rule_ids() -> None:
    text = MINIMAL + MINIMAL[MINIMAL.index("  - id: T1"):]
    with pytest.raises(PolicyError, match="duplicate rule id"):
        parse(text)


def test_bad_yaml_and_wrong_shape() -> None:
    with pytest.raises(PolicyError, match="not valid YAML"):
        parse("id: [unclosed")
    with pytest.raises(PolicyError, match="mapping"):
        parse("- just a list")


def test_bad_and_unsafe_regex() -> None:
    base = MINIMAL + "patterns:\n  - {name: p1, category: custom.x, regex: '%s'}\n"
    with pytest.raises(PolicyError, match=r"patterns\[0\]\.regex"):
        parse(base % "(unclosed")
    with pytest.raises(PolicyError, match="linear-time"):
        parse(base % "(a)\\1")
    policy = parse(base % "(a+)+b")  # RE2 runs this in linear time
    assert policy.patterns[0][4].search("a" * 50_000 + "c") is None


def test_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "pack.yaml"
    path.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(PolicyError, match="UTF-8"):
        load_file(path)
    with pytest.raises(PolicyError, match="cannot read"):
        load_file(tmp_path / "missing.yaml")
    path.write_text(MINIMAL)
    assert load(str(path)).id == "test-pack"


def test_builtin_packs() -> None:
    assert builtin("uk-policing").id == "uk-policing"
    assert builtin("enterprise").id == "enterprise"
    with pytest.raises(PolicyError, match="unknown built-in"):
        builtin("nope")
