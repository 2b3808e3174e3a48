"""Look-alike characters folded to the Latin letters they imitate.

NFKC already folds full-width and mathematical letters; this covers the
Cyrillic, Greek and symbol look-alikes that NFKC keeps apart.
"""

from __future__ import annotations

_PAIRS = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l", "ᴦ": "r", "г": "r",
    "п": "n", "ь": "b", "ɡ": "g", "ո": "n", "ս": "u", "օ": "o",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "μ": "u", "ς": "c",
    "σ": "o",
    # Latin variants and symbols
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ß": "ss", "æ": "ae",
    "œ": "oe", "ɑ": "a", "ɩ": "i", "ʋ": "u", "ʏ": "y", "ᴀ": "a", "ʙ": "b", "ᴄ": "c",
    "ᴅ": "d", "ᴇ": "e", "ғ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴋ": "k",
    "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ᴛ": "t", "ᴜ": "u",
    "ᴠ": "v", "ᴡ": "w", "ᴢ": "z", "ⅰ": "i", "ⅴ": "v", "ⅹ": "x",
    # Punctuation people use for letters or as quote look-alikes
    "‘": "'", "’": "'", "ʼ": "'", "`": "'", "“": '"', "”": '"', "„": '"',
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    "€": "€",
}

HOMOGLYPHS: dict[str, str] = dict(_PAIRS)
# Upper-case Cyrillic and Greek look-alikes fold the same way.
for _ch, _latin in _PAIRS.items():
    _upper = _ch.upper()
    if _upper != _ch and len(_upper) == 1:
        HOMOGLYPHS.setdefault(_upper, _latin)
