"""Shape patterns that lexicons cannot express: named people, ages,
statistics and their sources, and an organisation's own patterns.

Every regular expression here uses bounded quantifiers; the organisation's
own patterns run on RE2, which is linear-time by construction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from warden.detectors.base import TextItem
from warden.detectors.normalise import Normalised
from warden.detectors.registry import register
from warden.domain.findings import Finding

VERSION = "1.0.0"

# Capitalised words that start sentences or name places, ranks and
# institutions far more often than people.
_NOT_NAMES = frozenset("""
a an and are as at be but by can did do does for from get go had has have he her here his how i if in is it its
just let lol me my no not now of off oh ok on one or our out she so some than thank thanks that the their them then
there these they this those to today tonight tomorrow us was we well were what when where which who why will with
yes yesterday you your good great happy hello hi huge massive please sorry big new old last next first second
police officers officer force constabulary team teams unit units station court crown magistrates magistrate
crimestoppers pc pcs pcso pcsos dc ds di dci dsupt supt superintendent inspector sergeant sgt chief constable
detective commissioner mayor council borough city county town village road rd street st lane ln avenue ave close
drive way park square hill green gardens place court centre center hospital school college university church
north south east west northern southern eastern western central upper lower greater high new royal national
uk british english scottish welsh irish england scotland wales ireland britain london manchester leeds york
yorkshire lancashire kent essex surrey sussex devon cornwall
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december christmas easter halloween bank holiday
operation op crime crimes arrest arrested charged appeal wanted cctv update news breaking
ford vauxhall audi bmw toyota nissan honda volkswagen vw mercedes peugeot renault citroen kia hyundai skoda seat
fiat mini land range rover volvo mazda tesla jaguar lexus suzuki mitsubishi subaru porsche dacia transit corsa
focus fiesta astra golf polo
""".split())

_NAME = re.compile(r"(?<![\w@#])(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s)?[A-Z][a-z]{1,20}(?:[-'’][A-Z]?[a-z]{1,20})?"
                   r"(?:\s[A-Z][a-z]{1,20}(?:[-'’][A-Z]?[a-z]{1,20})?){1,2}(?![\w@])")
_TITLE = re.compile(r"^(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s")
_AGE_AFTER_NAME = re.compile(r"(?:,\s?|\s\(|,\s?aged\s)(\d{1,2})(?:\)|,|\.|\s|$)")
# "Amy, 7, meets PC Smith": a single first name with an age.
_FIRST_NAME_AGE = re.compile(r"(?<![\w@#])([A-Z][a-z]{1,20}),\s?(\d{1,2}),")
_SCHOOL = re.compile(r"(?<![\w@#])(?:St\.?\s)?(?:[A-Z][a-z'’]{1,20}\s){1,4}"
                     r"(?:Primary|Secondary|High|Grammar|Academy|School|College|Infants|Juniors|Junior School)\b")
_STREET = re.compile(r"(?<![\w@#])(?:[A-Z][a-z'’]{1,20}\s){1,3}(?:Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|"
                     r"Crescent|Drive|Dr|Way|Gardens|Terrace|Grove|Place|Court|Mews|Row|Walk|Square|Hill|Parade|"
                     r"View|Rise|Vale)\b(?!\s(?:Station|School|Academy|Primary|Surgery|Hospital|Police))")
_CHILD_AGE = re.compile(r"\b(\d{1,2})\s?(?:-\s?)?(?:yr|year)s?\s?-?\s?old\b|\baged\s(\d{1,2})\b", re.IGNORECASE)
# Statistics are read from the light form (already lower case).
_STATISTIC = re.compile(
    r"\b(?:down|up|fell|fallen|rose|risen|dropped|cut|reduced|increased|decreased|slashed|drop|rise|fall)"
    r"\s(?:by\s)?(?:over\s|almost\s|nearly\s)?\d{1,3}(?:\.\d{1,2})?\s?(?:%|per\s?cent)"
    r"|\b\d{1,3}(?:\.\d{1,2})?\s?(?:%|per\s?cent)\s(?:fall|drop|rise|increase|reduction|decrease|cut)\b")
_STATISTIC_WORDS = re.compile(r"\b(?:halved|doubled|trebled|tripled)\b")
_SCHOOL_WORDS = re.compile(r"primary|secondary|high|grammar|academy|school|college|infants|juniors")
_DIGIT = re.compile(r"\d")
_SOURCE = re.compile(r"\b(?:source[sd]?:|according\sto|figures\s(?:from|published)|data\s(?:from|published)|"
                     r"\bons\b|office\sfor\snational\sstatistics|home\soffice\sfigures|official\sfigures|"
                     r"published\s(?:data|figures)|see\s(?:the\s)?(?:link|report))")


def _is_name(candidate: str) -> bool:
    words = _TITLE.sub("", candidate).split()
    return bool(_TITLE.match(candidate)) or all(w.lower().strip("'’") not in _NOT_NAMES for w in words)


@register("patterns")
class PatternDetector:
    name = "patterns"
    version = VERSION
    categories = ("pattern.person_name", "pattern.named_person_age", "pattern.named_child", "pattern.child_age",
                  "pattern.school_name", "pattern.street_name", "pattern.statistic", "pattern.source_cited")

    def detect(self, batch: Sequence[TextItem]) -> list[list[Finding]]:
        return [self._one(item) for item in batch]

    def _finding(self, item: TextItem, form: Normalised, start: int, end: int, category: str,
                 explanation: str, severity: int = 2) -> Finding:
        return item.finding(form, start, end, detector=self.name, version=self.version, category=category,
                            score=1.0, severity=severity, explanation=explanation)

    def _one(self, item: TextItem) -> list[Finding]:
        out: list[Finding] = []
        # Names need capitals, so they are read from the original text with
        # only invisible characters removed (spans stay exact).
        original = Normalised(item.text)
        text = item.text
        named_ages: list[tuple[int, int]] = []
        for match in _NAME.finditer(text):
            candidate = match.group(0)
            if not _is_name(candidate):
                continue
            out.append(self._finding(item, original, match.start(), match.end(), "pattern.person_name",
                                     f"{candidate!r} reads as a person's name", severity=1))
            age = _AGE_AFTER_NAME.match(text, match.end())
            if age:
                years = int(age.group(1))
                close = age.end(1) + (1 if text[age.end(1):age.end(1) + 1] == ")" else 0)
                category = "pattern.named_child" if years < 18 else "pattern.named_person_age"
                named_ages.append((match.start(), close))
                out.append(self._finding(item, original, match.start(), close, category,
                                         f"names a person with their age ({candidate}, {years}): the usual "
                                         "shape of naming an arrested person, victim or witness"))
        has_digit = _DIGIT.search(text) is not None
        lowered = item.light.text
        for match in _FIRST_NAME_AGE.finditer(text) if has_digit else ():
            if match.group(1).lower() in _NOT_NAMES or any(a <= match.start() < b for a, b in named_ages):
                continue
            years = int(match.group(2))
            category = "pattern.named_child" if years < 18 else "pattern.named_person_age"
            out.append(self._finding(item, original, match.start(), match.end() - 1, category,
                                     f"names a person with their age ({match.group(1)}, {years})"))
        for match in _STREET.finditer(text):
            out.append(self._finding(item, original, match.start(), match.end(), "pattern.street_name",
                                     f"names a street ({match.group(0)})", severity=1))
        for match in _SCHOOL.finditer(text) if _SCHOOL_WORDS.search(lowered) else ():
            out.append(self._finding(item, original, match.start(), match.end(), "pattern.school_name",
                                     f"names a school ({match.group(0)})", severity=1))
        form = item.light
        if has_digit or "aged" in lowered:
            for match in _CHILD_AGE.finditer(lowered):
                years = int(match.group(1) or match.group(2))
                if years < 18:
                    out.append(self._finding(item, form, match.start(), match.end(), "pattern.child_age",
                                             f"describes a child aged {years}"))
        statistics = [*(_STATISTIC.finditer(lowered) if has_digit else ()), *_STATISTIC_WORDS.finditer(lowered)]
        for match in statistics:
            out.append(self._finding(item, form, match.start(), match.end(), "pattern.statistic",
                                     "a statistical claim", severity=1))
        # A source only matters where there is a claim to source.
        for match in _SOURCE.finditer(lowered) if statistics else ():
            out.append(self._finding(item, form, match.start(), match.end(), "pattern.source_cited",
                                     "cites a source", severity=1))
        return out


class PolicyPatternDetector:
    """The organisation's own patterns from its policy pack (RE2, linear time)."""

    name = "policy_patterns"

    def __init__(self, patterns: Sequence[tuple[str, str, int, str, Any]], revision: str) -> None:
        self.patterns = tuple(patterns)
        self.version = f"1.0.0+{revision}"
        self.categories = tuple(sorted({p[1] for p in self.patterns}))

    def detect(self, batch: Sequence[TextItem]) -> list[list[Finding]]:
        out: list[list[Finding]] = []
        for item in batch:
            found: list[Finding] = []
            form = item.light
            for name, category, severity, explanation, compiled in self.patterns:
                for match in compiled.finditer(form.text):
                    if match.end() > match.start():
                        found.append(item.finding(form, match.start(), match.end(), detector=self.name,
                                                  version=self.version, category=category, score=1.0,
                                                  severity=severity, entry=name, explanation=explanation))
            out.append(found)
        return out
