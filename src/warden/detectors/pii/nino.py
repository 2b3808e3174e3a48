"""National Insurance numbers, checked against HMRC's prefix rules.

Two prefix letters (first not D, F, I, Q, U, V; second not D, F, I, O, Q, U, V;
never BG, GB, KN, NK, NT, TN or ZZ), six digits, a suffix A-D. Written upper
or lower case, joined or spaced ("ab 12 34 56 c"). Without its suffix a
number counts only after words like "NI number" or "national insurance".
"""

from __future__ import annotations

import re

from warden.detectors.base import TextItem
from warden.detectors.pii._common import before, emit
from warden.domain.findings import Finding

CATEGORY = "pii.uk_nino"

_NINO = re.compile(
    r"(?<![a-z0-9_@#])"
    r"(?P<prefix>[a-z]{2})[ \-]{0,2}(?P<d1>[0-9]{2})[ \-]{0,2}(?P<d2>[0-9]{2})[ \-]{0,2}(?P<d3>[0-9]{2})"
    r"(?:[ \-]{0,2}(?P<suffix>[a-d]))?"
    r"(?![a-z0-9])",
    re.ASCII,
)
_BAD_SUFFIX = re.compile(r"[ \-]{0,2}[a-z](?![a-z0-9])", re.ASCII)
_CONTEXT = re.compile(r"\b(?:ni|nino|nin|n\.i\.?|national\s{1,2}insurance|nat\.?\s{1,2}ins\.?)\b", re.ASCII)

_BAD_FIRST = frozenset("dfiquv")
_BAD_SECOND = frozenset("dfioquv")
_BAD_PREFIXES = frozenset({"bg", "gb", "kn", "nk", "nt", "tn", "zz"})


def prefix_ok(prefix: str) -> bool:
    """HMRC's rules for the two prefix letters."""
    return prefix[0] not in _BAD_FIRST and prefix[1] not in _BAD_SECOND and prefix not in _BAD_PREFIXES


class NinoRecogniser:
    category = CATEGORY
    needs_digit = True

    def find(self, item: TextItem) -> list[Finding]:
        text = item.light.text
        found: list[Finding] = []
        for m in _NINO.finditer(text):
            prefix = m.group("prefix")
            if not prefix_ok(prefix):
                continue
            suffix = m.group("suffix")
            if suffix:
                why = (
                    f"National Insurance number, prefix {prefix.upper()} allowed by HMRC rules, suffix {suffix.upper()}"
                )
                score = 0.95
            elif _BAD_SUFFIX.match(text, m.end()):
                continue  # a suffix letter outside A-D: not a NINO
            elif before(_CONTEXT, text, m.start(), 40):
                why = (
                    "National Insurance number without suffix after 'NI'/'national insurance', "
                    f"prefix {prefix.upper()} allowed by HMRC rules"
                )
                score = 0.85
            else:
                continue
            found.append(
                emit(item, m.start(), m.end(), category=CATEGORY, score=score, explanation=why, entry="uk_nino")
            )
        return found


RECOGNISER = NinoRecogniser()
