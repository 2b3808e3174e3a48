"""The default UK policing pack, end to end through the real engine: each
rule of POLICY_REFERENCE.md A4 and each inbound class, on invented texts."""

import pytest

from warden.domain.context import CheckContext, Registers
from warden.domain.enums import AccountType, Direction
from warden.engine import Engine
from warden.policy.loader import builtin

REGISTERS = Registers(active_proceedings=("Jo Bloggs",), anonymity=("Sam Taylor",), operations=("Nightjar",))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(builtin("uk-policing"))


def decide(engine: Engine, text: str, direction: str = "outbound", account: str = "corporate",
           election: bool = False) -> tuple[str, list[str]]:
    context = CheckContext(direction=Direction(direction), account_type=AccountType(account), registers=REGISTERS,
                           election_period=election)
    decision = engine.check(text, context)
    return decision.action.value, decision.categories


OUTBOUND = [
    ("We've got our man! Caught red-handed on Elm Road.", "hold", "R01"),
    ("Jo Bloggs is guilty and the killer will pay.", "block", "R01"),
    ("The suspect is well known to police in the area.", "hold", "R02"),
    ("Jo Bloggs has been charged and is well known to police.", "block", "R02"),
    ("Peter Smith, 34, of Harrogate was arrested last night on suspicion of burglary.", "hold", "R03"),
    ("Following the rape reported on Elm Road, a man was arrested.", "block", "R04"),
    ("An update on the case involving Sam Taylor.", "block", "R04"),
    ("A 15-year-old from St Mary's Academy has been arrested after the assault.", "block", "R05"),
    ("Amy, 7, meets PC Smith at the open day!", "hold", "R06"),
    ("Fatal collision on the A171: a silver Ford Focus KX12 ABC was involved and the driver died.", "hold", "R07"),
    ("At the crash scene with the fire crews #professionalsatwork 😂", "hold", "R09"),
    ("Call the officer in case on 07700 900123 with any information.", "hold", "R10"),
    ("PNC shows he has been stopped before.", "block", "R11"),
    ("Op Nightjar is going well.", "block", "R12"),
    ("Off shift at 10, see you at the Red Lion", "hold", "R13"),
    ("Another idiot driver doing 90 in a 30.", "hold", "R15"),
    ("That caller asked the stupidest question today.", "hold", "R16"),
    ("Vote Labour on Thursday! #ToriesOut", "hold", "R17"),
    ("Burglary is down 50% this year thanks to our officers!", "hold", "R19"),
    ("He won't try that again lol, tasered him good.", "block", "R20"),
    ("Use code POLICE10 for 10% off at my mate's gym!", "hold", "R21"),
    ("SLT are clueless, see attached memo.", "hold", "R22"),
    ("Looks like a terror attack in the city centre, dozens dead.", "hold", "R24"),
    ("Do you know this man? Call us on 101.", "hold", "R25"),
    ("Local drug dealer Peter Smith is at it again.", "block", "R26"),
    ("Read the advice at bit.ly/3xYzAbc", "hold", "R27"),
]

ALLOWED = [
    "Road closure: the A64 eastbound is closed between Tadcaster and York. Please find another route.",
    "Thank you to everyone who came to our community surgery at the library today.",
    "A 34-year-old man has been charged with burglary and will appear at Leeds Magistrates' Court on 3 March.",
    "Lock your car and keep valuables out of sight. Thieves only need seconds.",
    "We're recruiting PCSOs! Find out more on our website https://www.northyorks.police.uk/careers",
    "Join us for a bike marking event at Harrogate library on Saturday 10am-2pm.",
    "Crime figures for the year are published by the ONS: burglary fell by 12 per cent.",
]


@pytest.mark.parametrize(("text", "action", "category"), OUTBOUND)
def test_outbound_rules(engine: Engine, text: str, action: str, category: str) -> None:
    got, categories = decide(engine, text)
    assert category in categories, (got, categories)
    assert got == action, (got, categories)


@pytest.mark.parametrize("text", ALLOWED)
def test_ordinary_posts_are_allowed(engine: Engine, text: str) -> None:
    assert decide(engine, text) == ("allow", [])


def test_corporate_gets_hold_where_personal_gets_warn(engine: Engine) -> None:
    text = "Off my face after shift last night"
    assert decide(engine, text, account="personal_officer")[0] == "warn"
    assert decide(engine, text, account="neighbourhood")[0] == "warn"
    assert decide(engine, text, account="corporate")[0] == "hold"


def test_election_period_blocks_politics(engine: Engine) -> None:
    assert decide(engine, "Vote Labour on Thursday!", election=True)[0] == "block"


def test_next_of_kin_informed_releases_r07(engine: Engine) -> None:
    text = "The driver of a silver Ford Focus KX12 ABC died at the scene. Their family has been informed."
    assert "R07" not in decide(engine, text)[1]


INBOUND = [
    ("I know where you live and I'm going to kill you", "escalate_urgent", "threat"),
    ("I can't go on, I'm going to kill myself tonight", "escalate_urgent", "self_harm"),
    ("Someone is breaking in to my house right now please help", "escalate_urgent", "emergency"),
    ("That officer lives at 14 Acacia Avenue, go and pay him a visit", "escalate_urgent", "doxxing"),  # also a threat
    ("His home address is 14 Acacia Avenue if anyone wants it", "hide_and_escalate", "doxxing"),
    ("It was Sam Taylor who reported him, everyone knows", "hide", "victim_identification"),
    ("Jo Bloggs is guilty, hang him", "hide", "contempt_risk"),
    ("My car was stolen last night, how do I report it?", "redirect", "crime_report"),
    ("CLICK HERE for free money, guaranteed returns http://192.168.4.20/claim", "hide", "spam"),
    ("Call me back on 07700 900123 please", "hide", "personal_data"),
]

LAWFUL_CRITICISM = [
    "Absolutely useless response from the police again. Three hours to turn up.",
    "This traffic is killing me, the roadworks on the A1 are a joke",
    "I don't agree with the new dispersal order, it punishes kids for nothing",
    "Where were you when my shed was broken into? Nobody even called back.",
    "The Chief Constable should resign over this.",
]


@pytest.mark.parametrize(("text", "action", "category"), INBOUND)
def test_inbound_classes(engine: Engine, text: str, action: str, category: str) -> None:
    got, categories = decide(engine, text, direction="inbound")
    assert category in categories, (got, categories)
    assert got == action, (got, categories)


@pytest.mark.parametrize("text", LAWFUL_CRITICISM)
def test_lawful_criticism_is_not_hidden(engine: Engine, text: str) -> None:
    action, _ = decide(engine, text, direction="inbound")
    assert action in ("none", "review", "redirect")


def test_every_text_detectable_reference_category_has_a_rule() -> None:
    pack = builtin("uk-policing").pack
    covered = {r.category_id for r in pack.rules if r.direction.value == "outbound"}
    not_text = {"R08", "R28"}  # image and account-behaviour categories: later detectors
    assert {f"R{i:02d}" for i in range(1, 29)} - not_text == covered
    for rule in pack.rules:
        assert rule.principles_2014 and rule.principles_2024 and rule.standards, rule.id


def test_hostility_in_plain_words_goes_to_an_approver(engine: Engine) -> None:
    # no listed word says so: only the deeper tier (fast and deep blended) reads the contempt
    text = "Honestly, people who live round there deserve every burglary they get."
    decision = engine.check(text, CheckContext(direction=Direction.OUTBOUND, account_type=AccountType.CORPORATE))
    assert decision.action.value == "hold"
    assert [r.rule_id for r in decision.reasons] == ["R15-model"]
    deep = [f for f in decision.findings if f.detector == "ml_deep"]
    assert deep and all(f.score >= 0.5 for f in deep if f.category in decision.reasons[0].categories)


def test_the_deeper_tier_reads_only_inbound_messages_the_fast_tier_nearly_flagged(engine: Engine) -> None:
    inbound = CheckContext(direction=Direction.INBOUND)
    quiet = engine.check("Thanks for the update on the road closure, much appreciated", inbound)
    assert not any(k.startswith("ml_deep.") for k in quiet.scores)
    drafts = engine.check("Thanks for the update on the road closure, much appreciated")
    assert any(k.startswith("ml_deep.") for k in drafts.scores)  # every draft is read
