"""NHS numbers: ten digits whose last is the modulus-11 check digit.

A bare ten-digit run passes the check by chance about one time in eleven, so a
number counts when it follows "NHS" (or "NHS no", "NHS number", "patient
number"), or when written in the NHS's own spaced 3-3-4 grouping ("943 476
5919") and not after "call", "ring", "tel" (a North American phone number has
the same shape, and passes the check as often).
"""

from __future__ import annotations

import re

from warden.detectors.base import TextItem
from warden.detectors.pii._common import before, emit
from warden.domain.findings import Finding

CATEGORY = "pii.nhs_number"

_NHS = re.compile(
    r"(?<![\w\-/.,£$€+])"
    r"(?P<a>[0-9]{3})(?P<sep>[ \-]{0,2})(?P<b>[0-9]{3})(?P=sep)(?P<c>[0-9]{4})"
    r"(?![\w\-/]|[.,][0-9])",
    re.ASCII,
)
_CONTEXT = re.compile(r"\b(?:nhs|chi|patient|hospital)\b", re.ASCII)
_PHONE_WORDS = re.compile(
    r"\b(?:call|calls|ring|phone|tel|telephone|text|txt|fax|mob|mobile|cell|contact|dial)\b", re.ASCII
)


def mod11_ok(digits: str) -> bool:
    """The NHS check: weights 10..2 on the first nine digits; 11 - (sum mod 11)
    is the tenth digit (11 reads as 0, 10 means no valid number)."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


class NhsRecogniser:
    category = CATEGORY
    needs_digit = True

    def find(self, item: TextItem) -> list[Finding]:
        text = item.light.text
        found: list[Finding] = []
        for m in _NHS.finditer(text):
            digits = m.group("a") + m.group("b") + m.group("c")
            if not mod11_ok(digits):
                continue
            if before(_CONTEXT, text, m.start(), 40):
                why, score = "NHS number after 'NHS', modulus-11 check digit valid", 0.95
            elif m.group("sep") == " " and not before(_PHONE_WORDS, text, m.start(), 25):
                why, score = "NHS number in 3-3-4 grouping, modulus-11 check digit valid", 0.75
            else:
                continue
            found.append(
                emit(item, m.start(), m.end(), category=CATEGORY, score=score, explanation=why, entry="nhs_number")
            )
        return found


RECOGNISER = NhsRecogniser()
