import time

import pytest

import warden
from warden.domain.enums import InboundAction, OutboundAction
from warden.domain.errors import EmptyText, InvalidInput, PolicyError, TextTooLong
from warden.engine import Engine


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def test_public_check_function() -> None:
    decision = warden.check("Another idiot driver doing 90 in a 30")
    assert decision.action is OutboundAction.HOLD
    assert decision.reasons[0].standards == ("S2",)
    inbound = warden.check("I will kill you", direction="inbound")
    assert inbound.action is InboundAction.ESCALATE_URGENT
    personal = warden.check("Off my face after shift", account_type="personal_officer")
    assert personal.action is OutboundAction.WARN
    assert warden.check("Hello", policy="enterprise").policy_id == "enterprise"


@pytest.mark.parametrize("bad", [{"direction": "sideways"}, {"account_type": "boss"}])
def test_public_check_rejects_unknown_options(bad: dict[str, str]) -> None:
    with pytest.raises(InvalidInput):
        warden.check("hello", **bad)  # type: ignore[arg-type]


def test_empty_and_oversized(engine: Engine) -> None:
    with pytest.raises(EmptyText):
        engine.check(" \n\t ")
    with pytest.raises(TextTooLong) as caught:
        engine.check("a" * 65_537)
    assert caught.value.code == "text_too_long"


def test_spans_index_the_original_text(engine: Engine) -> None:
    text = "Ｙｏｕ  ｉｄｉｏｔ, call 0７７00 900123 \u200bor see bit.ly/x"
    decision = engine.check(text)
    assert decision.findings
    for finding in decision.findings:
        assert text[finding.start:finding.end] == finding.text


def test_decision_records_policy_and_detector_versions(engine: Engine) -> None:
    decision = engine.check("hello there")
    assert decision.policy_revision == engine.policy.revision
    assert set(decision.detector_versions) >= {"lexicon", "pii", "links", "registers", "patterns"}


@pytest.mark.parametrize(
    "hostile",
    [
        "1 " * 32_000, "a" * 65_000, "0-" * 32_000, "A" * 65_000, "Aa " * 21_000, "f u c k " * 8_000,
        "http://" + "a." * 32_000, "@" * 65_000, "Mr " * 21_000, "\u200b" * 65_000, "🔪" * 30_000,
        "12/34/" * 10_000, "Elm " * 16_000 + "Road", "down 5% " * 8_000,
    ],
)
def test_pathological_input_stays_fast(engine: Engine, hostile: str) -> None:
    started = time.perf_counter()
    engine.check(hostile[:65_536])
    assert time.perf_counter() - started < 2.0


OPT_IN_PACK = """
id: deep-pack
name: Deep
version: "1"
rules:
  - id: D1
    title: Reads as insulting (deeper tier)
    direction: outbound
    why: A test rule naming the opt-in deeper tier.
    when: {any: [ml_deep.insult]}
    action: hold
"""


def test_a_pack_naming_an_opt_in_detector_gets_it() -> None:
    from warden.policy.loader import parse

    engine = Engine(parse(OPT_IN_PACK))
    assert "ml_deep" in engine.pipeline.versions
    decision = engine.check("shut up you stupid pathetic loser")
    assert decision.action.value == "hold" and any(f.category == "ml_deep.insult" for f in decision.findings)
    plain = Engine(parse(OPT_IN_PACK.replace("ml_deep.insult", "ml.insult")))
    assert "ml_deep" not in plain.pipeline.versions  # nothing names it: never created


def test_a_pack_naming_a_detector_that_is_not_running_says_so() -> None:
    from warden.policy.loader import parse

    with pytest.raises(PolicyError, match="no detector 'ml_deeper' is running"):
        Engine(parse(OPT_IN_PACK.replace("ml_deep.insult", "ml_deeper.insult")))
    with pytest.raises(PolicyError, match=r"unknown category 'lexicon.nonsense'$"):
        Engine(parse(OPT_IN_PACK.replace("ml_deep.insult", "lexicon.nonsense")))
