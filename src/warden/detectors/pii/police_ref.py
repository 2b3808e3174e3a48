"""Police reference numbers: crime, incident/log, CAD and custody numbers.

Either a recognisable force format ("42/123456/24": force code / serial /
year; "CR/12345/24"), or any reference-like number right after words that
name one ("crime ref", "CRN", "incident 1234 of 12/03", "log 456", "CAD 789",
"custody number"). "Op 12" and order numbers have neither.
"""

from __future__ import annotations

import re

from warden.detectors.base import TextItem
from warden.detectors.pii._common import emit
from warden.domain.findings import Finding

CATEGORY = "pii.police_reference"

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{0,6}"
_OF_DATE = (
    r"(?:[ ]{1,2}(?:of|dated|on)[ ]{1,2}(?:"
    r"[0-9]{1,2}[/.\-][0-9]{1,2}(?:[/.\-][0-9]{2,4})?"
    rf"|[0-9]{{1,2}}(?:st|nd|rd|th)?[ ]{{1,2}}{_MONTH}(?:[ ]{{1,2}}[0-9]{{2,4}})?"
    r"|today|yesterday|the[ ]{1,2}[0-9]{1,2}(?:st|nd|rd|th)?"
    r"))?"
)
_FORCE_FORMAT = re.compile(
    r"(?<![\w/\-.])"
    r"(?:(?P<force>[0-9]{2})/(?P<serial>[0-9]{5,8})/(?P<year>[0-9]{2})"
    r"|(?P<letters>cr|crn|cris|crime|cad|inc|log|cust|cus|occ|ref)[/\-](?P<serial2>[0-9]{3,9})[/\-](?P<year2>[0-9]{2}))"
    r"(?![\w/\-]|\.[0-9])",
    re.ASCII,
)
_CONTEXT_REF = re.compile(
    r"\b(?P<kind>crime[ ]{1,2}(?:ref(?:erence)?|report|number|no|num|#)|crn|cris|"
    r"police[ ]{1,2}(?:ref(?:erence)?|report|incident|log)|"
    r"incident(?:[ ]{1,2}(?:ref(?:erence)?|log|number|no|num|#))?|"
    r"log(?:[ ]{1,2}(?:ref(?:erence)?|number|no|num|#))?|"
    r"cad(?:[ ]{1,2}(?:ref(?:erence)?|number|no|num|#))?|"
    r"custody(?:[ ]{1,2}(?:record|ref(?:erence)?|number|no|num|#))?|"
    r"occurrence(?:[ ]{1,2}(?:ref(?:erence)?|number|no|num|#))?|"
    r"storm(?:[ ]{1,2}(?:ref(?:erence)?|number|no))?|"
    r"(?:reference|ref)(?:[ ]{1,2}(?:number|no|num))?)\b\.?"
    r"(?P<filler>(?:[ ]{0,2}(?:number|no\.?|num|ref|#|:|-|is|was|=)){0,3}[ ]{0,3})"
    r"(?P<ref>[a-z]{0,4}[/\-]?[0-9]{2,12}(?:[/\-][0-9a-z]{1,9}){0,3})" + _OF_DATE + r"(?![\w/\-]|[.,][0-9])",
    re.ASCII,
)
_POLICE_WORDS = re.compile(
    r"\b(?:police|crime|reported|report|officers?|pc|ps|dc|force|101|999|incident|witness|station|arrest|arrested)\b",
    re.ASCII,
)
_UNIT_AFTER = re.compile(
    r"\A[ ]{0,2}(?:hours?|hrs?|mins?|minutes?|miles?|km|kg|calories|kcal|steps|times|days|%)\b", re.ASCII
)
_HINT = re.compile(r"[0-9]{2}/[0-9]|cr|cad|log|incident|custody|ref|occurrence|storm|cris", re.ASCII)
_YEAR = re.compile(r"\A(?:19|20)[0-9]{2}\Z", re.ASCII)


class PoliceRefRecogniser:
    category = CATEGORY
    needs_digit = True

    def find(self, item: TextItem) -> list[Finding]:
        text = item.light.text
        if not _HINT.search(text):
            return []
        found: list[Finding] = []
        taken: list[tuple[int, int]] = []
        for m in _FORCE_FORMAT.finditer(text):
            if m.group("force"):
                why = (
                    f"police crime reference in force format: force {m.group('force')}, serial, year {m.group('year')}"
                )
            else:
                why = f"police reference in {m.group('letters').upper()}/serial/year format"
            taken.append(m.span())
            found.append(
                emit(item, m.start(), m.end(), category=CATEGORY, score=0.9, explanation=why, entry="police_ref")
            )
        for m in _CONTEXT_REF.finditer(text):
            start, end = m.span("ref")
            end = m.end()
            if any(a < end and start < b for a, b in taken):
                continue
            kind = m.group("kind").strip(". ")
            ref = m.group("ref")
            digits = sum(c.isdigit() for c in ref)
            if digits < 3 or _UNIT_AFTER.match(text, end):
                continue
            has_date = end > m.end("ref")
            if _YEAR.match(ref) and not has_date and not m.group("filler").strip():
                continue  # "the incident 2023 review"
            if kind.startswith(("ref", "reference")) and not _POLICE_WORDS.search(
                text, max(0, m.start() - 80), end + 40
            ):
                continue  # an order or booking reference
            found.append(
                emit(
                    item,
                    start,
                    end,
                    category=CATEGORY,
                    score=0.85,
                    explanation=f"police reference number after {kind!r}" + (" with its date" if has_date else ""),
                    entry="police_ref",
                )
            )
        return found


RECOGNISER = PoliceRefRecogniser()
