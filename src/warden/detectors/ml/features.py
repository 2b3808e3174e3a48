"""Hashed word and character n-gram features, shared by training and runtime.

The text given is the engine's ``full`` normal form (case-folded, leetspeak,
spacing, homoglyphs and repeats already folded). From it we take:

* word unigrams (words, where a word may hold masking asterisks as in
  "f***ing", and single punctuation marks such as ``£`` or ``!``) and word
  bigrams;
* character 3-5-grams inside each word, padded with spaces like
  scikit-learn's ``char_wb``, read from the word with every run of one letter
  squeezed to one ("kill" and "kil" share them), so a stretched or shortened
  spelling still lands on the same features.

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

FEATURES_VERSION = 3
_TOKEN = re.compile(r"\w[\w*]*|[^\w\s]")
_SQUEEZE = re.compile(r"(.)\1+")
_CACHE_LIMIT = 200_000
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(23)

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


def _is_word(token: str) -> bool:
    return token[0].isalnum() or token[0] == "_"


def token_spans(text: str, tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Spans in ``text`` of its tokens (as the featuriser read them). Tokens
    cover every non-space character in order, so each is the first match of
    itself after the previous one."""
    spans: list[tuple[int, int]] = []
    find = text.find
    position = 0
    for token in tokens:
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
    """Turns normalised texts into tf-idf rows of hashed n-grams."""

    def __init__(self, bits: int = 18, char_min: int = 3, char_max: int = 5, idf: FloatArray | None = None) -> None:
        self.bits = bits
        self.n_features = 1 << bits
        self.mask = self.n_features - 1
        self.char_min = char_min
        self.char_max = char_max
        self.idf: npt.NDArray[np.float64] | None = None if idf is None else idf.astype(np.float64)
        self._cache: dict[str, tuple[IntArray, int]] = {}

    def config(self) -> dict[str, int]:
        return {"features_version": FEATURES_VERSION, "bits": self.bits, "char_min": self.char_min,
                "char_max": self.char_max}

    def _entry(self, token: str) -> tuple[IntArray, int]:
        """A token's own columns (unigram, then character n-grams) and its
        32-bit hash for bigrams (-1 for punctuation, which makes no bigrams)."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        mask = self.mask
        crc = zlib.crc32(("w:" + token).encode("utf-8"))
        columns = [crc & mask]
        word = _is_word(token)
        if word:
            padded = " " + _SQUEEZE.sub(r"\1", token.replace("*", "")) + " "
            length = len(padded)
            for n in range(self.char_min, min(self.char_max, length) + 1):
                columns.extend(zlib.crc32(("c:" + padded[i:i + n]).encode("utf-8")) & mask
                               for i in range(length - n + 1))
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
        arrays: list[IntArray] = []
        hashes: list[int] = []
        word_token: list[int] = []
        tokens_flat: list[str] = []
        per_text = np.empty(n, dtype=np.int64)
        words_per_text = np.empty(n, dtype=np.int64)
        entry, cache, findall = self._entry, self._cache, _TOKEN.findall
        for i, text in enumerate(texts):
            tokens = findall(text)
            per_text[i] = len(tokens)
            before = len(hashes)
            for token in tokens:
                found = cache.get(token) or entry(token)
                arrays.append(found[0])
                if found[1] >= 0:
                    hashes.append(found[1])
                    word_token.append(len(arrays) - 1)
            words_per_text[i] = len(hashes) - before
            if trace:
                tokens_flat.extend(tokens)
        if not arrays:
            empty = np.zeros(0, dtype=np.int64)
            indptr = np.zeros(n + 1, dtype=np.int64)
            kept = Trace([], empty, indptr, empty, empty, empty, empty, empty) if trace else None
            return Encoded(indptr, empty, np.zeros(0), trace=kept)
        own = np.concatenate(arrays)
        own_lengths = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
        token_row = np.repeat(np.arange(n, dtype=np.int64), per_text)
        own_row = np.repeat(token_row, own_lengths)
        word_row = np.repeat(np.arange(n, dtype=np.int64), words_per_text)
        word_hash = np.asarray(hashes, dtype=np.uint64)
        same = word_row[1:] == word_row[:-1]
        pair_columns = self._pairs(word_hash[:-1][same], word_hash[1:][same])
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
            words = np.asarray(word_token, dtype=np.int64)
            token_ptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(per_text, out=token_ptr[1:])
            kept = Trace(tokens_flat, token_row, token_ptr, own, own_lengths, pair_columns,
                         words[:-1][same], words[1:][same])
        return Encoded(indptr, unique & self.mask, counts, trace=kept)

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
