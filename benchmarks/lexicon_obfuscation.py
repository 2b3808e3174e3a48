"""Lexicon recall on plain texts and on obfuscated copies of them.

    PYTHONPATH=src .venv/bin/python benchmarks/lexicon_obfuscation.py [--copies 3] [--seed 1312]

Each case in benchmarks/data/lexicon_cases.jsonl lists the lexicon categories
it should produce. The plain run finds the words that carry those categories;
each obfuscated copy rewrites exactly those words with one technique picked
by a seeded RNG: leetspeak, spaced letters, repeated letters, zero-width
insertion, Cyrillic homoglyphs, full-width letters or mixed case (with a
random-case overlay a quarter of the time). The same generator is imported by
tests/detectors/lexicon/test_lexicon_obfuscation.py, so the test and this
table measure the same thing.

Feasibility rules, because some rewrites are unreadable or ambiguous even
for a person, and the normaliser deliberately leaves some shapes alone:

* only words of three or more letters are rewritten ("i", "is" are left);
* spaced letters only for a word whose neighbours are not single letters or
  themselves spaced ("what a m u p p e t" reads as "amuppet" to anyone);
* leetspeak keeps at least two real letters and no more digits than letters
  (the normaliser leaves mostly-digit tokens alone so that identifiers and
  times survive), and never uses "1" for "l";
* repeated letters: one letter repeated, not several.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from warden.detectors.base import TextItem  # noqa: E402
from warden.detectors.lexicon.detector import LexiconDetector  # noqa: E402

CASES = ROOT / "benchmarks" / "data" / "lexicon_cases.jsonl"
SEED = 1312
COPIES = 3

TECHNIQUES = ("leet", "spaced", "repeat", "zero_width", "homoglyph", "fullwidth", "mixed_case")
_LEET = {"a": "4@", "e": "3", "i": "1", "o": "0", "s": "5$", "t": "7"}
# Standard Cyrillic confusables (Unicode confusables.txt), not the normaliser's table.
_CYRILLIC = {"a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "i": "і", "s": "ѕ",
             "j": "ј", "h": "һ", "d": "ԁ", "q": "ԛ", "w": "ԝ", "l": "ӏ"}
_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True, slots=True)
class Case:
    text: str
    expected: tuple[str, ...]
    note: str = ""


@dataclass
class Tally:
    expected: Counter[str] = field(default_factory=Counter)
    plain: Counter[str] = field(default_factory=Counter)
    obfuscated: Counter[str] = field(default_factory=Counter)
    obfuscated_expected: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)
    clean_cases: int = 0
    clean_with_findings: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)

    def recall(self, category: str | None = None) -> tuple[float, float]:
        if category is None:
            e, p = sum(self.expected.values()), sum(self.plain.values())
            oe, o = sum(self.obfuscated_expected.values()), sum(self.obfuscated.values())
        else:
            e, p = self.expected[category], self.plain[category]
            oe, o = self.obfuscated_expected[category], self.obfuscated[category]
        return (p / e if e else 1.0), (o / oe if oe else 1.0)

    def ratio(self, category: str | None = None) -> float:
        plain, obfuscated = self.recall(category)
        return obfuscated / plain if plain else 1.0


def load_cases(path: Path = CASES) -> list[Case]:
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not isinstance(row.get("text"), str) or not isinstance(row.get("expected"), list):
            raise ValueError(f"{path.name}:{n}: needs 'text' (string) and 'expected' (list)")
        cases.append(Case(row["text"], tuple(row["expected"]), row.get("note", "")))
    return cases


# -- the generator -----------------------------------------------------------

def _leet(word: str, rng: random.Random) -> str | None:
    spots = [i for i, ch in enumerate(word) if ch.lower() in _LEET]
    if not spots:
        return None
    for _ in range(8):
        chosen = [i for i in spots if rng.random() < 0.5] or [rng.choice(spots)]
        chars = list(word)
        for i in chosen:
            chars[i] = rng.choice(_LEET[word[i].lower()])
        letters = sum(c.isalpha() for c in chars)
        if letters >= 2 and letters >= len(chars) - letters:
            return "".join(chars)
    i = rng.choice(spots)
    return word[:i] + _LEET[word[i].lower()][0] + word[i + 1:]


def _repeat(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    return word[:i] + word[i] * rng.randint(4, 6) + word[i + 1:]


def _zero_width(word: str, rng: random.Random) -> str:
    chars = list(word)
    for _ in range(rng.randint(1, 2)):
        chars.insert(rng.randint(1, len(chars) - 1), rng.choice(_ZERO_WIDTH))
    return "".join(chars)


def _homoglyph(word: str, rng: random.Random) -> str | None:
    spots = [i for i, ch in enumerate(word) if ch.lower() in _CYRILLIC]
    if not spots:
        return None
    chars = list(word)
    for i in rng.sample(spots, min(len(spots), rng.randint(1, 2))):
        chars[i] = _CYRILLIC[word[i].lower()]
    return "".join(chars)


def _fullwidth(word: str) -> str:
    return "".join(chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in word)


def _mixed_case(word: str, rng: random.Random) -> str:
    for _ in range(8):
        out = "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in word)
        if out != word:
            return out
    return word.swapcase()


def _spaced_ok(text: str, start: int, end: int, spaced: list[tuple[int, int]]) -> bool:
    before, after = text[:start], text[end:]
    if before and not before[-1].isspace() and before[-1] not in "\"'(":
        return False  # inside a hashtag or glued to punctuation
    prev = re.search(r"(\S+)\s*$", before)
    nxt = re.match(r"\s*(\S+)", after)
    for neighbour in (prev.group(1) if prev else "", nxt.group(1) if nxt else ""):
        if len(re.sub(r"[^A-Za-z]", "", neighbour)) == 1:
            return False
    return not any(abs(s - end) <= 1 or abs(start - e) <= 1 for s, e in spaced)


def obfuscate(text: str, spans: Iterable[tuple[int, int]], rng: random.Random) -> str:
    """Rewrite every word of three or more letters that overlaps ``spans``."""
    spans = list(spans)
    words = [m for m in _WORD.finditer(text) if len(m.group()) >= 3
             and any(m.start() < e and s < m.end() for s, e in spans)]
    pieces: list[str] = []
    last = 0
    spaced: list[tuple[int, int]] = []
    for m in words:
        word, start, end = m.group(), m.start(), m.end()
        new: str | None = None
        options = list(TECHNIQUES)
        rng.shuffle(options)
        for technique in options:
            if technique == "leet":
                new = _leet(word, rng)
            elif technique == "spaced":
                if len(word) <= 12 and _spaced_ok(text, start, end, spaced):
                    new = " ".join(word)
                    spaced.append((start, end))
            elif technique == "repeat":
                new = _repeat(word, rng)
            elif technique == "zero_width":
                new = _zero_width(word, rng)
            elif technique == "homoglyph":
                new = _homoglyph(word, rng)
            elif technique == "fullwidth":
                new = _fullwidth(word)
            else:
                new = _mixed_case(word, rng)
            if new is not None:
                if technique not in ("mixed_case", "fullwidth", "spaced") and rng.random() < 0.25:
                    new = "".join(c.upper() if c.isascii() and rng.random() < 0.5 else c for c in new)
                break
        pieces.append(text[last:start])
        pieces.append(new if new is not None else word)
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def obfuscated_copies(case: Case, spans: Sequence[tuple[int, int]], *, seed: int, copies: int,
                      index: int) -> list[str]:
    return [obfuscate(case.text, spans, random.Random(f"{seed}:{index}:{k}")) for k in range(copies)]


# -- the measurement ---------------------------------------------------------

def evaluate(detector: LexiconDetector, cases: Sequence[Case], *, seed: int = SEED,
             copies: int = COPIES) -> Tally:
    tally = Tally()
    for index, case in enumerate(cases):
        expected = set(case.expected)
        findings = detector.detect_one(TextItem(case.text))
        found = {f.category for f in findings}
        if not expected:
            tally.clean_cases += 1
            tally.clean_with_findings += bool(found)
        for category in found - expected:
            tally.unexpected[category] += 1
        spans = [(f.start, f.end) for f in findings if f.category in expected]
        variants = obfuscated_copies(case, spans, seed=seed, copies=copies, index=index) if expected else []
        for category in expected:
            tally.expected[category] += 1
            tally.plain[category] += category in found
            if category not in found:
                tally.misses.append(("plain", category, case.text))
        for variant in variants:
            seen = {f.category for f in detector.detect_one(TextItem(variant))}
            for category in expected:
                tally.obfuscated_expected[category] += 1
                tally.obfuscated[category] += category in seen
                if category not in seen and category in found:
                    tally.misses.append(("obfuscated", category, variant))
    return tally


def table(tally: Tally) -> str:
    lines = [f"{'category':<28} {'cases':>5} {'plain':>7} {'obfusc':>7} {'ratio':>6}"]
    for category in sorted(tally.expected):
        plain, obfuscated = tally.recall(category)
        lines.append(f"{category:<28} {tally.expected[category]:>5} {plain:>7.3f} {obfuscated:>7.3f} "
                     f"{tally.ratio(category):>6.3f}")
    plain, obfuscated = tally.recall()
    lines.append(f"{'OVERALL':<28} {sum(tally.expected.values()):>5} {plain:>7.3f} {obfuscated:>7.3f} "
                 f"{tally.ratio():>6.3f}")
    return "\n".join(lines)


def _texts_of_length(cases: Sequence[Case], length: int) -> list[str]:
    """Case texts joined into texts of about ``length`` characters."""
    texts, current = [], ""
    for case in cases:
        current = f"{current} {case.text}".strip()
        if len(current) >= length:
            texts.append(current[:length])
            current = ""
    return texts


def timing(detector: LexiconDetector, cases: Sequence[Case], rounds: int = 20,
           length: int = 150) -> tuple[float, float, float]:
    """Microseconds per text to normalise and to match, and the mean length."""
    texts = _texts_of_length(cases, length)
    items = [TextItem(t) for t in texts * rounds]
    start = time.perf_counter()
    for item in items:
        _ = item.full_forms
    normalise = time.perf_counter() - start
    start = time.perf_counter()
    detector.detect(items)
    match = time.perf_counter() - start
    mean_len = sum(map(len, texts)) / len(texts)
    return normalise / len(items) * 1e6, match / len(items) * 1e6, mean_len


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lexicon recall on plain and obfuscated texts")
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--copies", type=int, default=COPIES)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args(argv)
    detector = LexiconDetector()
    cases = load_cases(args.cases)
    tally = evaluate(detector, cases, seed=args.seed, copies=args.copies)
    print(f"lexicon {detector.version}: {len(cases)} cases, {args.copies} obfuscated copies each, seed {args.seed}")
    print(table(tally))
    print(f"clean cases with any finding: {tally.clean_with_findings}/{tally.clean_cases}; "
          f"unexpected category hits: {sum(tally.unexpected.values())}")
    normalise_us, match_us, mean_len = timing(detector, cases)
    print(f"mean text {mean_len:.0f} chars: normalise {normalise_us:.1f} us/text, lexicon match {match_us:.1f} us/text")
    if args.show_misses:
        for kind, category, text in tally.misses:
            print(f"MISS {kind:<10} {category:<28} {text!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
