"""The outcome of a check: an action and every reason for it."""

from __future__ import annotations

from dataclasses import dataclass, field

from warden.domain.enums import Direction, InboundAction, OutboundAction
from warden.domain.findings import Finding


@dataclass(frozen=True, slots=True)
class Reason:
    """Why one policy rule fired, in the policy's own words."""

    rule_id: str
    category: str
    title: str
    action: OutboundAction | InboundAction
    categories: tuple[str, ...]
    principles_2014: tuple[str, ...]
    principles_2024: tuple[str, ...]
    standards: tuple[str, ...]
    why: str
    evidence: tuple[Finding, ...]
    safer_alternative: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule_id,
            "category": self.category,
            "title": self.title,
            "action": self.action.value,
            "categories": list(self.categories),
            "principles_2014": list(self.principles_2014),
            "principles_2024": list(self.principles_2024),
            "standards": list(self.standards),
            "why": self.why,
            "safer_alternative": self.safer_alternative,
            "evidence": [f.to_dict() for f in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class Decision:
    direction: Direction
    action: OutboundAction | InboundAction
    reasons: tuple[Reason, ...]
    findings: tuple[Finding, ...]
    scores: dict[str, float] = field(default_factory=dict)
    policy_id: str = ""
    policy_revision: str = ""
    detector_versions: dict[str, str] = field(default_factory=dict)

    @property
    def categories(self) -> list[str]:
        """Policy categories that fired, strictest first (stable across runs)."""
        return list(dict.fromkeys(r.category for r in self.reasons))

    def to_dict(self) -> dict[str, object]:
        return {
            "direction": self.direction.value,
            "action": self.action.value,
            "categories": self.categories,
            "reasons": [r.to_dict() for r in self.reasons],
            "findings": [f.to_dict() for f in self.findings],
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            "policy": self.policy_id,
            "policy_revision": self.policy_revision,
            "detector_versions": dict(self.detector_versions),
        }
