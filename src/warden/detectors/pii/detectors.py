"""The "pii" detector: every UK personal-data recogniser, one pass per text.

Texts with no digit skip every recogniser that needs one (all but e-mail),
and e-mail is only tried when the text has an "@" or an "[at]". Where two
recognisers claim overlapping characters, one span keeps one category: the
higher score wins, then the longer span, then the more specific validator
(card before bank account, NHS number before phone).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from warden.detectors.base import TextItem
from warden.detectors.pii import (
    address,
    bank_account,
    dob,
    email,
    nhs,
    nino,
    payment_card,
    phone,
    police_ref,
    postcode,
    vehicle_reg,
)
from warden.detectors.pii._common import DETECTOR, VERSION, Recogniser
from warden.detectors.registry import register
from warden.domain.findings import Finding

# In order of specificity: an earlier one wins a tie.
RECOGNISERS: tuple[Recogniser, ...] = (
    payment_card.RECOGNISER,
    email.RECOGNISER,
    nino.RECOGNISER,
    nhs.RECOGNISER,
    bank_account.RECOGNISER,
    police_ref.RECOGNISER,
    dob.RECOGNISER,
    phone.RECOGNISER,
    postcode.RECOGNISER,
    vehicle_reg.RECOGNISER,
    address.RECOGNISER,
)
CATEGORIES: tuple[str, ...] = tuple(r.category for r in RECOGNISERS)
_RANK = {category: i for i, category in enumerate(CATEGORIES)}
_DIGITS_NEEDED = tuple(r for r in RECOGNISERS if r.needs_digit)
_NO_DIGITS_NEEDED = tuple(r for r in RECOGNISERS if not r.needs_digit)
_DIGIT = re.compile(r"[0-9]", re.ASCII)
_EMAIL_HINT = re.compile(r"@|[\[(<{][ ]{0,2}at[ ]{0,2}[\])>}]", re.ASCII)


def resolve(findings: list[Finding]) -> list[Finding]:
    """Keep, greedily, the best finding for each stretch of text."""
    if len(findings) < 2:
        return findings
    ordered = sorted(findings, key=lambda f: (-f.score, -(f.end - f.start), _RANK.get(f.category, 99), f.start))
    starts: list[int] = []  # kept spans, sorted and disjoint
    ends: list[int] = []
    kept: list[Finding] = []
    for f in ordered:
        i = bisect.bisect_right(starts, f.start)
        if i and ends[i - 1] > f.start:
            continue  # overlaps the kept span starting at or before it
        if i < len(starts) and starts[i] < f.end:
            continue  # overlaps the next kept span
        starts.insert(i, f.start)
        ends.insert(i, f.end)
        kept.insert(i, f)
    return kept


def find_pii(item: TextItem) -> list[Finding]:
    """Every personal-data finding in one text, overlaps resolved."""
    text = item.light.text
    found: list[Finding] = []
    if _DIGIT.search(text):
        for recogniser in _DIGITS_NEEDED:
            found.extend(recogniser.find(item))
    if _EMAIL_HINT.search(text):
        for recogniser in _NO_DIGITS_NEEDED:
            found.extend(recogniser.find(item))
    return resolve(found)


@register("pii")
class PiiDetector:
    """UK personal data: phones, e-mails, postcodes, NI, NHS, card and bank
    numbers, vehicle registrations, dates of birth, addresses, police references."""

    name = DETECTOR
    version = VERSION
    categories: tuple[str, ...] = CATEGORIES

    def detect(self, batch: Sequence[TextItem]) -> list[list[Finding]]:
        return [find_pii(item) for item in batch]
