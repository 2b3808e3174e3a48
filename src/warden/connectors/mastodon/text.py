"""Mastodon status HTML to plain text.

Mastodon sends ``content`` as HTML (``<p>``, ``<br>``, links, mention spans).
Warden stores and checks plain text, so this keeps only the text a reader
sees, with line breaks where the markup put them. Nothing of the markup
survives: tags, attributes and scripts are dropped, entities are unescaped
once, and the result is plain text that the console escapes when it shows it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from warden.domain.messages import TRUNCATED

# HTML bigger than this is cut before parsing; a real status is a few KB.
MAX_HTML_CHARS = 1_000_000

_PARAGRAPHS = frozenset({"p", "div", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                         "section", "article", "header", "footer", "table", "tr"})
_LINES = frozenset({"br", "li", "hr"})
_DROPPED = frozenset({"script", "style", "template", "head", "title", "noscript", "iframe", "object", "svg", "math"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_SPACES = re.compile(r"[ \t\xa0]+")
_BLANKS = re.compile(r"\n{3,}")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropped = 0  # depth inside elements whose content is never text

    def _break(self, newlines: str) -> None:
        if self.parts:
            self.parts.append(newlines)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self.dropped += 1
        elif tag in _PARAGRAPHS:
            self._break("\n\n")
        elif tag in _LINES:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _LINES:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropped = max(0, self.dropped - 1)
        elif tag in _PARAGRAPHS:
            self._break("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.dropped:
            self.parts.append(data)


def html_to_text(html: object) -> str:
    """The readable text of a status's HTML ('' for anything that is not a string)."""
    if not isinstance(html, str):
        return ""
    cut = len(html) > MAX_HTML_CHARS
    parser = _Text()
    parser.feed(html[:MAX_HTML_CHARS] if cut else html)
    parser.close()
    text = _CONTROL.sub("", "".join(parser.parts))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = _BLANKS.sub("\n\n", "\n".join(lines)).strip()
    return text + TRUNCATED if cut and text else text


def plain(value: object, limit: int) -> str:
    """A short plain-text field (a display name, a content warning), bounded."""
    if not isinstance(value, str):
        return ""
    return " ".join(_CONTROL.sub("", value).split())[:limit]
