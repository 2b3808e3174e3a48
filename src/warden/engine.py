"""The risk engine: detectors, then policy. One object, built once, reused."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from warden.detectors.base import Detector, Scorer, TextItem
from warden.detectors.patterns import PolicyPatternDetector
from warden.detectors.pipeline import Pipeline
from warden.detectors.registry import create
from warden.domain.context import CheckContext, LinkLists, Registers
from warden.domain.decision import Decision
from warden.domain.errors import EmptyText, PolicyError, TextTooLong
from warden.policy.evaluate import evaluate
from warden.policy.loader import Policy, load

MAX_TEXT_CHARS = 65_536


def validate_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    if not isinstance(text, str):
        raise EmptyText(f"text must be a string, not {type(text).__name__}")
    if not text.strip():
        raise EmptyText("text is empty")
    if len(text) > limit:
        raise TextTooLong(f"text is {len(text)} characters; the limit is {limit}")
    return text


def _merge(a: tuple[str, ...], b: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*a, *b)))


class Engine:
    def __init__(self, policy: Policy | None = None, detectors: Sequence[Detector] | None = None,
                 max_chars: int = MAX_TEXT_CHARS) -> None:
        self.policy = policy or load(None)
        chosen = list(detectors) if detectors is not None else create(categories=self._named_categories())
        if self.policy.patterns:
            chosen.append(PolicyPatternDetector(self.policy.patterns, self.policy.revision))
        self.pipeline = Pipeline(chosen)
        self.max_chars = max_chars
        self._check_policy_categories(chosen)

    def _named_categories(self) -> list[str]:
        """Every category the pack's rules name (conditions and escalations)."""
        return [category for rule in self.policy.pack.rules for category in rule.named_categories]

    def _check_policy_categories(self, detectors: Sequence[Detector]) -> None:
        """A rule naming a category no detector produces would silently never
        fire; refuse the policy instead."""
        known: set[str] = set()
        for detector in detectors:
            known.update(detector.categories)
            if isinstance(detector, Scorer):
                known.update(detector.score_categories)
        for index, rule in enumerate(self.policy.pack.rules):
            for category in rule.named_categories:
                if category.endswith(".*"):
                    if not any(k.startswith(category[:-1]) for k in known):
                        raise PolicyError(f"invalid policy: rules[{index}] ({rule.id}) names {category!r}, "
                                          "which matches no detector's categories")
                elif category not in known:
                    raise PolicyError(f"invalid policy: rules[{index}] ({rule.id}) names unknown category "
                                      f"{category!r}{_missing_detector_hint(category, detectors)}")

    def context_for(self, context: CheckContext) -> CheckContext:
        """The caller's context with the pack's own registers and link lists added."""
        pack = self.policy.pack
        if not any((pack.registers.active_proceedings, pack.registers.anonymity, pack.registers.operations,
                    pack.links.allow, pack.links.deny)):
            return context
        registers = Registers(
            active_proceedings=_merge(context.registers.active_proceedings, pack.registers.active_proceedings),
            anonymity=_merge(context.registers.anonymity, pack.registers.anonymity),
            operations=_merge(context.registers.operations, pack.registers.operations),
        )
        links = LinkLists(allow=_merge(context.links.allow, pack.links.allow),
                          deny=_merge(context.links.deny, pack.links.deny))
        return replace(context, registers=registers, links=links)

    def check_batch(self, texts: Sequence[str], contexts: Sequence[CheckContext]) -> list[Decision]:
        """Check texts (each already validated) with their contexts."""
        items = [TextItem(t, self.context_for(c)) for t, c in zip(texts, contexts, strict=True)]
        detections = self.pipeline.run(items)
        versions = self.pipeline.versions
        return [
            evaluate(d.findings, self.policy, item.context, scores=d.scores, detector_versions=versions)
            for item, d in zip(items, detections, strict=True)
        ]

    def check(self, text: str, context: CheckContext | None = None) -> Decision:
        validate_text(text, self.max_chars)
        return self.check_batch([text], [context or CheckContext()])[0]


def _missing_detector_hint(category: str, detectors: Sequence[Detector]) -> str:
    """Why a category may be unknown: its detector is not installed here."""
    prefix = category.split(".", 1)[0]
    if "." not in category or any(d.name == prefix for d in detectors):
        return ""
    return (f" (no detector {prefix!r} is running: it is not a known detector, or its model or package is not "
            "installed here)")
