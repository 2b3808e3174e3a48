"""Findings + policy + context -> Decision. Pure: no I/O, no clock, no state."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from warden.domain.context import CheckContext
from warden.domain.decision import Decision, Reason
from warden.domain.enums import AccountType, Direction, InboundAction, OutboundAction, action_rank
from warden.domain.findings import Finding
from warden.policy.loader import Policy
from warden.policy.schema import Condition, Rule

Action = OutboundAction | InboundAction


def _matches(category: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        if pattern == category or (pattern.endswith(".*") and category.startswith(pattern[:-1])):
            return True
    return False


def _selected(findings: Sequence[Finding], patterns: list[str], when: Condition) -> list[Finding]:
    return [
        f for f in findings
        if _matches(f.category, patterns) and f.severity >= when.min_severity and f.score >= when.min_score
    ]


def _near(a: Finding, b: Finding, distance: int) -> bool:
    gap = max(a.start, b.start) - min(a.end, b.end)
    return gap <= distance


def _evidence(findings: Sequence[Finding], when: Condition) -> list[Finding] | None:
    """The findings that make the condition true, or None when it is false."""
    if when.none and any(_matches(f.category, when.none) for f in findings):
        return None
    primary = _selected(findings, when.any, when)
    if not primary:
        return None
    supporting: list[Finding] = []
    for group in when.groups:
        others = [f for f in findings if _matches(f.category, group) and all(f is not p for p in primary)]
        if when.near is not None:
            distance = when.near
            primary = [p for p in primary if any(_near(p, o, distance) for o in others)]
            others = [o for o in others if any(_near(p, o, distance) for p in primary)]
        if not primary or not others:
            return None
        supporting += others
    unique = {id(f): f for f in primary + supporting}
    return sorted(unique.values(), key=lambda f: (f.start, f.end))


def _parse(direction: Direction, value: str) -> Action:
    return OutboundAction(value) if direction is Direction.OUTBOUND else InboundAction(value)


def _stricter(a: Action, b: Action) -> Action:
    return b if action_rank(b) > action_rank(a) else a


def _rule_action(rule: Rule, findings: Sequence[Finding], context: CheckContext, corporate_warn: str) -> Action:
    raw = rule.action if isinstance(rule.action, str) else rule.action.for_account(context.account_type)
    action = _parse(rule.direction, raw)
    for escalation in rule.escalate:
        triggered = (escalation.election_period and context.election_period) or (
            escalation.when_any and any(_matches(f.category, escalation.when_any) for f in findings))
        if triggered:
            action = _stricter(action, _parse(rule.direction, escalation.action))
    if (rule.direction is Direction.OUTBOUND and context.account_type is AccountType.CORPORATE
            and action is OutboundAction.WARN):
        action = _parse(rule.direction, corporate_warn)
    return action


def evaluate(
    findings: Sequence[Finding],
    policy: Policy,
    context: CheckContext,
    *,
    scores: Mapping[str, float] | None = None,
    detector_versions: Mapping[str, str] | None = None,
) -> Decision:
    """Apply every rule of the policy for the context's direction."""
    pack = policy.pack
    reasons: list[Reason] = []
    present = {f.category for f in findings}
    for rule, (exact, prefixes) in zip(pack.rules, policy.triggers, strict=True):
        if rule.direction is not context.direction:
            continue
        if exact.isdisjoint(present) and not any(p.startswith(prefixes) for p in present if prefixes):
            continue
        evidence = _evidence(findings, rule.when)
        if evidence is None:
            continue
        action = _rule_action(rule, findings, context, pack.settings.corporate_warn_becomes)
        reasons.append(Reason(
            rule_id=rule.id,
            category=rule.category_id,
            title=rule.title,
            action=action,
            categories=tuple(dict.fromkeys(f.category for f in evidence)),
            principles_2014=tuple(rule.principles_2014),
            principles_2024=tuple(rule.principles_2024),
            standards=tuple(rule.standards),
            why=rule.why.strip(),
            evidence=tuple(evidence),
            safer_alternative=rule.safer_alternative.strip(),
        ))
    reasons.sort(key=lambda r: -action_rank(r.action))
    weakest: Action = OutboundAction.ALLOW if context.direction is Direction.OUTBOUND else InboundAction.NONE
    final = reasons[0].action if reasons else weakest
    return Decision(
        direction=context.direction,
        action=final,
        reasons=tuple(reasons),
        findings=tuple(findings),
        scores=dict(scores or {}),
        policy_id=pack.id,
        policy_revision=policy.revision,
        detector_versions=dict(detector_versions or {}),
    )
