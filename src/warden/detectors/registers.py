"""Context registers: people in active proceedings, people with anonymity,
live operation names. The text alone cannot reveal these; the organisation
keeps the lists and a draft that names them is held or blocked."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from warden.detectors.base import TextItem
from warden.detectors.lexicon.matcher import PhraseMatcher
from warden.detectors.registry import register
from warden.domain.context import Registers
from warden.domain.findings import Finding

VERSION = "1.0.0"

_LABELS = {
    "register.active_proceedings": "is in active proceedings (case register)",
    "register.anonymity": "has anonymity (case register)",
    "register.operation": "is a live operation name (operations register)",
}


def _variants(category: str, entry: str) -> list[str]:
    """Each register line may hold aliases separated by '|'. Operations are
    also matched as "Op X", "Operation X" and "#OpX"."""
    names = [n.strip() for n in entry.split("|") if n.strip()]
    if category != "register.operation":
        # "J o B l o g g s" normalises to "jobloggs": match the joined form too.
        return names + [n.replace(" ", "") for n in names if " " in n]
    out: list[str] = []
    for name in names:
        bare = name.removeprefix("Operation ").removeprefix("Op ").strip()
        out += [bare, f"op {bare}", f"operation {bare}", f"op{bare.replace(' ', '')}"]
    return out


@lru_cache(maxsize=256)
def _matcher(registers: Registers) -> PhraseMatcher[tuple[str, str]]:
    terms: list[tuple[str, tuple[str, str]]] = []
    for category, entries in (
        ("register.active_proceedings", registers.active_proceedings),
        ("register.anonymity", registers.anonymity),
        ("register.operation", registers.operations),
    ):
        for entry in entries:
            canonical = entry.split("|")[0].strip()
            terms += [(variant, (category, canonical)) for variant in _variants(category, entry)]
    return PhraseMatcher(terms)


@register("registers")
class RegisterDetector:
    name = "registers"
    version = VERSION
    categories = tuple(_LABELS)

    def detect(self, batch: Sequence[TextItem]) -> list[list[Finding]]:
        out: list[list[Finding]] = []
        for item in batch:
            registers = item.context.registers
            if registers.is_empty():
                out.append([])
                continue
            matcher = _matcher(registers)
            found: list[Finding] = []
            for form in item.full_forms:
                for start, end, (category, canonical) in matcher.find(form.text):
                    found.append(item.finding(
                        form, start, end, detector=self.name, version=self.version, category=category,
                        score=1.0, severity=3, entry=canonical,
                        explanation=f"{canonical!r} {_LABELS[category]}"))
            out.append(found)
        return out
