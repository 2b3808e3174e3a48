"""Status HTML to plain text, on markup shaped like Mastodon's own
(docs.joinmastodon.org/spec/microformats and entities/Status#content) and on
hostile markup a remote server could relay."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warden.connectors.mastodon.text import MAX_HTML_CHARS, html_to_text, plain
from warden.domain.messages import TRUNCATED

pytestmark = pytest.mark.doc_fixture


@pytest.mark.parametrize(("html", "text"), [
    ("<p>Hello</p><p>World</p>", "Hello\n\nWorld"),
    ("<p>one<br>two<br />three</p>", "one\ntwo\nthree"),
    ('<p><span class="h-card" translate="no"><a href="https://police.example/@police" class="u-url mention">'
     "@<span>police</span></a></span> hi</p>", "@police hi"),
    ('<p><a href="https://example.org/a/very/long/path" rel="nofollow noopener" target="_blank">'
     '<span class="invisible">https://</span><span class="ellipsis">example.org/a/very</span>'
     '<span class="invisible">/long/path</span></a></p>', "https://example.org/a/very/long/path"),
    ('<p><a href="https://x/tags/a" class="mention hashtag" rel="tag">#<span>Appeal</span></a></p>', "#Appeal"),
    ("<p>5 &lt; 6 &amp;&amp; &quot;x&quot; &#39;y&#39; &#x1F600;</p>", "5 < 6 && \"x\" 'y' \U0001F600"),
    ("<p>&amp;lt;b&amp;gt;</p>", "&lt;b&gt;"),  # unescaped once, never twice
    ("<p>a<script>alert(1)</script>b<style>p{color:red}</style>c</p>", "abc"),
    ("<p>x<script>unclosed", "x"),
    ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
    ("<blockquote><p>quoted</p></blockquote><p>reply</p>", "quoted\n\nreply"),
    ("<p>  spaced \t  out\u00a0here </p>", "spaced out here"),
    ("<p>bell\x07 and\x00 nul</p>", "bell and nul"),
    ('<img src=x onerror="alert(1)"><p>after</p>', "after"),
    ("plain text, no markup", "plain text, no markup"),
    ("", ""),
    ("<p></p>", ""),
])
def test_mastodon_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize("value", [None, 5, ["<p>x</p>"], {"a": 1}])
def test_anything_but_a_string_is_no_text(value: object) -> None:
    assert html_to_text(value) == ""
    assert plain(value, 10) == ""


def test_oversized_html_is_cut_and_marked() -> None:
    text = html_to_text("<p>" + "word " * (MAX_HTML_CHARS // 4) + "</p>")
    assert text.endswith(TRUNCATED)
    assert len(text) <= MAX_HTML_CHARS + len(TRUNCATED)


def test_plain_bounds_and_flattens() -> None:
    assert plain("  a\nb\x00c  ", 100) == "a bc"
    assert plain("x" * 500, 200) == "x" * 200


@given(st.text(max_size=300))
def test_any_input_gives_tidy_text(html: str) -> None:
    text = html_to_text(html)
    assert "\x00" not in text
    assert text == text.strip()
    assert "\n\n\n" not in text


@given(st.text(st.characters(exclude_categories=("Z", "C")), min_size=1, max_size=200))
def test_escaped_words_come_back_exactly(words: str) -> None:
    # What Mastodon does to typed text (escape, wrap in <p>) is undone exactly.
    assert html_to_text(f"<p>{html.escape(words)}</p><script>{html.escape(words)}</script>") == words
