"""UK postcodes, validated against Royal Mail's rules.

Outward code: a real postcode area (the 1-2 letters), a district digit and an
optional digit or letter (letters only from the sets Royal Mail uses in each
position). Inward code: a digit and two letters, never C, I, K, M, O or V.
Outward codes alone ("M25", "A171") are roads or districts, not addresses.
"""

from __future__ import annotations

import re

from warden.detectors.base import TextItem
from warden.detectors.pii._common import emit, words
from warden.domain.findings import Finding

CATEGORY = "pii.uk_postcode"

# Royal Mail postcode areas (plus the Crown dependencies, which share the system).
AREAS = words(
    """ab al b ba bb bd bh bl bn br bs bt ca cb cf ch cm co cr ct cv cw da dd de dg dh dl dn dt dy
    e ec eh en ex fk fy g gl gu gy ha hd hg hp hr hs hu hx ig im ip iv je ka kt kw ky l la ld le ll
    ln ls lu m me mk ml n ne ng nn np nr nw ol ox pa pe ph pl po pr rg rh rm s sa se sg sk sl sm sn
    so sp sr ss st sw sy ta td tf tn tq tr ts tw ub w wa wc wd wf wn wr ws wv yo ze"""
)

_POSTCODE = re.compile(
    r"(?<![a-z0-9_@#])"
    r"(?P<area>[a-z]{1,2})(?P<district>[0-9](?:[0-9]|[a-z])?)"
    r"(?P<space>[ ]{0,2}|-)"
    r"(?P<inward>[0-9][abd-hjlnp-uw-z]{2})"
    r"(?![a-z0-9_])",
    re.ASCII,
)
# letters allowed as the last character of the outward code
_A9A = frozenset("abcdefghjkpstuw")
_AA9A = frozenset("abehmnprvwxy")


def outward_ok(area: str, district: str) -> bool:
    if area not in AREAS:
        return False
    if len(district) == 2 and district[1].isalpha():
        return district[1] in (_A9A if len(area) == 1 else _AA9A)
    return True


class PostcodeRecogniser:
    category = CATEGORY
    needs_digit = True

    def find(self, item: TextItem) -> list[Finding]:
        text = item.light.text
        found: list[Finding] = []
        for m in _POSTCODE.finditer(text):
            area, district = m.group("area"), m.group("district")
            if not outward_ok(area, district):
                continue
            outward = area + district
            found.append(
                emit(
                    item,
                    m.start(),
                    m.end(),
                    category=CATEGORY,
                    score=0.9 if m.group("space") else 0.8,
                    explanation=(
                        f"UK postcode {outward.upper()} {m.group('inward').upper()}: "
                        f"Royal Mail area {area.upper()}, valid outward and inward formats"
                    ),
                    entry="uk_postcode",
                )
            )
        return found


RECOGNISER = PostcodeRecogniser()
