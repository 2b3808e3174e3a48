"""Links: shorteners, IP literals, look-alike domains, allow and deny lists."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from warden.detectors.base import TextItem
from warden.detectors.registry import register
from warden.domain.context import LinkLists
from warden.domain.findings import Finding

VERSION = "1.0.0"

SHORTENERS = frozenset({
    "bit.ly", "bitly.com", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly",
    "cutt.ly", "shorturl.at", "tiny.cc", "rb.gy", "t.ly", "v.gd", "tr.im", "bl.ink", "lnkd.in", "dlvr.it",
    "s.id", "shorte.st", "adf.ly", "qr.net", "qrco.de", "x.co", "snip.ly", "soo.gd", "short.io", "tiny.one",
})
# Domains people trust on sight; a near miss of one of them is a look-alike.
TRUSTED = ("police.uk", "gov.uk", "nhs.uk", "parliament.uk", "met.police.uk", "actionfraud.police.uk",
           "crimestoppers-uk.org", "paypal.com", "hmrc.gov.uk", "dvla.gov.uk", "royalmail.com",
           "facebook.com", "instagram.com", "twitter.com", "x.com", "google.com", "microsoft.com",
           "apple.com", "amazon.co.uk", "bbc.co.uk")
_BRANDS = ("police", "paypal", "hmrc", "dvla", "gov", "nhs", "royalmail", "actionfraud", "crimestoppers")

_TLDS = ("com|org|net|uk|co\\.uk|org\\.uk|gov\\.uk|police\\.uk|nhs\\.uk|ac\\.uk|io|ly|me|info|biz|xyz|top|"
         "online|site|club|link|live|app|dev|ru|cn|tk|ml|ga|cf|gq|de|fr|eu|us|tv|co|gl|gd|cc|at|ws|in|to|id")
URL = re.compile(
    r"(?<![\w@.\-])(?:(?:https?|hxxps?)://[^\s<>\"'()]{1,2000}"
    r"|(?:www\.)[a-z0-9\-]{1,63}(?:\.[a-z0-9\-]{1,63}){1,8}(?:/[^\s<>\"'()]{0,2000})?"
    rf"|[a-z0-9\-]{{1,63}}(?:\.[a-z0-9\-]{{1,63}}){{0,6}}\.(?:{_TLDS})(?![a-z0-9\-])(?:/[^\s<>\"'()]{{0,2000}})?)"
)
_HOST = re.compile(r"^(?:[a-z]+://)?(?:[^@/\s]*@)?([^/:?#\s]+)")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$|^0x[0-9a-f]{1,8}$|^\d{8,10}$|^\[[0-9a-f:]+\]$")
_TRAILING = ".,;:!?)]}'\""


def host_of(url: str) -> str:
    match = _HOST.match(url)
    return match.group(1).rstrip(".") if match else ""


def _within(host: str, domains: Sequence[str]) -> str | None:
    for domain in domains:
        domain = domain.lower().strip(".")
        if host == domain or host.endswith("." + domain):
            return domain
    return None


def _distance(a: str, b: str, limit: int = 2) -> int:
    """Levenshtein distance, giving up above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


@lru_cache(maxsize=4096)
def lookalike_of(host: str, extra: tuple[str, ...] = ()) -> str | None:
    """The trusted domain this host imitates, if it imitates one."""
    candidates = TRUSTED + extra
    if _within(host, candidates):
        return None
    if host.startswith("xn--") or ".xn--" in host:
        return "an internationalised (punycode) name"
    for domain in candidates:
        if _distance(host, domain) <= (1 if len(domain) < 8 else 2):
            return domain
        # gov.uk.secure-login.com, police-uk.net: a trusted name inside another domain
        flat = domain.replace(".", "-")
        if domain + "." in host or host.startswith(flat) or f".{flat}" in host:
            return domain
    labels = host.split(".")
    second_level = len(labels) >= 3 and labels[-2] in ("co", "org", "gov", "ac", "police", "nhs", "ltd", "me")
    registrable = labels[-3] if second_level else (labels[-2] if len(labels) >= 2 else host)
    for brand in _BRANDS:
        if brand in registrable and registrable != brand:
            return f"the name '{brand}'"
    return None


@register("links")
class LinkDetector:
    name = "links"
    version = VERSION
    categories = ("link.url", "link.shortener", "link.ip_literal", "link.lookalike", "link.denied", "link.unknown")

    def detect(self, batch: Sequence[TextItem]) -> list[list[Finding]]:
        return [self._one(item) if "." in item.text else [] for item in batch]

    def _one(self, item: TextItem) -> list[Finding]:
        form = item.light
        lists: LinkLists = item.context.links
        out: list[Finding] = []
        for match in URL.finditer(form.text):
            url = match.group(0).rstrip(_TRAILING)
            start, end = match.start(), match.start() + len(url)
            host = host_of(url)
            if not host:
                continue

            def add(category: str, explanation: str, severity: int = 2,
                    start: int = start, end: int = end, host: str = host) -> None:
                out.append(item.finding(form, start, end, detector=self.name, version=self.version,
                                        category=category, score=1.0, severity=severity,
                                        explanation=explanation, entry=host))

            add("link.url", f"link to {host}", severity=1)
            denied = _within(host, lists.deny)
            if denied:
                add("link.denied", f"{host} is on the organisation's deny list ({denied})", severity=3)
            if host in SHORTENERS:
                add("link.shortener", f"{host} is a URL shortener: readers cannot see where it leads")
            if _IPV4.match(host):
                add("link.ip_literal", f"the link goes to a bare IP address ({host}), not a named site", severity=3)
            elif "@" in url.split("/", 3)[2 if "://" in url else 0]:
                add("link.lookalike", "the link hides its real destination behind a user-info prefix", severity=3)
            else:
                imitated = lookalike_of(host, tuple(lists.allow))
                if imitated:
                    add("link.lookalike", f"{host} looks like {imitated} but is not", severity=3)
            if lists.allow and not _within(host, lists.allow) and not denied:
                add("link.unknown", f"{host} is not on the organisation's allow list")
        return out
