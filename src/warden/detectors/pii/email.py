"""E-mail addresses, including the bracketed "name [at] example [dot] com" dodge."""

from __future__ import annotations

import re

from warden.detectors.base import TextItem
from warden.detectors.pii._common import emit, words
from warden.domain.findings import Finding

CATEGORY = "pii.email"

_EMAIL = re.compile(
    r"(?<![\w.%+\-@])"
    r"(?P<local>[a-z0-9](?:[a-z0-9._%+\-]{0,63}))"
    r"@"
    r"(?P<domain>(?:[a-z0-9](?:[a-z0-9\-]{0,62})\.){1,8}(?P<tld>[a-z]{2,24}))"
    r"(?![\w\-@]|\.[a-z0-9])",
    re.ASCII,
)
_OBFUSCATED = re.compile(
    r"(?<![\w.%+\-@])"
    r"(?P<local>[a-z0-9](?:[a-z0-9._%+\-]{0,63}))"
    r"\s{0,2}[\[(<{]\s{0,2}at\s{0,2}[\])>}]\s{0,2}"
    r"(?P<domain>(?:[a-z0-9](?:[a-z0-9\-]{0,62})(?:\.|\s{0,2}[\[(<{]\s{0,2}dot\s{0,2}[\])>}]\s{0,2})){1,8}"
    r"(?P<tld>[a-z]{2,24}))"
    r"(?![\w\-])",
    re.ASCII,
)
# Top-level domains of three letters or more that people actually use; every
# two-letter (country) domain is accepted. "kiosk.Valid" is a sentence break.
LONG_TLDS = words(
    """com org net edu gov mil int info biz name pro mobi aero asia coop jobs museum tel travel app dev page
    blog shop store online site tech cloud email news live life world today space website club xyz top vip
    london scot wales cymru uk cat eus gal art design media agency digital network services solutions
    company business support studio works social team email global zone one link click help legal law
    police nhs ltd plc charity foundation church school academy college university health care"""
)
_OBFUSCATION_HINT = re.compile(r"[\[(<{]\s{0,2}at\s{0,2}[\])>}]", re.ASCII)


def _local_ok(local: str) -> bool:
    return not (local.endswith(".") or ".." in local)


def _domain_ok(domain: str) -> bool:
    return all(label and not label.endswith("-") for label in domain.split("."))


def _tld_ok(tld: str) -> bool:
    return len(tld) == 2 or tld in LONG_TLDS


class EmailRecogniser:
    category = CATEGORY
    needs_digit = False

    def find(self, item: TextItem) -> list[Finding]:
        text = item.light.text
        found: list[Finding] = []
        if "@" in text:
            for m in _EMAIL.finditer(text):
                if not (_local_ok(m.group("local")) and _domain_ok(m.group("domain")) and _tld_ok(m.group("tld"))):
                    continue
                found.append(
                    emit(
                        item,
                        m.start(),
                        m.end(),
                        category=CATEGORY,
                        score=0.97,
                        explanation=f"e-mail address, valid dot-atom syntax, known top-level domain .{m.group('tld')}",
                        entry="email",
                    )
                )
        if _OBFUSCATION_HINT.search(text):
            for m in _OBFUSCATED.finditer(text):
                if not (_local_ok(m.group("local")) and _tld_ok(m.group("tld"))):
                    continue
                found.append(
                    emit(
                        item,
                        m.start(),
                        m.end(),
                        category=CATEGORY,
                        score=0.9,
                        explanation=f"e-mail address written with [at]/[dot] to dodge filters (.{m.group('tld')})",
                        entry="email_obfuscated",
                    )
                )
        return found


RECOGNISER = EmailRecogniser()
