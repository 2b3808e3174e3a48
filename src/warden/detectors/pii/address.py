"""Street addresses: a house number (or "Flat 3,") then a street name and a
street suffix ("12 Baker Street", "Flat 2b, 7 Elm Grove", "4 The Crescent").

Counting things is the trap: "2 hours down the road", "a 10 minute walk". Name
words that are function words or units of measure reject a candidate; the
weaker suffixes (Way, Walk, Hill, Park, St...) also need the street name
written with capitals in the original text.
"""

from __future__ import annotations

import re

from warden.detectors.base import TextItem
from warden.detectors.pii._common import emit, original, words
from warden.domain.findings import Finding

CATEGORY = "pii.street_address"

STRONG_SUFFIXES = (
    "road", "rd", "street", "avenue", "ave", "lane", "close", "crescent", "cres", "drive", "gardens", "gdns",
    "terrace", "terr", "grove", "place", "court", "mews", "square", "boulevard", "parade", "st",
)  # fmt: skip
WEAK_SUFFIXES = (
    "dr", "way", "walk", "hill", "view", "green", "park", "row", "rise", "gate", "vale", "wharf", "yard",
    "ln", "pl", "ct", "sq", "ave", "wynd", "brae", "chase", "croft", "fold", "side", "end",
)  # fmt: skip
_STRONG = frozenset(STRONG_SUFFIXES)
_SUFFIX = "|".join(sorted(set(STRONG_SUFFIXES) | set(WEAK_SUFFIXES), key=len, reverse=True))

_FLAT = r"(?P<flat>(?:flat|apartment|apt|unit)\.?[ ]{1,2}(?:no\.?[ ]{0,2})?[0-9]{1,4}[a-z]?)[ ]{0,2}[,.]?[ ]{1,2}"
_NUMBER = r"(?P<number>[0-9]{1,4}[a-z]?(?:[ ]?[\-–][ ]?[0-9]{1,4}[a-z]?)?)[ ]{0,2},?[ ]{1,2}"
_ADDRESS = re.compile(
    r"(?<![\w/£$€:.,\-])"
    r"(?=flat|apartment|apt|unit|[0-9])"
    rf"(?:{_FLAT})?(?:{_NUMBER})?"
    r"(?P<name>(?:[a-z][a-z'’.\-]{0,24}[ ]{1,2}){1,3})"
    rf"(?P<suffix>{_SUFFIX})\b\.?",
    re.ASCII,
)
_HINT = re.compile(rf"\b(?:{_SUFFIX})\b", re.ASCII)

# Words that are not street names: function words, quantities, units.
_NOT_NAMES = words(
    """a an and or but nor of in on at to from for with by up down off over into onto along across near past
    around round behind through via towards toward my your his her our their its this that these those me us
    them you we they he she it i is are was were be been being am has have had do does did will would can
    could should may might must than then so very really just only about more less most least few many much
    some any all each every no not other others another same different whole half extra
    second seconds sec secs min mins minute minutes hr hrs hour hours day days week weeks wk wks month months
    year years yr yrs yo decade decades time times mile miles mi km kms metre metres meter meters yard yards
    foot feet ft inch inches mph kph lap laps goal goals point points nil people person persons men women
    kids children officers officer cops cars car vehicles vehicle vans van lorries buses bus bikes bike
    houses house homes home doors door floors floor storey storeys story stories bed beds bedroom bedrooms
    lane lanes way ways road roads street streets items times tickets arrests arrested calls reports
    incidents crimes old new year-old"""
)
_NOT_NAMES = _NOT_NAMES - {"new", "old"}  # "New Road", "Old Lane" are real


class AddressRecogniser:
    category = CATEGORY
    needs_digit = True

    def find(self, item: TextItem) -> list[Finding]:
        text = item.light.text
        if not _HINT.search(text):
            return []
        found: list[Finding] = []
        pos = 0
        while True:
            m = _ADDRESS.search(text, pos)
            if m is None:
                break
            why = self._check(item, m)
            if why is None:
                pos = m.start() + 1
                continue
            found.append(
                emit(
                    item,
                    m.start(),
                    m.end(),
                    category=CATEGORY,
                    score=0.85 if m.group("suffix") in _STRONG else 0.75,
                    explanation=why,
                    entry="street_address",
                )
            )
            pos = m.end()
        return found

    def _check(self, item: TextItem, m: re.Match[str]) -> str | None:
        words = m.group("name").split()
        suffix = m.group("suffix")
        for i, word in enumerate(words):
            bare = word.strip(".'’-")
            if bare == "the":
                if i != 0:
                    return None
            elif bare in _NOT_NAMES or not bare:
                return None
        number = m.group("flat") or m.group("number")
        if suffix not in _STRONG:
            shown = original(item, m.start("name"), m.end("suffix"))
            if not all(w[:1].isupper() for w in shown.split() if w.lower() != "the"):
                return None
        street = original(item, m.start("name"), m.end("suffix"))
        lead = "flat number" if m.group("flat") and not m.group("number") else "house number"
        return f"street address: {lead} {number!r} + street name + suffix {suffix!r} ({street!r})"


RECOGNISER = AddressRecogniser()
