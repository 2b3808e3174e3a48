"""UK vehicle registration marks, per the DVLA formats.

* current (2001-): two memory-tag letters, a two-digit age identifier (March
  series 02, 03...; September series 51, 52...), three random letters: AB12 CDE;
* prefix (1983-2001): year letter, 1-3 digits, three letters: A123 BCD;
* suffix (1963-1983): three letters, 1-3 digits, year letter: ABC 123D;
* dateless: 1-3 letters and 1-4 digits either way round (AB 1234, 1234 AB);
  so much else looks like this (roads: A171, M25; models: X5) that it counts
  only right after "reg", "registration", "plate" or a word for a vehicle.

Lower-case marks count when written in the current format or in a vehicle
context; older formats outside a vehicle context must be written in capitals.
"""

from __future__ import annotations

import datetime as dt
import re

from warden.detectors.base import TextItem
from warden.detectors.pii._common import emit, original, words
from warden.domain.findings import Finding

CATEGORY = "pii.uk_vehicle_reg"

_REG = re.compile(
    r"(?<![a-z0-9/\-_@#])(?:"
    r"(?P<c_tag>[a-z]{2})(?P<c_age>[0-9]{2})[ ]{0,2}(?P<c_rand>[a-z]{3})"
    r"|(?P<p_year>[a-z])(?P<p_num>[1-9][0-9]{0,2})(?P<p_gap>[ ]{0,2})(?P<p_rand>[a-z]{3})"
    r"|(?P<s_rand>[a-z]{3})(?P<s_gap>[ ]{0,2})(?P<s_num>[1-9][0-9]{0,2})(?P<s_gap2>[ ]{0,2})(?P<s_year>[a-z])"
    r")(?![a-z0-9/\-_])",
    re.ASCII,
)
_DATELESS = re.compile(
    r"(?<![a-z0-9/\-.,£$:_@#])(?:"
    r"(?P<letters>[a-z]{1,3})[ ]{0,2}(?P<num>[1-9][0-9]{0,3})"
    r"|(?P<num2>[1-9][0-9]{0,3})[ ]{0,2}(?P<letters2>[a-z]{1,3})"
    r")(?![a-z0-9/\-_]|[.,:][0-9])",
    re.ASCII,
)
_STRONG_CONTEXT = re.compile(
    r"\b(?:regs?|reg\.|registrations?|registered|vrm|vrn|plates?|numberplates?|private[ ]plate|index)\b", re.ASCII
)
_VEHICLE_CONTEXT = re.compile(
    r"\b(?:cars?|vans?|vehicles?|motorbikes?|motorcycles?|mopeds?|lorry|lorries|hgv|trucks?|taxis?|suv|"
    r"hatchback|saloon|pickup|ford|vauxhall|bmw|audi|mercedes|merc|vw|volkswagen|toyota|nissan|honda|peugeot|"
    r"renault|kia|hyundai|fiat|skoda|land[ ]rover|range[ ]rover|jaguar|volvo|citroen|mazda|tesla|porsche|lexus|"
    r"suzuki|mitsubishi|subaru|dacia|transit|corsa|fiesta|focus|golf|polo|astra|qashqai|clio|yaris)\b",
    re.ASCII,
)

_TODAY = dt.date.today()
_LAST = _TODAY.year % 100 + 1  # allow next year's plates, which dealers advertise early
_AGES = frozenset(f"{y:02d}" for y in range(2, _LAST + 1)) | frozenset(f"{y + 50:02d}" for y in range(1, _LAST + 1))
_TAG_FIRST = frozenset("abcdefghklmnoprsvwxy")
_TAG_SECOND = frozenset("abcdefghjklmnoprstuvwxy")
_YEAR_LETTERS = frozenset("abcdefghjklmnprstvwxy")
_NO_IQ = frozenset("iq")

# Words that fit the older letter patterns but are words.
_WORDS3 = words(
    """the and for are but not you all any can had her was one our out day get has him his how man new now old
    see two way who boy did its let put say she too use via per mph kph kmh km pro max min gps cup led ltd plc
    bus jct jan feb mar apr may jun jul aug sep oct nov dec mon tue wed thu fri sat sun top off win won
    age yrs hrs fan fee got hit lot men met pay run set sit ten six yet amp app cat dog box bit big god end
    far few fun bad war law act air art car van ago via ive ill ifs etc vat tax reg vrm"""
)
_WORDS2 = words("an as at be by do go he hi if in is it me my no of oh ok on or so to up us we am pm")
_WORDS_DATELESS = (
    _WORDS2
    | _WORDS3
    | (words("a i x reg vrm vrn no nr num ref rd st ave am pm th nd rd st k m km mi kg lb lbs yr yo x v vs"))
)
_ROAD_LETTERS = frozenset("abm")


def _near(pattern: re.Pattern[str], text: str, start: int, end: int, span: int = 45) -> bool:
    return pattern.search(text, max(0, start - span), min(len(text), end + span)) is not None


def _case_counts(text: str) -> tuple[int, int]:
    """(letters, capitals) in the original text."""
    return sum(c.isalpha() for c in text), sum(c.isupper() for c in text)


def _capitals(item: TextItem, start: int, end: int, counts: tuple[int, int]) -> bool:
    """The mark is written in capitals in a text that is not all shouting."""
    shown = original(item, start, end)
    if not any(c.isalpha() for c in shown) or shown != shown.upper():
        return False
    mark = sum(c.isalpha() for c in shown)
    letters, upper = counts[0] - mark, counts[1] - mark
    return letters == 0 or upper < 0.6 * letters


class VehicleRegRecogniser:
    category = CATEGORY
    needs_digit = True

    def find(self, item: TextItem) -> list[Finding]:
        text = item.light.text
        found: list[Finding] = []
        taken: list[tuple[int, int]] = []
        counts: tuple[int, int] | None = None
        for m in _REG.finditer(text):
            if counts is None:
                counts = _case_counts(item.text)
            checked = self._check(item, text, m, counts)
            if checked is None:
                continue
            why, score = checked
            taken.append(m.span())
            found.append(
                emit(item, m.start(), m.end(), category=CATEGORY, score=score, explanation=why, entry="uk_vehicle_reg")
            )
        if _STRONG_CONTEXT.search(text) or _VEHICLE_CONTEXT.search(text):
            for m in _DATELESS.finditer(text):
                if any(a < m.end() and m.start() < b for a, b in taken):
                    continue
                reason = self._dateless(text, m)
                if reason is not None:
                    found.append(
                        emit(
                            item,
                            m.start(),
                            m.end(),
                            category=CATEGORY,
                            score=0.75,
                            explanation=reason,
                            entry="uk_vehicle_reg",
                        )
                    )
        return found

    def _check(self, item: TextItem, text: str, m: re.Match[str], counts: tuple[int, int]) -> tuple[str, float] | None:
        start, end = m.span()
        strong = _near(_STRONG_CONTEXT, text, start, end)
        context = strong or _near(_VEHICLE_CONTEXT, text, start, end)
        capitals = _capitals(item, start, end, counts)
        if m.group("c_tag"):
            tag, age, rand = m.group("c_tag"), m.group("c_age"), m.group("c_rand")
            if tag[0] not in _TAG_FIRST or tag[1] not in _TAG_SECOND or age not in _AGES or _NO_IQ & set(rand):
                return None
            if rand in _WORDS3 or (not (capitals or context) and tag in _WORDS2):
                return None
            series = "March" if int(age) < 50 else "September"
            year = 2000 + (int(age) if int(age) < 50 else int(age) - 50)
            return (
                f"vehicle registration, current DVLA format: memory tag {tag.upper()}, "
                f"age identifier {age} ({series} {year}), random letters {rand.upper()}",
                0.9 if capitals or context else 0.8,
            )
        if m.group("p_year"):
            letter, rand, fmt = m.group("p_year"), m.group("p_rand"), "prefix (1983-2001)"
            usual = m.group("p_gap") == " "  # A123 BCD
        else:
            letter, rand, fmt = m.group("s_year"), m.group("s_rand"), "suffix (1963-1983)"
            usual = m.group("s_gap") == " " and not m.group("s_gap2")  # ABC 123D
        if letter not in _YEAR_LETTERS or _NO_IQ & set(rand) or rand in _WORDS3:
            return None
        if not context:
            if not (capitals and usual):
                return None
            if text[max(0, start - 4) : start] == "the ":
                return None
        where = "in a vehicle context" if context else "written in capitals"
        return f"vehicle registration, DVLA {fmt} format, year letter {letter.upper()}, {where}", 0.8

    def _dateless(self, text: str, m: re.Match[str]) -> str | None:
        start, end = m.span()
        letters = m.group("letters") or m.group("letters2") or ""
        digits = m.group("num") or m.group("num2") or ""
        if letters in _WORDS_DATELESS or _NO_IQ & set(letters):
            return None
        if m.group("letters2") and len(letters) < 2:
            return None  # "3 d", "2 x"
        if _near(_STRONG_CONTEXT, text, start, end, 30):
            if len(letters) == 1 and letters in _ROAD_LETTERS and text[max(0, start - 4) : start] == "the ":
                return None
            return "vehicle registration, DVLA dateless format, after 'reg'/'registration'/'plate'"
        if not _near(_VEHICLE_CONTEXT, text, start, end, 30):
            return None
        if not m.group("letters") or len(letters) < 2 or len(digits) < 3:
            return None  # models (X5, A4, GT 86) and roads (M25) live here
        if len(digits) == 4 and digits[:2] in ("19", "20"):
            return None  # a model year
        if text[max(0, start - 4) : start] == "the ":
            return None
        return "vehicle registration, DVLA dateless format, next to a word for a vehicle"


RECOGNISER = VehicleRegRecogniser()
