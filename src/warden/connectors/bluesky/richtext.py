"""Facets for outgoing text: Bluesky shows a link or a hashtag as one only
when the post says where it is (UTF-8 byte offsets)."""

from __future__ import annotations

import re
from typing import Any

LINK = re.compile(r"https?://[^\s<>\"]+")
TAG = re.compile(r"(?:^|(?<=\s))#(\w*[^\W\d]\w*)")
TRAILING = ".,;:!?)]}'\""
MAX_TAG = 64


def _span(text: str, start: int, end: int) -> dict[str, int]:
    return {"byteStart": len(text[:start].encode()), "byteEnd": len(text[:end].encode())}


def facets(text: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for match in LINK.finditer(text):
        url = match.group().rstrip(TRAILING)
        end = match.start() + len(url)
        found.append({"index": _span(text, match.start(), end),
                      "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}]})
    for match in TAG.finditer(text):
        tag = match.group(1)
        if len(tag) <= MAX_TAG:
            found.append({"index": _span(text, match.start(), match.end()),
                          "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}]})
    return sorted(found, key=lambda facet: int(facet["index"]["byteStart"]))
