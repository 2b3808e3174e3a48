"""Finding spans to highlighted pieces, and a decision in the policy's words."""

from __future__ import annotations

import pytest

from warden.web.console.explain import explain, plain
from warden.web.console.highlight import Piece, pieces


@pytest.mark.parametrize(("text", "spans", "expected"), [
    ("hello", [], [Piece("hello")]),
    ("", [], []),
    ("an idiot driver", [(3, 8, 1)], [Piece("an "), Piece("idiot", (1,)), Piece(" driver")]),
    ("an idiot driver", [(3, 15, 1), (3, 8, 2)],
     [Piece("an "), Piece("idiot", (1, 2)), Piece(" driver", (1,))]),
    ("abcdef", [(0, 3, 1), (2, 6, 2)], [Piece("ab", (1,)), Piece("c", (1, 2)), Piece("def", (2,))]),
    ("abc", [(0, 3, 1), (0, 3, 1)], [Piece("abc", (1,))]),
    ("abc", [(2, 1, 1), (-1, 2, 1), (1, 9, 1), (1, 1, 1)], [Piece("abc")]),  # broken spans are ignored
    ("a😀b", [(1, 2, 1)], [Piece("a"), Piece("😀", (1,)), Piece("b")]),
])
def test_pieces_cover_the_text_exactly(text: str, spans: list[tuple[int, int, int]], expected: list[Piece]) -> None:
    got = pieces(text, spans)
    assert got == expected
    assert "".join(p.text for p in got) == text


def test_explain_numbers_reasons_and_names_the_standards() -> None:
    reasons = [
        {"rule": "R15", "category": "R15", "title": "Abuse, insults or bullying", "action": "hold",
         "principles_2014": ["Respect"], "principles_2024": ["Respect and empathy"], "standards": ["S2", "X9"],
         "why": "Insulting people ...", "safer_alternative": "Describe what the person did.",
         "evidence": [{"start": 8, "end": 20, "text": "idiot driver"}, {"start": 8, "end": 13, "text": "idiot"}]},
        {"rule": "R11", "category": "R11", "title": "Police information", "action": "block", "why": "PNC ...",
         "evidence": [{"start": "x", "end": None}]},
    ]
    explained = explain("Another idiot driver", "block", reasons, {"S2": "Authority, respect and courtesy"})
    assert explained.action_label == "Blocked" and explained.tone == "bad"
    first, second = explained.reasons
    assert (first.number, second.number) == (1, 2)
    assert [(s.code, s.name) for s in first.standards] == [("S2", "Authority, respect and courtesy"), ("X9", "")]
    assert first.evidence == ("idiot driver", "idiot") and second.evidence == ()
    assert [p.text for p in explained.pieces if p.marked] == ["idiot driver"]
    assert explained.categories == ("R15", "R11")
    assert plain("x").pieces == (Piece("x"),) and not plain("x").reasons
