"""Text normalisation with an offset map back to the original.

Two forms are produced:

* ``light``: NFKC, case-folded, zero-width and control characters removed,
  homoglyphs and accents folded, emoji turned into words. Digits are kept as
  they are, so identifiers (phones, postcodes) survive. PII and links read it.
* ``full``: ``light`` plus leetspeak folding inside words, s p a c e d letters
  joined, hyphens and runs of whitespace made one space, and letters repeated
  three or more times collapsed. Lexicons read it.

Every character of a normal form knows the span of the original it came from,
so findings always point into the ORIGINAL text. Each step is a regular
expression substitution whose replacement inherits the span of its match;
the plain-ASCII common case is length-preserving and costs almost nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from warden.detectors.emoji_words import EMOJI_WORDS
from warden.detectors.homoglyphs import HOMOGLYPHS

# Characters that carry no visible content: zero-width, bidi controls, BOM,
# soft hyphen, variation selectors and ASCII control characters except
# whitespace. They are the favourite way to split a word past a filter.
_INVISIBLE = frozenset(
    [chr(c) for c in range(0x00, 0x20) if chr(c) not in "\t\n\r"]
    + ["\x7f", "\u00ad", "\u034f", "\u061c", "\u115f", "\u1160", "\u17b4", "\u17b5"]
    + ["\u180e", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\u2061"]
    + ["\u2062", "\u2063", "\u2064", "\ufeff", "\u3164", "\uffa0"]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + [chr(c) for c in range(0xFE00, 0xFE10)]
)

_NOT_PLAIN = re.compile(r"[^\t\n\r\x20-\x7e]")
_UPPER = re.compile(r"[A-Z]")

# Leetspeak is folded only inside word-like tokens that also hold letters, so
# that numbers (times, prices, identifiers) are left alone.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                       "8": "b", "9": "g", "@": "a", "$": "s", "!": "i", "|": "i",
                       "+": "t", "€": "e"})
# Only tokens holding both a letter and a leet character are visited; the
# look-aheads stop at the token's end, so matching stays linear.
_LEET_TOKEN = re.compile(r"(?<![\w@$!|+€])(?=[\w@$!|+€]*[a-z])(?=[\w@$!|+€]*[0-9@$!|+€])[\w@$!|+€]+")
_LEET_CHARS = re.compile(r"[0-9@$!|+€]")
# A word of leet characters around one letter ("7h3", "901n9"): it starts with
# a leet character and has no other (2 and 6 stand for no letter), so "2nd",
# "24h" and road numbers ("A171", "M25") keep their digits.
_LEET_WORD = re.compile(r"[013-57-9@$|+€][a-z013-57-9@$|+€]{2,}")
_LETTER = re.compile(r"[a-z]")
# "f u c k", "f.u.c.k", "f-u-c-k": three or more single letters with one
# repeated separator. Bounded quantifiers keep matching linear.
_SPACED = re.compile(r"(?<![a-z0-9'])[a-z](?:([ .\-_*/])[a-z])(?:\1[a-z]){1,40}(?![a-z0-9]|[.\-_*/][a-z])")
_SEPARATORS = re.compile(r"[ .\-_*/]")
_HYPHENS = re.compile(r"(?<=[a-z])[-_](?=[a-z])")
_WHITESPACE = re.compile(r"\s{2,}|[\t\n\r]")
_REPEATS = re.compile(r"([a-z])\1{2,}")


@dataclass(frozen=True, slots=True)
class Normalised:
    """A normal form and, per character, the original span it came from.

    ``starts``/``ends`` are ``None`` when the form is the original shifted by
    nothing (identity map), which is the common case for plain ASCII text.
    """

    text: str
    starts: list[int] | None = None
    ends: list[int] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map ``text[start:end]`` back to a span of the original text."""
        if self.starts is None or self.ends is None:
            return start, end
        if start >= end:
            origin = self.starts[start] if start < len(self.starts) else (self.ends[-1] if self.ends else 0)
            return origin, origin
        return self.starts[start], self.ends[end - 1]


def _identity(n: int) -> tuple[list[int], list[int]]:
    return list(range(n)), list(range(1, n + 1))


def _rewrite(form: Normalised, pattern: re.Pattern[str], replace: object) -> Normalised:
    """Apply a substitution; each replacement inherits its match's span."""
    text = form.text
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    if form.starts is None or form.ends is None:
        old_starts, old_ends = _identity(len(text))
    else:
        old_starts, old_ends = form.starts, form.ends
    last = 0
    changed = False
    for match in pattern.finditer(text):
        a, b = match.span()
        new = replace(match) if callable(replace) else str(replace)
        if new == match.group(0):
            continue
        changed = True
        pieces.append(text[last:a])
        starts.extend(old_starts[last:a])
        ends.extend(old_ends[last:a])
        if new:
            origin_start = old_starts[a] if a < b else (old_starts[a] if a < len(old_starts) else 0)
            origin_end = old_ends[b - 1] if a < b else origin_start
            pieces.append(new)
            starts.extend([origin_start] * len(new))
            ends.extend([origin_end] * len(new))
        last = b
    if not changed:
        return form
    pieces.append(text[last:])
    starts.extend(old_starts[last:])
    ends.extend(old_ends[last:])
    return Normalised("".join(pieces), starts, ends)


@lru_cache(maxsize=8192)
def fold_char(ch: str) -> str:
    """Fold one non-plain character: invisible, emoji, homoglyph, NFKC, accents."""
    if ch in _INVISIBLE:
        return ""
    if ch in EMOJI_WORDS:
        return f" {EMOJI_WORDS[ch]} "
    if ch in HOMOGLYPHS:
        return HOMOGLYPHS[ch]
    folded = unicodedata.normalize("NFKC", ch).casefold()
    folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    folded = "".join(HOMOGLYPHS.get(c, c) for c in folded if c not in _INVISIBLE)
    if unicodedata.category(ch) == "Zs":
        return " "
    return unicodedata.normalize("NFC", folded)


def light(text: str) -> Normalised:
    form = Normalised(text)
    if _NOT_PLAIN.search(text):
        form = _rewrite(form, _NOT_PLAIN, lambda m: fold_char(m.group(0)))
    lowered = form.text.lower()
    if len(lowered) == len(form.text):
        return Normalised(lowered, form.starts, form.ends)
    return _rewrite(form, re.compile(r"[^\x00-\x7f]|[A-Z]"), lambda m: m.group(0).lower())


def _fold_leet(match: re.Match[str]) -> str:
    whole = match.group(0)
    # A trailing "!" is punctuation ("shit!"), not a letter; "wa$" still reads "was".
    token = whole.rstrip("!")
    tail = whole[len(token):]
    letters = len(_LETTER.findall(token))
    if letters < 2 and letters < len(token) - letters and not _LEET_WORD.fullmatch(token):
        return whole
    return token.translate(_LEET) + tail


def full(base: Normalised, *, keep_doubles: bool = False) -> Normalised:
    """The lexicon form. ``keep_doubles`` collapses long runs to two letters
    instead of one ("killllll" -> "kill"), for the second pass."""
    form = base
    text = base.text
    # Cheap tests first: most texts need few of these steps.
    if _LEET_CHARS.search(text):
        form = _rewrite(form, _LEET_TOKEN, _fold_leet)
    form = _rewrite(form, _SPACED, lambda m: _SEPARATORS.sub("", m.group(0)))
    if "-" in text or "_" in text:
        form = _rewrite(form, _HYPHENS, " ")
    if _WHITESPACE.search(form.text):
        form = _rewrite(form, _WHITESPACE, " ")
    if _REPEATS.search(form.text):
        double = keep_doubles
        form = _rewrite(form, _REPEATS, lambda m: m.group(1) * (2 if double else 1))
    return form


def has_long_runs(form: Normalised) -> bool:
    return _REPEATS.search(form.text) is not None


def normalise_term(term: str) -> str:
    """The form a lexicon term is stored under, so text and terms meet."""
    return full(light(term)).text.strip()
