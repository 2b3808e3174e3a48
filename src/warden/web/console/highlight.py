"""Finding spans to highlighted pieces of text, for the templates (pure, no markup).

Spans index the original text (``Finding.start``/``end``, in code points). Spans
from different reasons may overlap or nest: the text is cut at every span
boundary and each piece carries the (sorted) numbers of the reasons whose
evidence covers it. Spans outside the text, empty or reversed, are ignored, so
a stored decision can never break the page.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Piece:
    text: str
    reasons: tuple[int, ...] = ()  # the 1-based numbers of the reasons covering it; () = plain text

    @property
    def marked(self) -> bool:
        return bool(self.reasons)


def pieces(text: str, spans: Iterable[tuple[int, int, int]]) -> list[Piece]:
    """``spans`` are (start, end, reason number); the pieces cover ``text`` exactly, in order."""
    valid = [(s, e, n) for s, e, n in spans if 0 <= s < e <= len(text)]
    cuts = sorted({0, len(text), *(s for s, _, _ in valid), *(e for _, e, _ in valid)})
    out: list[Piece] = []
    for left, right in itertools.pairwise(cuts):
        covering = tuple(sorted({n for s, e, n in valid if s <= left and right <= e}))
        if out and out[-1].reasons == covering:
            out[-1] = Piece(out[-1].text + text[left:right], covering)
        else:
            out.append(Piece(text[left:right], covering))
    return out
