"""UK telephone numbers: +44, 0044, (0)20, spaced, dashed, dotted, bracketed.

A candidate is a run of digits with light separators starting with a UK
prefix. Its national number must be valid per libphonenumber, or lie in one of
Ofcom's ranges reserved for drama (which libphonenumber calls invalid, but
which are exactly what invented examples and training material use).
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

from warden.detectors.base import TextItem
from warden.detectors.pii._common import before, emit
from warden.domain.findings import Finding

CATEGORY = "pii.uk_phone"

_CANDIDATE = re.compile(
    r"(?<![\w+.,£$€])"
    r"(?P<prefix>(?:\+|00)[ \-]?44[ \-]?(?:\([ ]?0[ ]?\)[ \-]?|0[ \-]?)?|\(0|0)"
    r"[1-9](?:[ \-.()]{0,2}\d){6,11}"
    r"(?![0-9])",
    re.ASCII,
)
_DIGIT = re.compile(r"\d", re.ASCII)
# Numbers that follow these words are someone's order, not their phone.
_NOT_A_PHONE = re.compile(
    r"(?:order|invoice|tracking|parcel|ticket|booking|receipt|serial|barcode|imei)s?"
    r"\s{0,2}(?:no\.?|number|num|ref|id|code)?\s{0,2}[:#]?\s{0,2}$",
    re.ASCII,
)

# Public service numbers: printed on every appeal, nobody's personal data.
PUBLIC_NUMBERS = {
    "800555111": "Crimestoppers",
    "8001111": "Childline",
    "8088005000": "NSPCC helpline",
    "3001232040": "Action Fraud",
    "8082000247": "National Domestic Abuse Helpline",
    "8081689111": "Victim Support",
}

# Ofcom's numbers for drama: (national-number prefix, digits after it, label).
_DRAMA: tuple[tuple[str, str], ...] = (
    ("7700900", "mobile"),
    ("2079460", "London landline"),
    ("1134960", "Leeds landline"),
    ("1144960", "Sheffield landline"),
    ("1154960", "Nottingham landline"),
    ("1164960", "Leicester landline"),
    ("1174960", "Bristol landline"),
    ("1184960", "Reading landline"),
    ("1214960", "Birmingham landline"),
    ("1314960", "Edinburgh landline"),
    ("1414960", "Glasgow landline"),
    ("1514960", "Liverpool landline"),
    ("1614960", "Manchester landline"),
    ("1914980", "Tyneside landline"),
    ("2896496", "Northern Ireland landline"),
    ("2920180", "Cardiff landline"),
    ("1632960", "landline (no area)"),
    ("8081570", "freephone"),
    ("9098790", "premium-rate"),
    ("3069990", "UK-wide"),
)

_KINDS = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "landline",
    PhoneNumberType.TOLL_FREE: "freephone",
    PhoneNumberType.PREMIUM_RATE: "premium-rate",
    PhoneNumberType.SHARED_COST: "shared-cost",
    PhoneNumberType.VOIP: "VoIP",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "non-geographic",
}


@lru_cache(maxsize=4096)
def validate(national: str) -> str | None:
    """Explanation if ``national`` (digits after the 0 / +44) is a UK number, else None."""
    if len(national) not in (9, 10):
        return None
    if len(national) == 10:
        for prefix, label in _DRAMA:
            if national.startswith(prefix):
                return f"UK {label} number in an Ofcom drama range"
    try:
        number = phonenumbers.parse("+44" + national, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    kind = _KINDS.get(phonenumbers.number_type(number), "telephone")
    region = phonenumbers.region_code_for_number(number) or "GB"
    where = "UK" if region == "GB" else f"UK ({region})"
    return f"{where} {kind} number, valid per libphonenumber"


class PhoneRecogniser:
    category = CATEGORY
    needs_digit = True

    def find(self, item: TextItem) -> list[Finding]:
        text = item.light.text
        found: list[Finding] = []
        for m in _CANDIDATE.finditer(text):
            if before(_NOT_A_PHONE, text, m.start(), 30):
                continue
            prefix_end = m.end("prefix")
            international = "44" in m.group("prefix")
            # the digit positions after the prefix; a shorter match may be the phone
            # when the run goes on into another number ("07700 900123 2 times")
            positions = [d.start() for d in _DIGIT.finditer(text, prefix_end, m.end())]
            for count in (10, 9, 7):
                if len(positions) < count:
                    continue
                end = positions[count - 1] + 1
                if count < len(positions) and positions[count] == end:
                    continue  # would cut a group of digits in two
                national = "".join(text[p] for p in positions[:count])
                if national in PUBLIC_NUMBERS:
                    break
                why = validate(national)
                if why is None:
                    continue
                form = "international +44 form" if international else "national form"
                found.append(
                    emit(
                        item,
                        m.start(),
                        end,
                        category=CATEGORY,
                        score=0.9,
                        explanation=f"{why} ({form})",
                        entry="uk_phone",
                    )
                )
                break
        return found


RECOGNISER = PhoneRecogniser()
