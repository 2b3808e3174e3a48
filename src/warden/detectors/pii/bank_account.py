"""UK bank details: a sort code (NN-NN-NN) with its eight-digit account number.

A sort code alone looks like a date (12-03-24) and an account number alone
looks like any order number, so each counts only next to the other, or after
words that say what it is ("sort code", "account number", "a/c").
"""

from __future__ import annotations

import re

from warden.detectors.base import TextItem
from warden.detectors.pii._common import after, before, emit
from warden.domain.findings import Finding

CATEGORY = "pii.uk_bank_account"

_SORT_CODE = re.compile(
    r"(?<![\w\-/.,£$€+])"
    r"(?:[0-9]{2}(?P<sep>[ \-])[0-9]{2}(?P=sep)[0-9]{2}|[0-9]{6})"
    r"(?![\w\-/]|[.,][0-9])",
    re.ASCII,
)
_ACCOUNT = re.compile(
    r"(?<![\w\-/.,£$€+])[0-9]{8}(?![\w\-/]|[.,][0-9])",
    re.ASCII,
)
_SORT_CONTEXT = re.compile(r"\b(?:sort[ \-]?codes?|s/c|sc:)|\bsort[ :]{0,3}\Z", re.ASCII)
_ACCOUNT_CONTEXT = re.compile(
    r"(?:\b(?:account|acc|acct|a/c|bank)\b|\ba/c|\bacc\.?\s{0,2}no\b)",
    re.ASCII,
)
# what may sit between a sort code and its account number
_JOIN = re.compile(
    r"\A[\s,;:/|]{1,3}(?:(?:and\s{1,2})?(?:acc(?:oun)?t?|acct|a/c)\.?\s{0,2}(?:no\.?|number|num|#)?\s{0,2}[:#\-]?\s{0,2})?",
    re.ASCII,
)


class BankAccountRecogniser:
    category = CATEGORY
    needs_digit = True

    def find(self, item: TextItem) -> list[Finding]:
        text = item.light.text
        found: list[Finding] = []
        accounts = {m.start(): m for m in _ACCOUNT.finditer(text)}
        paired: set[int] = set()
        for m in _SORT_CODE.finditer(text):
            dashed = m.group("sep") is not None
            follow = _JOIN.match(text[m.end() : m.end() + 30])
            account = accounts.get(m.end() + follow.end()) if follow else None
            if account is not None and dashed:
                why = "sort code followed by an 8-digit account number"
                paired.add(account.start())
            elif before(_SORT_CONTEXT, text, m.start(), 25):
                why = "sort code after 'sort code'"
                if account is not None:
                    paired.add(account.start())
            else:
                continue
            found.append(
                emit(item, m.start(), m.end(), category=CATEGORY, score=0.92, explanation=why, entry="sort_code")
            )
        for start, account in accounts.items():
            if start in paired:
                why = "8-digit account number following a sort code"
            elif before(_ACCOUNT_CONTEXT, text, start, 30) or after(_SORT_CONTEXT, text, account.end(), 25):
                why = "8-digit account number after 'account'/'a/c'"
            else:
                continue
            found.append(
                emit(item, start, account.end(), category=CATEGORY, score=0.9, explanation=why, entry="account_number")
            )
        return found


RECOGNISER = BankAccountRecogniser()
