"""Obfuscated copies of held-out texts, for the ML robustness figures.

Each kind rewrites words the way people dodge filters. Written here from
common practice, independently of Warden's normaliser tables (the
homoglyphs are the usual Cyrillic and Greek look-alikes, whether or not the
normaliser knows them). Deterministic: the same text, kind and seed give the
same copy.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable

LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "b": "8", "g": "9"}
HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "s": "ѕ",
              "h": "һ", "k": "к", "j": "ј", "d": "ԁ", "l": "ӏ", "w": "ԝ", "u": "υ", "v": "ν", "t": "т",
              "n": "ո", "m": "м", "b": "Ь", "r": "г", "g": "ɡ"}
WORD = re.compile(r"[A-Za-z]{3,}")


def leet(word: str, rng: random.Random) -> str:
    out = "".join(LEET.get(c.lower(), c) for c in word)
    return out if out != word else word + "!"


def spacing(word: str, rng: random.Random) -> str:
    return rng.choice([" ", ".", "-", "*"]).join(word)


def repeats(word: str, rng: random.Random) -> str:
    vowels = [i for i, c in enumerate(word) if c.lower() in "aeiouy"] or [len(word) - 1]
    i = rng.choice(vowels)
    return word[:i] + word[i] * rng.randint(3, 6) + word[i + 1:]


def homoglyphs(word: str, rng: random.Random) -> str:
    return "".join(HOMOGLYPHS.get(c, c) if rng.random() < 0.7 else c for c in word)


def invisible(word: str, rng: random.Random) -> str:
    i = rng.randint(1, len(word) - 1)
    return word[:i] + rng.choice(["\u200b", "\u200c", "\u2060", "\u00ad"]) + word[i:]


KINDS: dict[str, Callable[[str, random.Random], str]] = {
    "leet": leet, "spacing": spacing, "repeats": repeats, "homoglyphs": homoglyphs, "invisible": invisible,
}


def mixed(word: str, rng: random.Random) -> str:
    return KINDS[rng.choice(sorted(KINDS))](word, rng)


ALL_KINDS: dict[str, Callable[[str, random.Random], str]] = {**KINDS, "mixed": mixed}


def obfuscate(text: str, kind: str, *, seed: int = 7, share: float = 0.5,
              targets: Iterable[tuple[int, int]] | None = None) -> str:
    """Rewrite words of ``text``: the given ``targets`` (spans), or else
    each word of three or more letters with probability ``share``."""
    rng = random.Random(f"{seed}|{kind}|{text}")
    rewrite = ALL_KINDS[kind]
    if targets is not None:
        spans = sorted(set(targets))
    else:
        spans = [m.span() for m in WORD.finditer(text) if rng.random() < share]
    out: list[str] = []
    last = 0
    for start, end in spans:
        if start < last or end - start < 2:
            continue
        out.append(text[last:start])
        out.append(rewrite(text[start:end], rng))
        last = end
    out.append(text[last:])
    return "".join(out)


def spaced_text(text: str) -> str:
    """Every word spelled out letter by letter ("y o u a r e ..."): the
    normaliser joins the whole run into one long word."""
    return " ".join(" ".join(word) for word in text.split())
