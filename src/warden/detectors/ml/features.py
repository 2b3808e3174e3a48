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

Words are hashed with CRC-32, character n-grams with a 64-bit polynomial
of their code points computed for many words at once with numpy (both
stable across processes and platforms), into ``2**bits`` columns; a
bigram's column mixes the two words' hashes arithmetically, so bigrams are
computed for a whole batch at once. A token's columns are computed once and
kept in a table, which is what makes this fast: real text repeats its words.
Values are sublinear term frequency times idf, each row scaled to unit
length. The arithmetic for one text is the same whatever batch it comes in,
so a text scores the same alone or in a batch of a thousand.
"""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import numpy as np
import numpy.typing as npt

FEATURES_VERSION = 6
_TOKEN = re.compile(r"\w[\w*]*|[^\w\s]")
# Digits standing for letters, for words the normaliser left mixed ("1d10t"):
# it folds leetspeak only where letters dominate, to keep "4th" or "m25".
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"})
_HAS_DIGIT = re.compile(r"[0-9]")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_ASTERISK = np.uint32(ord("*"))
_CACHE_LIMIT = 200_000
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(23)
_POLY = np.uint64(0x100000001B3)

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


def _letters(word: str) -> str:
    """Digits read as the letters they imitate, in a word that mixes both."""
    if _HAS_DIGIT.search(word) and _HAS_LETTER.search(word):
        return word.translate(_LEET)
    return word


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


@lru_cache(maxsize=512)
def _skip(n: int) -> re.Pattern[str]:
    return re.compile(r"(?:\s*(?:\w[\w*]*|[^\w\s])){" + str(n) + r"}\s*")


def token_span(text: str, tokens: Sequence[str], index: int) -> tuple[int, int]:
    """Span in ``text`` of token ``index`` (as ``token_spans`` gives it):
    one regular-expression match that steps over the tokens before it."""
    found = _skip(index).match(text)
    if found is None:  # not the featuriser's tokens of this text
        return token_spans(text, tokens, index)[index]
    return found.end(), found.end() + len(tokens[index])


@dataclass(frozen=True, slots=True)
class Trace:
    """Where a batch's features came from, token by token (kept for
    explanations). Tokens are flattened over the batch: ``token_row`` is the
    text each is in, ``token_ptr`` the tokens of each text (CSR), ``own`` every
    token's own columns one token after another (``own_lengths`` each), and
    each bigram is ``pair_columns`` from token ``pair_left`` to ``pair_right``.
    ``own_at`` and ``pair_at``: where each own column and each bigram sits in
    the batch's ``columns``."""

    tokens: list[str]
    token_row: IntArray
    token_ptr: IntArray
    own: IntArray
    own_lengths: IntArray
    pair_columns: IntArray
    pair_left: IntArray
    pair_right: IntArray
    own_at: IntArray
    pair_at: IntArray


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
    parts: FloatArray | None = None  # ``weighted`` by a model's weights, once scored

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

    Every token met is given an id in a table holding its own columns (one
    flat array, a start and a length per id) and its hash for bigrams, so a
    batch is encoded by one dictionary look-up per token and array gathers;
    the tokens a batch meets for the first time are encoded together, their
    character n-grams hashed for all of them at once.
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
        self._prefixes = frozenset(w[:i] for w in self.vocabulary for i in range(1, len(w) + 1))
        self._lock = threading.Lock()
        self._table = _TokenTable()

    def config(self) -> dict[str, int]:
        return {"features_version": FEATURES_VERSION, "bits": self.bits, "char_min": self.char_min,
                "char_max": self.char_max, "segment_min": self.segment_min,
                "replace_min": self.replace_min}

    def segment(self, token: str) -> list[str]:
        """The most likely split of an unknown long word into known words
        (unigram model over the vocabulary); [] when there is none. Among
        equally likely splits, the one whose pieces start earliest."""
        vocabulary = self.vocabulary
        if len(token) < self.segment_min or len(token) > 60 or token in vocabulary or not token.isalpha():
            return []
        n = len(token)
        score = [0.0] + [-np.inf] * n
        back = [0] * (n + 1)
        prefixes, longest, get = self._prefixes, self._longest, vocabulary.get
        for start in range(n):
            base = score[start]
            if base == -np.inf:
                continue
            for end in range(start + 1, min(n, start + longest) + 1):
                piece = token[start:end]
                if piece not in prefixes:
                    break
                logp = get(piece)
                if logp is not None and base + logp > score[end]:
                    score[end] = base + logp
                    back[end] = start
        if score[n] == -np.inf:
            return []
        pieces: list[str] = []
        end = n
        while end > 0:
            start = back[end]
            pieces.append(token[start:end])
            end = start
        return pieces[::-1] if len(pieces) > 1 else []

    def _char_columns(self, words: list[str]) -> tuple[IntArray, IntArray]:
        """Columns of the character n-grams of many words at once, and the
        index of the word each came from. A word is read with its masking
        asterisks dropped, runs of one character squeezed, and a space
        either side (digits standing for letters are already folded, see
        ``_letters``). An n-gram's hash is a polynomial in its code points
        (mod 2**64), salted by ``n``, mixed by a multiply and read from the
        top bits."""
        if not words:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words)) + 2
        codes = np.frombuffer((" " + "  ".join(words) + " ").encode("utf-32-le"), dtype=np.uint32)
        word_of = np.repeat(np.arange(len(words), dtype=np.int64), lengths)
        keep = codes != _ASTERISK
        codes, word_of = codes[keep], word_of[keep]
        keep = np.empty(len(codes), dtype=bool)
        keep[0] = True
        np.not_equal(codes[1:], codes[:-1], out=keep[1:])
        keep[1:] |= word_of[1:] != word_of[:-1]
        codes, word_of = codes[keep].astype(np.uint64), word_of[keep]
        shift = np.uint64(64 - self.bits)
        columns: list[IntArray] = []
        owners: list[IntArray] = []
        hashes = codes
        with np.errstate(over="ignore"):
            for n in range(2, self.char_max + 1):
                hashes = hashes[:-1] * _POLY + codes[n - 1:]
                if n < self.char_min:
                    continue
                inside = word_of[:len(hashes)] == word_of[n - 1:]
                mixed = (hashes[inside] ^ np.uint64(n)) * _MIX
                columns.append(((mixed ^ (mixed >> np.uint64(29))) * _MIX >> shift).astype(np.int64))
                owners.append(word_of[:len(hashes)][inside])
        return np.concatenate(columns), np.concatenate(owners)

    def _encode_new(self, tokens: Sequence[str]) -> None:
        """Encode tokens the table does not hold yet, all at once, and add
        them. A token's own columns: its unigram and character n-grams; for
        an unknown word of ``segment_min`` letters or more that splits into
        known words, also the parts' unigrams and bigrams; from
        ``replace_min`` letters the parts' character n-grams stand in for
        the token's own, so the token reads as the words it hides."""
        mask = self.mask
        word_columns: list[int] = []
        word_owner: list[int] = []
        char_words: list[str] = []
        char_owner: list[int] = []
        pair_left: list[int] = []
        pair_right: list[int] = []
        pair_owner: list[int] = []
        crcs: list[int] = []
        use_vocabulary = bool(self.vocabulary)
        crc32, segment_min = zlib.crc32, self.segment_min
        for index, token in enumerate(tokens):
            crc = crc32(("w:" + token).encode("utf-8"))
            word_columns.append(crc & mask)
            word_owner.append(index)
            if not (token[0].isalnum() or token[0] == "_"):  # punctuation: no pairs, no n-grams
                crcs.append(-1)
                continue
            crcs.append(crc)
            pieces = self.segment(token) if use_vocabulary and len(token) >= segment_min else []
            long = len(token) >= self.replace_min
            if not (long and pieces):
                char_words.append(token if token.isalpha() else _letters(token))
                char_owner.append(index)
            if pieces:
                hashes = [crc32(("w:" + piece).encode("utf-8")) for piece in pieces]
                word_columns.extend([h & mask for h in hashes])
                word_owner.extend([index] * len(hashes))
                pair_left.extend(hashes[:-1])
                pair_right.extend(hashes[1:])
                pair_owner.extend([index] * (len(hashes) - 1))
                if long:
                    char_words.extend(pieces)
                    char_owner.extend([index] * len(pieces))
        char_columns, char_word = self._char_columns(char_words)
        pair_columns = self._pairs(np.asarray(pair_left, dtype=np.uint64), np.asarray(pair_right, dtype=np.uint64))
        owner = np.concatenate((np.asarray(word_owner, dtype=np.int64), np.asarray(pair_owner, dtype=np.int64),
                                np.asarray(char_owner, dtype=np.int64)[char_word]))
        columns = np.concatenate((np.asarray(word_columns, dtype=np.int64), pair_columns, char_columns))
        order = np.argsort(owner, kind="stable")
        lengths = np.bincount(owner, minlength=len(tokens))
        self._table.add(tokens, columns[order], lengths, np.asarray(crcs, dtype=np.int64))

    def _ids(self, tokens: list[str]) -> tuple[IntArray, _TokenTable]:
        """Table ids of ``tokens`` (adding the new ones) and the table they index."""
        with self._lock:
            table = self._table
            try:
                return np.fromiter(map(table.ids.__getitem__, tokens), dtype=np.int64, count=len(tokens)), table
            except KeyError:
                known = table.ids
                new = list(dict.fromkeys([t for t in tokens if t not in known]))
                if len(known) + len(new) > _CACHE_LIMIT:  # start afresh: the batch's own tokens only
                    table = self._table = _TokenTable()
                    new = list(dict.fromkeys(tokens))
                self._encode_new(new)
                return np.fromiter(map(table.ids.__getitem__, tokens), dtype=np.int64, count=len(tokens)), table

    def _pairs(self, left: npt.NDArray[np.uint64], right: npt.NDArray[np.uint64]) -> IntArray:
        with np.errstate(over="ignore"):
            mixed = ((left * _MIX) ^ (right + _MIX)) * _MIX
        return ((mixed >> _SHIFT) & np.uint64(self.mask)).astype(np.int64)

    def counts(self, texts: Sequence[str], trace: bool = False) -> Encoded:
        """Raw term counts: sorted unique columns per row and how often each
        occurs; with ``trace``, also where each came from (for explanations)."""
        n = len(texts)
        findall = _TOKEN.findall
        per_text_tokens = [findall(text) for text in texts]
        per_text = np.fromiter(map(len, per_text_tokens), dtype=np.int64, count=n)
        tokens = list(chain.from_iterable(per_text_tokens))
        if not tokens:
            empty = np.zeros(0, dtype=np.int64)
            indptr = np.zeros(n + 1, dtype=np.int64)
            kept = Trace([], empty, indptr, empty, empty, empty, empty, empty, empty, empty) if trace else None
            return Encoded(indptr, empty, np.zeros(0), trace=kept)
        ids, table = self._ids(tokens)
        own_lengths = table.length.take(ids)
        # keys are row << bits | column; 32 bits hold them for batches under 2**(31 - bits) rows
        key_type: type[np.int32] | type[np.int64] = np.int32 if (n << self.bits) < (1 << 31) else np.int64
        own: IntArray = table.columns.take(ragged(table.start.take(ids), own_lengths)).astype(key_type, copy=False)
        crcs = table.crc.take(ids)
        token_row: IntArray = np.repeat(np.arange(n, dtype=key_type), per_text)
        own_row = np.repeat(token_row, own_lengths)
        is_word = crcs >= 0
        word_row = token_row[is_word]
        word_hash = crcs[is_word].astype(np.uint64)
        same = word_row[1:] == word_row[:-1]
        pair_columns: IntArray = self._pairs(word_hash[:-1][same], word_hash[1:][same]).astype(key_type)
        keys = np.concatenate(((own_row << self.bits) | own, (word_row[:-1][same] << self.bits) | pair_columns))
        order = np.argsort(keys, kind="stable") if trace else None
        keys = keys[order] if order is not None else np.sort(keys)
        first = np.empty(len(keys), dtype=bool)
        first[0] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        counts = np.diff(np.append(starts, len(keys))).astype(np.float64)
        unique = keys[starts]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(unique >> self.bits, minlength=n), out=indptr[1:])
        kept = None
        if order is not None:
            at = np.empty(len(keys), dtype=np.int64)
            at[order] = np.cumsum(first) - 1
            words = np.flatnonzero(is_word)
            token_ptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(per_text, out=token_ptr[1:])
            kept = Trace(tokens, token_row.astype(np.int64), token_ptr, own.astype(np.int64), own_lengths,
                         pair_columns.astype(np.int64), words[:-1][same], words[1:][same], at[:len(own)],
                         at[len(own):])
        return Encoded(indptr, (unique & self.mask).astype(np.int64), counts, trace=kept)

    def weigh(self, counts: Encoded) -> Encoded:
        """Sublinear tf times idf, rows scaled to unit length."""
        values = np.log(counts.counts) + 1.0
        if self.idf is not None:
            values *= self.idf.take(counts.columns)
        rows = np.repeat(np.arange(counts.rows), np.diff(counts.indptr))
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=counts.rows))
        norms[norms == 0.0] = 1.0
        values /= norms[rows]
        return Encoded(counts.indptr, counts.columns, counts.counts, values, counts.trace)

    def transform(self, texts: Sequence[str], trace: bool = False) -> Encoded:
        return self.weigh(self.counts(texts, trace))


class _TokenTable:
    """Tokens met so far: ``ids`` (token -> id) and per id its own columns
    (``columns[start:start + length]``) and its bigram hash (``crc``, -1 for
    punctuation). Arrays grow by doubling; what is written is never changed,
    so a reader holding the arrays may keep using them while tokens are added."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.columns: IntArray = np.zeros(1 << 16, dtype=np.int32)
        self.start: IntArray = np.zeros(1 << 12, dtype=np.int64)
        self.length: IntArray = np.zeros(1 << 12, dtype=np.int64)
        self.crc: IntArray = np.zeros(1 << 12, dtype=np.int64)
        self.used = 0

    def add(self, tokens: Sequence[str], columns: IntArray, lengths: IntArray, crcs: IntArray) -> None:
        first, count = len(self.ids), len(tokens)
        if first + count > len(self.start):
            size = max(2 * len(self.start), first + count)
            self.start, self.length, self.crc = (_grown(a, size) for a in (self.start, self.length, self.crc))
        if self.used + len(columns) > len(self.columns):
            self.columns = _grown(self.columns, max(2 * len(self.columns), self.used + len(columns)))
        starts = np.zeros(count, dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        self.start[first:first + count] = starts + self.used
        self.length[first:first + count] = lengths
        self.crc[first:first + count] = crcs
        self.columns[self.used:self.used + len(columns)] = columns
        self.used += len(columns)
        self.ids.update(zip(tokens, range(first, first + count), strict=True))


def _grown(array: IntArray, size: int) -> IntArray:
    out = np.zeros(size, dtype=array.dtype)
    out[:len(array)] = array
    return out


def ragged(starts: IntArray, lengths: IntArray) -> IntArray:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, lengths)])``, vectorised."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total)


def weighted(encoded: Encoded, weights: FloatArray) -> FloatArray:
    """Every stored feature's value times its column's weights
    (``entries x categories``): the parts of each row's linear scores, and of
    its explanations (one gather from the weights serves both)."""
    if encoded.values is None:
        raise ValueError("weigh the counts first")
    parts: FloatArray = weights.take(encoded.columns, axis=0)
    parts *= encoded.values.astype(np.float32)[:, None]
    return parts


def row_sums(parts: FloatArray, indptr: IntArray) -> npt.NDArray[np.float64]:
    """Per row, the sum of its entries' parts, added in column order, so a
    text scores the same in any batch."""
    out = np.zeros((len(indptr) - 1, parts.shape[1]), dtype=np.float32)
    filled = np.flatnonzero(np.diff(indptr) > 0)
    if len(filled):
        out[filled] = np.add.reduceat(parts, indptr[filled], axis=0)
    return out.astype(np.float64)


def linear_scores(encoded: Encoded, weights: FloatArray) -> npt.NDArray[np.float64]:
    """``rows x categories`` dot products (see ``row_sums``)."""
    return row_sums(weighted(encoded, weights), encoded.indptr)
