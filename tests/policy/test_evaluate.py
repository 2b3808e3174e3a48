from warden.domain.context import CheckContext
from warden.domain.enums import AccountType, Direction, InboundAction, OutboundAction
from warden.domain.findings import Finding
from warden.policy.evaluate import evaluate
from warden.policy.loader import parse

PACK = parse("""
id: eval-test
name: Evaluate test
version: "1"
rules:
  - id: SWEAR
    title: Swearing
    direction: outbound
    why: Swearing is unprofessional.
    when: {any: [lexicon.profanity]}
    action: {corporate: warn, neighbourhood: warn, personal_officer: warn}
  - id: NEAR
    category: R09
    title: Joke near a crash
    direction: outbound
    why: Trivialising a serious incident.
    when: {any: [lexicon.trivialising], also_any: [lexicon.serious_incident], near: 20}
    action: hold
  - id: SUBJ
    title: Sub judice
    direction: outbound
    why: Comment on guilt.
    when: {any: [lexicon.sub_judice], none: [lexicon.nok_informed]}
    action: hold
    escalate:
      - {when_any: [register.active_proceedings], action: block}
  - id: POL
    title: Politics
    direction: outbound
    why: Political content.
    when: {any: [lexicon.political]}
    action: hold
    escalate:
      - {election_period: true, action: block}
  - id: SEVERE
    title: Severe only
    direction: outbound
    why: Only severe entries.
    when: {any: ["pii.*"], min_severity: 3}
    action: block
  - id: THREAT
    category: threat
    title: Threat
    direction: inbound
    why: A threat to kill.
    when: {any: [lexicon.threat]}
    action: escalate_urgent
  - id: ABUSE
    title: Abuse
    direction: inbound
    why: Abuse of a person.
    when: {any: [lexicon.insult]}
    action: review
""")


def f(category: str, start: int = 0, end: int = 4, severity: int = 1) -> Finding:
    return Finding(detector="t", version="1", category=category, start=start, end=end, text="x" * (end - start),
                   score=1.0, explanation="test", severity=severity)


def ctx(**kwargs: object) -> CheckContext:
    return CheckContext(**kwargs)  # type: ignore[arg-type]


def test_nothing_found_allows() -> None:
    decision = evaluate((), PACK, ctx())
    assert decision.action is OutboundAction.ALLOW and decision.reasons == ()
    assert decision.policy_revision == PACK.revision


def test_corporate_warn_becomes_hold_personal_stays_warn() -> None:
    findings = (f("lexicon.profanity"),)
    assert evaluate(findings, PACK, ctx(account_type=AccountType.CORPORATE)).action is OutboundAction.HOLD
    assert evaluate(findings, PACK, ctx(account_type=AccountType.PERSONAL_OFFICER)).action is OutboundAction.WARN


def test_near_condition() -> None:
    close = (f("lexicon.trivialising", 0, 4), f("lexicon.serious_incident", 10, 15))
    far = (f("lexicon.trivialising", 0, 4), f("lexicon.serious_incident", 100, 105))
    decision = evaluate(close, PACK, ctx())
    assert decision.action is OutboundAction.HOLD and decision.categories == ["R09"]
    assert len(decision.reasons[0].evidence) == 2
    assert evaluate(far, PACK, ctx()).action is OutboundAction.ALLOW


def test_none_and_escalation() -> None:
    assert evaluate((f("lexicon.sub_judice"),), PACK, ctx()).action is OutboundAction.HOLD
    escalated = evaluate((f("lexicon.sub_judice"), f("register.active_proceedings", 10, 14)), PACK, ctx())
    assert escalated.action is OutboundAction.BLOCK
    assert evaluate((f("lexicon.sub_judice"), f("lexicon.nok_informed")), PACK, ctx()).reasons == ()


def test_election_period() -> None:
    findings = (f("lexicon.political"),)
    assert evaluate(findings, PACK, ctx()).action is OutboundAction.HOLD
    assert evaluate(findings, PACK, ctx(election_period=True)).action is OutboundAction.BLOCK


def test_wildcard_and_min_severity() -> None:
    assert evaluate((f("pii.uk_phone", severity=2),), PACK, ctx()).action is OutboundAction.ALLOW
    assert evaluate((f("pii.uk_phone", severity=3),), PACK, ctx()).action is OutboundAction.BLOCK


def test_direction_picks_rules_and_strictest_wins() -> None:
    findings = (f("lexicon.insult"), f("lexicon.threat", 5, 9), f("lexicon.profanity", 10, 12))
    decision = evaluate(findings, PACK, ctx(direction=Direction.INBOUND))
    assert decision.action is InboundAction.ESCALATE_URGENT
    assert decision.categories == ["threat", "ABUSE"]
    assert all(isinstance(r.action, InboundAction) for r in decision.reasons)


def test_evaluate_is_pure() -> None:
    findings = (f("lexicon.profanity"), f("lexicon.political", 5, 9))
    assert evaluate(findings, PACK, ctx()) == evaluate(findings, PACK, ctx())
