"""Dates of birth: a real calendar date, only in birth-date context.

A date on its own is a meeting, an incident or a court listing; it becomes
personal data when the text says it is someone's birth date ("DOB", "d.o.b",
"date of birth", "born on", "birthday is"), either just before it or, as in
"12/03/1985 (dob)", just after.
"""

from __future__ import annotations

import datetime as dt
import re

from warden.detectors.base import TextItem
from warden.detectors.pii._common import emit, original
from warden.domain.findings import Finding

CATEGORY = "pii.date_of_birth"

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"  # noqa: E501
_ORD = r"(?:st|nd|rd|th)?"

_DATE = (
    r"(?:"
    r"(?P<d1>[0-9]{1,2})[ ]{0,2}(?P<s1>[/.\-])[ ]{0,2}(?P<m1>[0-9]{1,2})"
    r"(?:[ ]{0,2}(?P=s1)[ ]{0,2}(?P<y1>[0-9]{4}|[0-9]{2}))?"
    r"|(?P<y2>(?:19|20)[0-9]{2})-(?P<m2>[0-9]{2})-(?P<d2>[0-9]{2})"
    rf"|(?P<d3>[0-9]{{1,2}}){_ORD}(?:[ ]{{1,2}}of)?[ \-]{{1,2}}(?P<m3>{_MONTH})"
    r"(?:,?[ \-]{1,2}(?P<y3>[0-9]{4}|'?[0-9]{2}))?"
    rf"|(?P<m4>{_MONTH})[ ]{{1,2}}(?:the[ ]{{1,2}})?(?P<d4>[0-9]{{1,2}}){_ORD},?(?:[ ]{{1,2}}(?P<y4>[0-9]{{4}}))?"
    r")(?![0-9a-z/])"
)
_CONTEXT = (
    r"\b(?:d\.o\.b\b\.?|dob\b|date[ ]of[ ]birth\b|birth[ ]?date\b|born\b(?:[ ]on\b)?|b(?:irth)?day\b(?:[ ]is\b)?)"
)
_FILLER = r"(?:[ ]{0,3}(?::|=|-|–|\(|is|was|on|of|the|my|his|her|their)){0,3}[ ]{0,3}"
_LEADING = re.compile(_CONTEXT + _FILLER + _DATE, re.ASCII)
_TRAILING = re.compile(
    r"(?<![0-9/.\-])"
    + _DATE.replace("(?P<", "(?P<t").replace("(?P=s1)", "(?P=ts1)")
    + r"[ ]{0,2}(?:[(\[][ ]{0,2}(?:dob|d\.o\.b\.?)[ ]{0,2}[)\]]"
    + r"|is[ ]{1,2}(?:my|his|her|their)[ ]{1,2}(?:birthday|date[ ]of[ ]birth|dob))",
    re.ASCII,
)
_HINT = re.compile(r"dob|d\.o\.b|birth|born|bday", re.ASCII)


def _year(raw: str | None) -> int | None:
    if raw is None:
        return None
    raw = raw.lstrip("'")
    year = int(raw)
    if len(raw) == 2:
        year += 2000 if year <= dt.date.today().year % 100 else 1900
    return year


def _valid(day: int, month: int, year: int | None) -> dt.date | None:
    today = dt.date.today()
    if year is not None and not 1900 <= year <= today.year:
        return None
    try:
        return dt.date(year if year is not None else 2000, month, day)  # 2000 is a leap year: 29 Feb passes
    except ValueError:
        return None


def _parse(m: re.Match[str], p: str = "") -> tuple[dt.date, bool] | None:
    """The date a match names and whether it has a year. Numeric dates are read
    the UK way (day first), falling back to month first."""
    g = m.groupdict()
    if g[p + "d1"] is not None:
        a, b, y = int(g[p + "d1"]), int(g[p + "m1"]), _year(g[p + "y1"])
        if y is None and g[p + "s1"] == ".":
            return None  # "12.30" is a time or a price, not a birthday
        date = _valid(a, b, y) or _valid(b, a, y)
    elif g[p + "d2"] is not None:
        y = int(g[p + "y2"])
        date = _valid(int(g[p + "d2"]), int(g[p + "m2"]), y)
    elif g[p + "d3"] is not None:
        y = _year(g[p + "y3"])
        date = _valid(int(g[p + "d3"]), _MONTHS[g[p + "m3"].rstrip(".")], y)
    else:
        y = _year(g[p + "y4"])
        date = _valid(int(g[p + "d4"]), _MONTHS[g[p + "m4"].rstrip(".")], y)
    return (date, y is not None) if date else None


class DateOfBirthRecogniser:
    category = CATEGORY
    needs_digit = True

    def find(self, item: TextItem) -> list[Finding]:
        text = item.light.text
        if not _HINT.search(text):
            return []
        found: list[Finding] = []
        for m in _LEADING.finditer(text):
            parsed = _parse(m)
            if parsed is None:
                continue
            start = min(m.start(n) for n in ("d1", "y2", "d3", "m4") if m.start(n) >= 0)
            found.append(
                self._finding(item, start, m.end(), parsed, f"after {original(item, m.start(), start).strip()!r}")
            )
        for m in _TRAILING.finditer(text):
            parsed = _parse(m, "t")
            if parsed is None:
                continue
            end = max(m.end(n) for n in ("td1", "tm1", "ty1", "td2", "ty3", "tm3", "td4", "ty4") if m.end(n) >= 0)
            found.append(self._finding(item, m.start(), end, parsed, "followed by a birth-date label"))
        return found

    def _finding(self, item: TextItem, start: int, end: int, parsed: tuple[dt.date, bool], where: str) -> Finding:
        date, has_year = parsed
        shown = date.isoformat() if has_year else date.strftime("%d %B")
        return emit(
            item,
            start,
            end,
            category=CATEGORY,
            score=0.9 if has_year else 0.8,
            explanation=f"date of birth {where}: valid calendar date {shown}",
            entry="date_of_birth",
        )


RECOGNISER = DateOfBirthRecogniser()
