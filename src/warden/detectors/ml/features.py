"""Hashed word and character n-gram features, shared by training and runtime.

The text given is the engine's ``full`` normal form (case-folded, leetspeak,
spacing, homoglyphs and repeats already folded). From it we take:

* word unigrams (words, where a word may hold masking asterisks as in
  "f***ing", and single punctuation marks such as ``£`` or ``!``) and word
  bigrams;
* character 3-5-grams inside each word, padded with spaces like
  scikit-learn's ``char_wb``, read from the word with every run of one letter
  squeezed to one ("kill" and "kil" share them), so a stretched or shortened
  spelling still lands on the same features, and with digits read as the
  letters they imitate in words that mix both ("1d10t" reads "idiot");
* for a long word the training vocabulary does not know, the words it
  splits into ("youareanidiot" from "y o u a r e a n i d i o t", which the
  normaliser joins; hashtags such as "killallcops": see ``Featuriser``).

Unigrams and character n-grams are hashed with CRC-32 (stable across
processes and platforms) into ``2**bits`` columns; a bigram's column mixes
the two words' hashes arithmetically, so bigrams are computed for a whole
batch at once. A token's columns are computed once and cached, which is what
makes this fast: real text repeats its words. Values are sublinear term
frequency times idf, each row scaled to unit length. The arithmetic for one
text is the same whatever batch it comes in, so a text scores the same alone
or in a batch of a thousand.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

FEATURES_VERSION = 5
_TOKEN = re.compile(r"\w[\w*]*|[^\w\s]")
# Digits standing for letters, for words the normaliser left mixed ("1d10t"):
# it folds leetspeak only where letters dominate, to keep "4th" or "m25".
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"})
_HAS_DIGIT = re.compile(r"[0-9]")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_SQUEEZE = re.compile(r"(.)\1+")
_CACHE_LIMIT = 200_000
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(23)

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


def _is_word(token: str) -> bool:
    return token[0].isalnum() or token[0] == "_"


def token_spans(text: str, tokens: Sequence[str], last: int | None = None) -> list[tuple[int, int]]:
    """Spans in ``text`` of its tokens (as the featuriser read them), up to
    token ``last``. Tokens cover every non-space character in order, so each
    is the first match of itself after the previous one."""
    spans: list[tuple[int, int]] = []
    find = text.find
    position = 0
    for token in tokens if last is None else tokens[:last + 1]:
        start = find(token, position)
        position = start + len(token)
        spans.append((start, position))
    return spans


@dataclass(frozen=True, slots=True)
class Trace:
    """Where a batch's features came from, token by token (kept for
    explanations). Tokens are flattened over the batch: ``token_row`` is the
    text each is in, ``token_ptr`` the tokens of each text (CSR), ``own`` every
    token's own columns one token after another (``own_lengths`` each), and
    each bigram is ``pair_columns`` from token ``pair_left`` to ``pair_right``."""

    tokens: list[str]
    token_row: IntArray
    token_ptr: IntArray
    own: IntArray
    own_lengths: IntArray
    pair_columns: IntArray
    pair_left: IntArray
    pair_right: IntArray


@dataclass(frozen=True, slots=True)
class Encoded:
    """A batch as sorted unique columns per row (CSR layout). ``counts``:
    how often each column occurs; ``values``: the weighted, unit-length
    feature values (``None`` before weighting)."""

    indptr: IntArray
    columns: IntArray
    counts: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64] | None = None
    trace: Trace | None = None

    @property
    def rows(self) -> int:
        return len(self.indptr) - 1

    def keys(self, bits: int) -> IntArray:
        """``row << bits | column``, sorted (for looking features up)."""
        rows = np.repeat(np.arange(self.rows, dtype=np.int64), np.diff(self.indptr))
        return (rows << bits) | self.columns


class Featuriser:
    """Turns normalised texts into tf-idf rows of hashed n-grams.

    ``vocabulary`` (word -> log frequency, from the training texts) enables
    segmentation: a long word the vocabulary does not know is also read as
    the known words it can be split into, so "youidiot" (from "y o u i d i o t",
    which the normaliser joins) or the hashtag "killallcops" also give the
    features of "you idiot" or "kill all cops".
    """

    def __init__(self, bits: int = 18, char_min: int = 3, char_max: int = 5, idf: FloatArray | None = None,
                 vocabulary: dict[str, float] | None = None, segment_min: int = 6, replace_min: int = 10) -> None:
        self.bits = bits
        self.n_features = 1 << bits
        self.mask = self.n_features - 1
        self.char_min = char_min
        self.char_max = char_max
        self.idf: npt.NDArray[np.float64] | None = None if idf is None else idf.astype(np.float64)
        self.vocabulary = vocabulary or {}
        self.segment_min = segment_min
        self.replace_min = replace_min
        self._longest = max(map(len, self.vocabulary), default=0)
        self._cache: dict[str, tuple[IntArray, int]] = {}

    def config(self) -> dict[str, int]:
        return {"features_version": FEATURES_VERSION, "bits": self.bits, "char_min": self.char_min,
                "char_max": self.char_max, "segment_min": self.segment_min,
                "replace_min": self.replace_min}

    def _char_columns(self, word: str, out: list[int]) -> None:
        letters = word.replace("*", "")
        if _HAS_DIGIT.search(letters) and _HAS_LETTER.search(letters):
            letters = letters.translate(_LEET)
        padded = " " + _SQUEEZE.sub(r"\1", letters) + " "
        length = len(padded)
        mask = self.mask
        for n in range(self.char_min, min(self.char_max, length) + 1):
            out.extend(zlib.crc32(("c:" + padded[i:i + n]).encode("utf-8")) & mask for i in range(length - n + 1))

    def segment(self, token: str) -> list[str]:
        """The most likely split of an unknown long word into known words
        (unigram model over the vocabulary); [] when there is none."""
        vocabulary = self.vocabulary
        if len(token) < self.segment_min or len(token) > 60 or token in vocabulary or not token.isalpha():
            return []
        n = len(token)
        best: list[tuple[float, int]] = [(0.0, 0)] + [(-np.inf, 0)] * n
        for end in range(1, n + 1):
            for start in range(max(0, end - self._longest), end):
                logp = vocabulary.get(token[start:end])
                if logp is not None and best[start][0] > -np.inf:
                    score = best[start][0] + logp
                    if score > best[end][0]:
                        best[end] = (score, start)
        if best[n][0] == -np.inf:
            return []
        pieces: list[str] = []
        end = n
        while end > 0:
            start = best[end][1]
            pieces.append(token[start:end])
            end = start
        return pieces[::-1] if len(pieces) > 1 else []

    def _entry(self, token: str) -> tuple[IntArray, int]:
        """A token's own columns and its 32-bit hash for bigrams (-1 for
        punctuation, which makes none). Columns: its unigram and character
        n-grams; for an unknown word of ``segment_min`` letters or more that
        splits into known words, also the parts' unigrams and bigrams; from
        ``replace_min`` letters the parts' character n-grams stand in for the
        token's own, so the token reads as the words it hides."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        mask = self.mask
        crc = zlib.crc32(("w:" + token).encode("utf-8"))
        columns = [crc & mask]
        word = _is_word(token)
        if word:
            pieces = self.segment(token) if self.vocabulary else []
            if len(token) < self.replace_min:
                self._char_columns(token, columns)
            hashes = []
            for piece in pieces:
                piece_crc = zlib.crc32(("w:" + piece).encode("utf-8"))
                hashes.append(piece_crc)
                columns.append(piece_crc & mask)
                if len(token) >= self.replace_min:
                    self._char_columns(piece, columns)
            if not pieces and len(token) >= self.replace_min:
                self._char_columns(token, columns)
            if len(hashes) > 1:
                pair = self._pairs(np.asarray(hashes[:-1], dtype=np.uint64), np.asarray(hashes[1:], dtype=np.uint64))
                columns.extend(pair.tolist())
        entry = (np.array(columns, dtype=np.int64), crc if word else -1)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[token] = entry
        return entry

    def _pairs(self, left: npt.NDArray[np.uint64], right: npt.NDArray[np.uint64]) -> IntArray:
        mixed = ((left * _MIX) ^ (right + _MIX)) * _MIX
        return ((mixed >> _SHIFT) & np.uint64(self.mask)).astype(np.int64)

    def counts(self, texts: Sequence[str], trace: bool = False) -> Encoded:
        """Raw term counts: sorted unique columns per row and how often each
        occurs; with ``trace``, also where each came from (for explanations)."""
        n = len(texts)
        entries: list[tuple[IntArray, int]] = []
        tokens_flat: list[str] = []
        per_text = np.empty(n, dtype=np.int64)
        entry, get, findall = self._entry, self._cache.get, _TOKEN.findall
        for i, text in enumerate(texts):
            tokens = findall(text)
            per_text[i] = len(tokens)
            entries.extend([get(t) or entry(t) for t in tokens])
            if trace:
                tokens_flat.extend(tokens)
        if not entries:
            empty = np.zeros(0, dtype=np.int64)
            indptr = np.zeros(n + 1, dtype=np.int64)
            kept = Trace([], empty, indptr, empty, empty, empty, empty, empty) if trace else None
            return Encoded(indptr, empty, np.zeros(0), trace=kept)
        # keys are row << bits | column; 32 bits hold them for batches under 2**(31 - bits) rows
        key_type: type[np.int32] | type[np.int64] = np.int32 if (n << self.bits) < (1 << 31) else np.int64
        own: IntArray = np.concatenate([e[0] for e in entries]).astype(key_type, copy=False)
        own_lengths = np.fromiter([len(e[0]) for e in entries], dtype=np.int64, count=len(entries))
        crcs = np.fromiter([e[1] for e in entries], dtype=np.int64, count=len(entries))
        token_row: IntArray = np.repeat(np.arange(n, dtype=np.int64), per_text).astype(key_type, copy=False)
        own_row = np.repeat(token_row, own_lengths)
        is_word = crcs >= 0
        word_row = token_row[is_word]
        word_hash = crcs[is_word].astype(np.uint64)
        same = word_row[1:] == word_row[:-1]
        pair_columns: IntArray = self._pairs(word_hash[:-1][same], word_hash[1:][same]).astype(key_type)
        keys = np.concatenate(((own_row << self.bits) | own, (word_row[:-1][same] << self.bits) | pair_columns))
        keys.sort()
        first = np.empty(len(keys), dtype=bool)
        first[0] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        counts = np.diff(np.append(starts, len(keys))).astype(np.float64)
        unique = keys[starts]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(unique >> self.bits, minlength=n), out=indptr[1:])
        kept = None
        if trace:
            words = np.flatnonzero(is_word)
            token_ptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(per_text, out=token_ptr[1:])
            kept = Trace(tokens_flat, token_row.astype(np.int64), token_ptr, own.astype(np.int64), own_lengths,
                         pair_columns.astype(np.int64), words[:-1][same], words[1:][same])
        return Encoded(indptr, (unique & self.mask).astype(np.int64), counts, trace=kept)

    def weigh(self, counts: Encoded) -> Encoded:
        """Sublinear tf times idf, rows scaled to unit length."""
        values = np.log(counts.counts) + 1.0
        if self.idf is not None:
            values *= self.idf[counts.columns]
        rows = np.repeat(np.arange(counts.rows), np.diff(counts.indptr))
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=counts.rows))
        norms[norms == 0.0] = 1.0
        values /= norms[rows]
        return Encoded(counts.indptr, counts.columns, counts.counts, values, counts.trace)

    def transform(self, texts: Sequence[str], trace: bool = False) -> Encoded:
        return self.weigh(self.counts(texts, trace))


def linear_scores(encoded: Encoded, weights: FloatArray) -> npt.NDArray[np.float64]:
    """``rows x categories`` dot products. Each row is summed over its own
    columns in column order, so a text scores the same in any batch."""
    if encoded.values is None:
        raise ValueError("weigh the counts first")
    # float32 on both sides: scipy would otherwise copy the weights to float64 on every call
    matrix = sparse.csr_matrix((encoded.values.astype(np.float32), encoded.columns, encoded.indptr),
                               shape=(encoded.rows, weights.shape[0]))
    return np.asarray(matrix @ weights, dtype=np.float64)
