"""Payment card numbers: 13-19 digits, a known issuer range, a length that
issuer uses, and the Luhn check. Written joined or in the usual groups of
four (Amex and Diners 4-6-5 / 4-6-4), with spaces or dashes."""

from __future__ import annotations

import re

from warden.detectors.base import TextItem
from warden.detectors.pii._common import emit
from warden.domain.findings import Finding

CATEGORY = "pii.payment_card"

_CANDIDATE = re.compile(
    r"(?<![\w\-/.,£$€+])"
    r"[0-9]{4,19}+(?:[ \-][0-9]{1,7}+){0,5}"
    r"(?![\w\-/]|[.,][0-9])",
    re.ASCII,
)
_GROUP = re.compile(r"[0-9]+", re.ASCII)

# (first digits from, to, lengths, brand); the first rule whose range holds wins
_IIN: tuple[tuple[int, int, frozenset[int], str], ...] = (
    (34, 34, frozenset({15}), "American Express"),
    (37, 37, frozenset({15}), "American Express"),
    (300, 305, frozenset(range(14, 20)), "Diners Club"),
    (36, 36, frozenset(range(14, 20)), "Diners Club"),
    (38, 39, frozenset(range(14, 20)), "Diners Club"),
    (3528, 3589, frozenset(range(16, 20)), "JCB"),
    (4, 4, frozenset({13, 16, 19}), "Visa"),
    (51, 55, frozenset({16}), "Mastercard"),
    (2221, 2720, frozenset({16}), "Mastercard"),
    (6011, 6011, frozenset(range(16, 20)), "Discover"),
    (644, 649, frozenset(range(16, 20)), "Discover"),
    (65, 65, frozenset(range(16, 20)), "Discover"),
    (62, 62, frozenset(range(16, 20)), "UnionPay"),
    (50, 50, frozenset(range(12, 20)), "Maestro"),
    (56, 58, frozenset(range(12, 20)), "Maestro"),
    (63, 63, frozenset(range(12, 20)), "Maestro"),
    (67, 67, frozenset(range(12, 20)), "Maestro"),
)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def brand(digits: str) -> str | None:
    """The issuer whose IIN range and lengths fit ``digits``."""
    for low, high, lengths, name in _IIN:
        width = len(str(low))
        if low <= int(digits[:width]) <= high:
            return name if len(digits) in lengths else None
    return None


def _grouping_ok(groups: list[str]) -> bool:
    sizes = [len(g) for g in groups]
    if len(sizes) == 1:
        return True
    if sizes in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(s == 4 for s in sizes[:-1]) and 1 <= sizes[-1] <= 4


class PaymentCardRecogniser:
    category = CATEGORY
    needs_digit = True

    def find(self, item: TextItem) -> list[Finding]:
        text = item.light.text
        found: list[Finding] = []
        for m in _CANDIDATE.finditer(text):
            groups = list(_GROUP.finditer(m.group(0)))
            # the longest run of whole groups that is a card (extra numbers may trail it)
            for stop in range(len(groups), 0, -1):
                chosen = groups[:stop]
                digits = "".join(g.group(0) for g in chosen)
                if not 13 <= len(digits) <= 19 or not _grouping_ok([g.group(0) for g in chosen]):
                    continue
                name = brand(digits)
                if name is None or not luhn_ok(digits) or len(set(digits)) == 1:
                    continue
                end = m.start() + chosen[-1].end()
                found.append(
                    emit(
                        item,
                        m.start(),
                        end,
                        category=CATEGORY,
                        score=0.97,
                        explanation=f"{name} card number ({len(digits)} digits), issuer range and Luhn check valid",
                        entry="payment_card",
                    )
                )
                break
        return found


RECOGNISER = PaymentCardRecogniser()
