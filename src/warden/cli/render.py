"""Decisions printed for people: the action, each reason in the policy's
words, and the evidence highlighted in the original text."""

from __future__ import annotations

from warden.domain.decision import Decision, Reason
from warden.domain.findings import pinpointing

_BOLD = "\x1b[1m"
_MARK = "\x1b[1;4;31m"
_RESET = "\x1b[0m"
_ACTION_COLOURS = {"block": "\x1b[1;41;97m", "hold": "\x1b[1;43;30m", "warn": "\x1b[1;33m",
                   "allow": "\x1b[1;32m", "escalate_urgent": "\x1b[1;41;97m", "hide_and_escalate": "\x1b[1;41;97m",
                   "hide": "\x1b[1;43;30m", "review": "\x1b[1;33m", "redirect": "\x1b[1;36m", "none": "\x1b[1;32m"}


def _printable(text: str) -> str:
    """Hostile text must not drive the terminal: control characters are shown
    escaped, never emitted."""
    return "".join(c if c.isprintable() or c == " " else f"\\u{ord(c):04x}" for c in text)


def highlight(text: str, spans: list[tuple[int, int]], colour: bool) -> str:
    """The text with each span marked; overlapping spans are merged."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, last = [], 0
    open_mark, close_mark = (_MARK, _RESET) if colour else ("[[", "]]")
    for start, end in merged:
        out += [_printable(text[last:start]), open_mark, _printable(text[start:end]), close_mark]
        last = end
    out.append(_printable(text[last:]))
    return "".join(out)


def _reason(reason: Reason, colour: bool) -> list[str]:
    bold, reset = (_BOLD, _RESET) if colour else ("", "")
    lines = [f"  {bold}{reason.category:<8}{reason.title}{reset}  -> {reason.action.value}"]
    tags = []
    if reason.principles_2014:
        tags.append("2014: " + ", ".join(reason.principles_2014))
    if reason.principles_2024:
        tags.append("2024: " + ", ".join(reason.principles_2024))
    if reason.standards:
        tags.append("standards: " + ", ".join(reason.standards))
    if tags:
        lines.append("          " + " | ".join(tags))
    lines.append(f"          why: {reason.why}")
    for finding in reason.evidence:
        lines.append(f'          evidence: "{_printable(finding.text)}" [{finding.start}:{finding.end}] '
                     f"{finding.category}: {_printable(finding.explanation)}")
    if reason.safer_alternative:
        lines.append(f"          safer: {reason.safer_alternative}")
    return lines


def render(text: str, decision: Decision, account_type: str, colour: bool = False) -> str:
    action = decision.action.value
    head = f"{_ACTION_COLOURS.get(action, '')}{action.upper()}{_RESET}" if colour else action.upper()
    lines = [f"{head}  ({decision.direction.value}, {account_type} account; policy {decision.policy_id} "
             f"revision {decision.policy_revision})"]
    spans = pinpointing([(f.start, f.end) for r in decision.reasons for f in r.evidence], text)
    lines.append("  " + highlight(text, spans, colour))
    if not decision.reasons:
        lines.append("  no policy rule applies")
    for reason in decision.reasons:
        lines += _reason(reason, colour)
    if decision.scores:
        lines.append("  scores: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(decision.scores.items())))
    lines.append("  detectors: " + ", ".join(f"{k} {v}" for k, v in sorted(decision.detector_versions.items())))
    return "\n".join(lines)
