"""Word-boundary aware phrase matching over normalised text, compiled once.

Terms are stored in their normal form (see ``normalise_term``) in one
Aho-Corasick automaton, so a text is scanned once whatever the number of
terms. A term ending in ``*`` matches as a prefix ("fuck*" finds "fucking");
every other term must end on a word boundary.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

import ahocorasick

from warden.detectors.normalise import normalise_term

T = TypeVar("T")


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


class PhraseMatcher(Generic[T]):
    """Maps each term to a payload; ``find`` yields (start, end, payload)."""

    def __init__(self, terms: Iterable[tuple[str, T]]) -> None:
        self._automaton = ahocorasick.Automaton()
        table: dict[str, list[tuple[bool, T]]] = {}
        for raw, payload in terms:
            prefix = raw.endswith("*")
            key = normalise_term(raw[:-1] if prefix else raw)
            if not key:
                continue
            table.setdefault(key, []).append((prefix, payload))
        for key, payloads in table.items():
            self._automaton.add_word(key, (len(key), tuple(payloads)))
        self.size = len(table)
        if table:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[tuple[int, int, T]]:
        if not self.size:
            return []
        found: list[tuple[int, int, T]] = []
        n = len(text)
        for last, (length, payloads) in self._automaton.iter(text):
            start = last - length + 1
            end = last + 1
            if start > 0 and _is_word_char(text[start - 1]) and _is_word_char(text[start]):
                continue
            closed = end >= n or not (_is_word_char(text[end]) and _is_word_char(text[end - 1]))
            for prefix, payload in payloads:
                if prefix:
                    # extend over the rest of the word so the span covers "fucking"
                    stop = end
                    while stop < n and _is_word_char(text[stop]):
                        stop += 1
                    found.append((start, stop, payload))
                elif closed:
                    found.append((start, end, payload))
        return found
