"""A stored or fresh Decision, shaped for the page: each reason numbered, in the
policy's own words (principles, standards by name, why, safer alternative), and
the text cut into highlighted pieces that point at those numbers.

The "why" on a page is always a read of a decision (stored for drafts and
messages, fresh for the live check), never a re-run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from warden.domain.findings import pinpointing
from warden.web.console.highlight import Piece, pieces

ACTION_LABELS: Mapping[str, str] = {
    # outbound
    "allow": "No concerns", "warn": "Warning", "hold": "Needs approval", "block": "Blocked",
    # inbound
    "none": "No action", "redirect": "Redirect reply", "review": "Review", "hide": "Hide",
    "hide_and_escalate": "Hide and escalate", "escalate_urgent": "Urgent",
}
#: CSS tone per action (colour is never the only signal: the label is always written).
ACTION_TONES: Mapping[str, str] = {
    "allow": "ok", "warn": "warn", "hold": "hold", "block": "bad",
    "none": "ok", "redirect": "info", "review": "warn", "hide": "hold", "hide_and_escalate": "bad",
    "escalate_urgent": "bad",
}
#: Inbound decisions whose text is blurred until the viewer chooses to read it.
SENSITIVE_INBOUND = frozenset({"review", "hide", "hide_and_escalate", "escalate_urgent"})


@dataclass(frozen=True)
class Standard:
    code: str
    name: str


@dataclass(frozen=True)
class ReasonView:
    number: int
    rule: str
    title: str
    action: str
    principles_2014: tuple[str, ...]
    principles_2024: tuple[str, ...]
    standards: tuple[Standard, ...]
    why: str
    safer_alternative: str
    evidence: tuple[str, ...]

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def tone(self) -> str:
        return ACTION_TONES.get(self.action, "info")


@dataclass(frozen=True)
class Explained:
    action: str
    reasons: tuple[ReasonView, ...]
    pieces: tuple[Piece, ...]
    categories: tuple[str, ...]

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def tone(self) -> str:
        return ACTION_TONES.get(self.action, "info")

    @property
    def sensitive(self) -> bool:
        return self.action in SENSITIVE_INBOUND


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def explain(text: str, action: str, reasons: Sequence[Mapping[str, Any]],
            standards: Mapping[str, str]) -> Explained:
    """``reasons`` as stored (``Reason.to_dict``); ``standards`` maps codes to names (the policy pack's)."""
    views: list[ReasonView] = []
    spans: list[tuple[int, int, int]] = []
    for number, reason in enumerate(reasons, start=1):
        evidence = [e for e in reason.get("evidence") or [] if isinstance(e, Mapping)]
        spans.extend((_int(e.get("start")), _int(e.get("end")), number) for e in evidence)
        views.append(ReasonView(
            number=number, rule=str(reason.get("rule", "")), title=str(reason.get("title", "")),
            action=str(reason.get("action", "")), principles_2014=_strings(reason.get("principles_2014")),
            principles_2024=_strings(reason.get("principles_2024")),
            standards=tuple(Standard(code, standards.get(code, "")) for code in _strings(reason.get("standards"))),
            why=str(reason.get("why", "")).strip(), safer_alternative=str(reason.get("safer_alternative", "")).strip(),
            evidence=tuple(dict.fromkeys(str(e.get("text", "")) for e in evidence if e.get("text")))))
    categories = tuple(dict.fromkeys(str(r.get("category", "")) for r in reasons if r.get("category")))
    return Explained(action=action, reasons=tuple(views), pieces=tuple(pieces(text, pinpointing(spans, text))),
                     categories=categories)


def plain(text: str) -> Explained:
    """Text with no decision (nothing highlighted)."""
    return Explained(action="", reasons=(), pieces=tuple(pieces(text, [])), categories=())
