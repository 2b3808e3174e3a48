"""The fast-tier model: hashed n-grams into one linear model per category,
each followed by a calibration map, read from plain arrays (no pickles).

Artefact = two files in one directory:

* ``<name>.npz``: ``weights`` (columns x categories, float16), ``bias``,
  ``idf`` (per column), and per category its calibration points;
* ``<name>.json``: categories, thresholds, calibration kinds, featuriser
  settings, what trained it and the measured figures; its ``npz_sha256``
  ties the two together and names the version.

Loading uses ``allow_pickle=False``: an artefact is data, never code.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from warden.detectors.ml.features import (
    FEATURES_VERSION,
    Encoded,
    Featuriser,
    FloatArray,
    IntArray,
    ragged,
    row_sums,
    weighted,
)
from warden.domain.errors import ConfigurationError

FORMAT = 1
MODEL_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_NAME = "fast"


@dataclass(frozen=True, slots=True)
class Calibration:
    """Raw linear score -> probability. ``platt``: ``sigmoid(a * z + b)``;
    ``isotonic``: piecewise-linear through ``(x, y)``, flat beyond the ends.

    A category ``given`` another (index >= 0) is a conditional model: its
    linear score says how likely the category is among texts of the other
    one (an insult among toxic texts), ``sigmoid(a * z + b)`` with ``(a, b)``
    = ``conditional``; the map then reads the product of that and the other
    category's probability, P(other) x P(this | other)."""

    kind: str
    x: FloatArray
    y: FloatArray
    given: int = -1
    conditional: tuple[float, float] = (1.0, 0.0)

    def apply(self, z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        if self.kind == "platt":
            a, b = float(self.x[0]), float(self.x[1])
            return 1.0 / (1.0 + np.exp(-(a * z + b)))
        return np.interp(z, self.x, self.y)


@dataclass(frozen=True, slots=True)
class Contribution:
    """A word or a word pair of one text and how much it pushed a category's
    raw score (weight x feature value)."""

    text: str
    start: int
    end: int
    weight: float
    is_word: bool


class LinearModel:
    def __init__(self, featuriser: Featuriser, weights: FloatArray, bias: FloatArray,
                 categories: Sequence[str], thresholds: Sequence[float], calibrations: Sequence[Calibration],
                 name: str, version: str, meta: dict[str, Any] | None = None) -> None:
        self.featuriser = featuriser
        self.weights = weights
        self.bias = bias
        self.categories = tuple(categories)
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.calibrations = tuple(calibrations)
        self.name = name
        self.version = version
        self.meta = meta or {}
        f = featuriser
        self.description = (f"hashed word 1-2 and character {f.char_min}-{f.char_max} n-grams, calibrated logistic "
                            "regression")

    def raw(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Linear scores, one row per text, one column per category."""
        return self.score(texts)[1]

    def score(self, texts: Sequence[str], trace: bool = False) -> tuple[Encoded, npt.NDArray[np.float64]]:
        """The weighted features of a batch and its linear scores."""
        encoded = self.featuriser.transform(texts, trace)
        parts = weighted(encoded, self.weights)
        return replace(encoded, parts=parts), row_sums(parts, encoded.indptr) + self.bias

    def calibrate(self, raw: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out = np.empty_like(raw)
        for k, calibration in enumerate(self.calibrations):
            if calibration.given < 0:
                out[:, k] = calibration.apply(raw[:, k])
        for k, calibration in enumerate(self.calibrations):
            if calibration.given >= 0:
                a, b = calibration.conditional
                share = 1.0 / (1.0 + np.exp(-(a * raw[:, k] + b)))
                out[:, k] = calibration.apply(np.clip(out[:, calibration.given], 0.0, 1.0) * share)
        return np.clip(out, 0.0, 1.0)

    def probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        if not texts:
            return np.zeros((0, len(self.categories)))
        return self.calibrate(self.raw(texts))

    def log_odds(self, raw: npt.NDArray[np.float64], probabilities: npt.NDArray[np.float64]
                 ) -> npt.NDArray[np.float64]:
        """Each category's score on a log-odds scale, monotone in its probability
        but without the calibration map's flat steps: the linear score, or for a
        conditional category (whose linear score is P(cat | given)) the logit
        of its probability. What the deeper tier's blend reads."""
        out = np.array(raw, dtype=np.float64)
        for k, calibration in enumerate(self.calibrations):
            if calibration.given >= 0:
                p = np.clip(probabilities[:, k], 1e-6, 1 - 1e-6)
                out[:, k] = np.log(p / (1 - p))
        return out

    def _parts(self, encoded: Encoded, rows: Sequence[int]) -> _Parts:
        """Each chosen row's tokens' and word pairs' parts of every category's
        raw score (needs a batch scored with ``trace=True``)."""
        trace = encoded.trace
        if trace is None or encoded.values is None:
            raise ValueError("explanations need a batch scored with trace=True")
        k = len(self.categories)
        chosen = np.zeros(encoded.rows, dtype=bool)
        chosen[np.asarray(rows, dtype=np.int64)] = True
        weighted_parts = encoded.parts if encoded.parts is not None else weighted(encoded, self.weights)
        per_count = (1.0 / encoded.counts).astype(np.float32)

        def parts(at: IntArray) -> FloatArray:
            # an entry seen ``count`` times in its text: each occurrence holds 1/count of its part
            return np.asarray(weighted_parts.take(at, axis=0) * per_count.take(at)[:, None], dtype=np.float32)

        token_mask = chosen[trace.token_row]
        own: FloatArray = np.zeros((int(token_mask.sum()), k), dtype=np.float32)
        if len(own):
            occurrence_mask = np.repeat(token_mask, trace.own_lengths)
            lengths = trace.own_lengths[token_mask]
            offsets = np.zeros(len(lengths), dtype=np.int64)
            np.cumsum(lengths[:-1], out=offsets[1:])
            own = np.add.reduceat(parts(trace.own_at[occurrence_mask]), offsets, axis=0)
        pair_mask = chosen[trace.token_row[trace.pair_left]] if len(trace.pair_left) else np.zeros(0, dtype=bool)
        pair_left, pair_right = trace.pair_left[pair_mask], trace.pair_right[pair_mask]
        pairs = parts(trace.pair_at[pair_mask]) if len(pair_left) else \
            np.zeros((0, k), dtype=np.float32)
        # Chosen tokens are compressed in order: a chosen row's tokens start at the
        # number of chosen tokens before it.
        own_start = np.concatenate(([0], np.cumsum(np.diff(trace.token_ptr) * chosen)))[:-1]
        pair_owner = trace.token_row[pair_left]
        every = np.arange(encoded.rows)
        pair_from = np.searchsorted(pair_owner, every, side="left")
        pair_to = np.searchsorted(pair_owner, every, side="right")
        local = trace.token_ptr[pair_owner] if len(pair_left) else pair_left
        return _Parts(trace.tokens, trace.token_ptr, own, own_start, pairs, pair_from, pair_to,
                      pair_left - local, pair_right - local)

    def explain_rows(self, encoded: Encoded, rows: Sequence[int]) -> list[Explanation]:
        """Explanations for some rows of a batch scored with ``trace=True``:
        how much each token, and each word pair, adds to each category's raw
        score. With the bias they sum to it."""
        p = self._parts(encoded, rows)
        out: list[Explanation] = []
        for r in sorted(rows):
            a, b = int(p.token_ptr[r]), int(p.token_ptr[r + 1])
            at = int(p.own_start[r])
            pa, pb = int(p.pair_from[r]), int(p.pair_to[r])
            out.append(Explanation(p.tokens[a:b], p.own[at:at + b - a], p.pair_left[pa:pb], p.pair_right[pa:pb],
                                   p.pairs[pa:pb]))
        return out

    def rank_hits(self, encoded: Encoded, hits: npt.NDArray[np.bool_], n: int = 3) -> list[Hit]:
        """For every (row, category) in ``hits``: the row's tokens, its ``n``
        strongest positive parts and its strongest word, ranked for the whole
        batch at once (same result as ``Explanation.ranked``)."""
        r = self.ranking(encoded, hits, n)
        parts: list[list[tuple[int | tuple[int, int], float]]] = [[] for _ in r.rows]
        left, right = r.pair_left.tolist(), r.pair_right.tolist()
        for h, w, v in zip(r.part_hit.tolist(), r.part_which.tolist(), r.part_value.tolist(), strict=True):
            parts[h].append((w, v) if w >= 0 else ((left[-1 - w], right[-1 - w]), v))
        ptr = r.token_ptr.tolist()
        return [Hit(row, c, r.tokens[ptr[row]:ptr[row + 1]], Ranked(found, b if b >= 0 else None))
                for row, c, found, b in zip(r.rows.tolist(), r.categories.tolist(), parts, r.best.tolist(),
                                            strict=True)]

    def ranking(self, encoded: Encoded, hits: npt.NDArray[np.bool_], n: int = 3) -> Ranking:
        """The ranking of ``rank_hits`` as flat arrays (the detector's fast path)."""
        hit_rows, hit_cats = np.nonzero(hits)
        if len(hit_rows) == 0:
            empty = np.zeros(0, dtype=np.int64)
            trace = encoded.trace
            return Ranking(empty, empty, empty, empty, empty, np.zeros(0, dtype=np.float32), empty, empty,
                           [] if trace is None else trace.tokens,
                           np.zeros(1, dtype=np.int64) if trace is None else trace.token_ptr)
        p = self._parts(encoded, np.unique(hit_rows).tolist())
        n_tokens = np.diff(p.token_ptr)[hit_rows]
        n_pairs = (p.pair_to - p.pair_from)[hit_rows]
        own_index = ragged(p.own_start[hit_rows], n_tokens)
        own_hit = np.repeat(np.arange(len(hit_rows)), n_tokens)
        own_value = p.own[own_index, hit_cats[own_hit]]
        pair_index = ragged(p.pair_from[hit_rows], n_pairs)
        pair_hit = np.repeat(np.arange(len(hit_rows)), n_pairs)
        pair_value = p.pairs[pair_index, hit_cats[pair_hit]] if len(pair_index) else np.zeros(0, dtype=np.float32)
        # local token index of each candidate; pairs marked by -1 - (pair index)
        own_local = own_index - np.repeat(p.own_start[hit_rows], n_tokens)
        value = np.concatenate((own_value, pair_value))
        hit = np.concatenate((own_hit, pair_hit))
        which = np.concatenate((own_local, -1 - pair_index))
        positive = np.flatnonzero(value > 0)  # only parts that raise the score are shown
        # by hit, then by value descending (stable): a positive float32's bits sort as its value does
        bits = value[positive].astype(np.float32).view(np.int32).astype(np.int64)
        order = positive[np.argsort((hit[positive] << 32) | (0x7FFFFFFF - bits), kind="stable")]
        hit_sorted = hit[order]
        group_start = np.searchsorted(hit_sorted, np.arange(len(hit_rows)))
        rank = np.arange(len(order)) - group_start[hit_sorted]
        keep = order[rank < n]
        # strongest word: the first own part in each hit's ranking (own parts come
        # before pairs in ``value``, so on a tie the word wins, as in ``ranked``)
        is_own = order < len(own_value)
        own_order = order[is_own]
        own_group = hit[own_order]
        first = np.r_[True, own_group[1:] != own_group[:-1]] if len(own_order) else np.zeros(0, dtype=bool)
        best = np.full(len(hit_rows), -1)
        best[own_group[first]] = own_local[own_order[first]]
        return Ranking(hit_rows, hit_cats, best, hit[keep], which[keep], value[keep], p.pair_left, p.pair_right,
                       p.tokens, p.token_ptr)

    def explain(self, text: str) -> Explanation:
        encoded, _ = self.score([text], trace=True)
        return self.explain_rows(encoded, [0])[0]


@dataclass(frozen=True, slots=True)
class Explanation:
    """One text's tokens and their parts of each category's raw score:
    ``own`` (unigram and character n-grams, ``tokens x categories``) and
    ``pairs`` (bigram of tokens ``left`` and ``right``, ``pairs x categories``)."""

    words: list[str]
    own: npt.NDArray[np.floating[Any]]
    left: IntArray
    right: IntArray
    pairs: npt.NDArray[np.floating[Any]]

    def total(self) -> npt.NDArray[np.float64]:
        """Sum of all parts per category (raw score minus bias)."""
        return np.asarray(self.own.sum(axis=0) + self.pairs.sum(axis=0), dtype=np.float64)

    def ranked(self, categories: Sequence[int], n: int = 3) -> list[Ranked]:
        """For each category: its ``n`` strongest positive parts (a token
        index, or ``(left, right)`` for a word pair, with its weight) and the
        token adding most. One ranking pass for all categories of the text."""
        own = self.own[:, categories]
        weights = np.concatenate((own, self.pairs[:, categories]))
        if len(weights) == 0:
            return [Ranked([], None) for _ in categories]
        order = np.argsort(-weights, axis=0, kind="stable")[:n]
        values = np.take_along_axis(weights, order, axis=0).T.tolist()
        order_lists = order.T.tolist()
        n_own = len(self.words)
        if n_own:
            best = np.argmax(own, axis=0)
            best_list = best.tolist()
            best_positive = (own[best, np.arange(len(categories))] > 0).tolist()
        else:
            best_list, best_positive = [0] * len(categories), [False] * len(categories)
        left, right = self.left.tolist(), self.right.tolist()
        out: list[Ranked] = []
        for c in range(len(categories)):
            parts: list[tuple[int | tuple[int, int], float]] = []
            for index, weight in zip(order_lists[c], values[c], strict=True):
                if weight <= 0:
                    break
                parts.append((index if index < n_own else (left[index - n_own], right[index - n_own]), weight))
            out.append(Ranked(parts, best_list[c] if best_positive[c] else None))
        return out

    def top(self, category: int, spans: Sequence[tuple[int, int]], n: int = 3) -> list[Contribution]:
        """The ``n`` strongest positive words or word pairs for one category;
        ``spans`` are the tokens' spans in the text (``token_spans``)."""
        return self.contributions(self.ranked([category], n)[0], spans)

    def contributions(self, ranked: Ranked, spans: Sequence[tuple[int, int]]) -> list[Contribution]:
        return contributions(self.words, ranked, spans)

    def strongest_word(self, category: int) -> int | None:
        """Index of the token that adds most to the category, if any adds."""
        return self.ranked([category], 1)[0].strongest


@dataclass(frozen=True, slots=True)
class _Parts:
    tokens: list[str]
    token_ptr: IntArray
    own: FloatArray  # chosen tokens x categories
    own_start: IntArray  # per batch row: its first token in ``own``
    pairs: FloatArray  # chosen pairs x categories
    pair_from: IntArray  # per batch row: its pairs in ``pairs``
    pair_to: IntArray
    pair_left: IntArray  # token index within its text
    pair_right: IntArray


@dataclass(frozen=True, slots=True)
class Ranking:
    """Hits of a batch, ranked: hit ``h`` is category ``categories[h]`` of row
    ``rows[h]``, ``best[h]`` its strongest word (a token index within the
    row, -1 for none); its ``n`` strongest positive parts are the entries of
    ``part_hit`` equal to ``h`` (in order), each a token index within the row
    (``part_which`` >= 0) or the word pair ``pair_left/right[-1 - part_which]``,
    adding ``part_value`` to the raw score. ``tokens`` of row ``r`` are
    ``tokens[token_ptr[r]:token_ptr[r + 1]]``."""

    rows: IntArray
    categories: IntArray
    best: IntArray
    part_hit: IntArray
    part_which: IntArray
    part_value: FloatArray
    pair_left: IntArray
    pair_right: IntArray
    tokens: list[str]
    token_ptr: IntArray


@dataclass(frozen=True, slots=True)
class Hit:
    """A category a row crossed the threshold for, with that row's tokens and ranking."""

    row: int
    category: int
    words: list[str]
    ranked: Ranked


def contributions(words: Sequence[str], ranked: Ranked, spans: Sequence[tuple[int, int]]) -> list[Contribution]:
    """A ranking as readable parts: the word or word pair, its span and weight."""
    found: list[Contribution] = []
    for index, weight in ranked.parts:
        if isinstance(index, tuple):
            a, b = index
            found.append(Contribution(f"{words[a]} {words[b]}", spans[a][0], spans[b][1], weight, False))
        else:
            found.append(Contribution(words[index], spans[index][0], spans[index][1], weight, True))
    return found


@dataclass(frozen=True, slots=True)
class Ranked:
    """One category's strongest parts of one text (see ``Explanation.ranked``)."""

    parts: list[tuple[int | tuple[int, int], float]]
    strongest: int | None

    def last_token(self) -> int:
        """The furthest token any part or the strongest word needs."""
        furthest = -1 if self.strongest is None else self.strongest
        for index, _ in self.parts:
            furthest = max(furthest, index[1] if isinstance(index, tuple) else index)
        return furthest


def _pair(array: npt.NDArray[Any]) -> tuple[float, float]:
    a, b = (float(v) for v in array.astype(np.float64).tolist())
    return a, b


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_meta(directory: Path = MODEL_DIR, name: str = DEFAULT_NAME) -> dict[str, Any]:
    path = directory / f"{name}.json"
    try:
        meta: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except OSError as error:
        raise ConfigurationError(f"ml model {name!r} not found in {directory}: run training/train_classifiers.py") \
            from error
    return meta


def version_of(meta: dict[str, Any]) -> str:
    return f"{meta['name']}-{meta['format']}+{str(meta['npz_sha256'])[:10]}"


def load_model(directory: Path = MODEL_DIR, name: str = DEFAULT_NAME) -> LinearModel:
    meta = read_meta(directory, name)
    npz_path = directory / f"{name}.npz"
    if meta.get("format") != FORMAT or meta["featuriser"].get("features_version") != FEATURES_VERSION:
        raise ConfigurationError(f"ml model {name!r} was built for another format; retrain it")
    if _sha256(npz_path) != meta["npz_sha256"]:
        raise ConfigurationError(f"ml model {name!r}: {npz_path.name} does not match {name}.json")
    with np.load(npz_path, allow_pickle=False) as arrays:
        weights = arrays["weights"].astype(np.float32)
        bias = arrays["bias"].astype(np.float64)
        idf = arrays["idf"].astype(np.float32)
        vocabulary = dict(zip(arrays["vocab"].tolist(), arrays["vocab_logp"].astype(np.float64).tolist(), strict=True))
        given = meta.get("given") or [-1] * len(meta["categories"])
        calibrations = [
            Calibration(kind, arrays[f"cal_x_{k}"].astype(np.float64), arrays[f"cal_y_{k}"].astype(np.float64),
                        int(given[k]), _pair(arrays[f"cond_{k}"]) if int(given[k]) >= 0 else (1.0, 0.0))
            for k, kind in enumerate(meta["calibration"])
        ]
        if any(g >= 0 and given[g] >= 0 for g in given):
            raise ConfigurationError(f"ml model {name!r}: a conditional category is conditioned on another one")
    settings = meta["featuriser"]
    featuriser = Featuriser(bits=int(settings["bits"]), char_min=int(settings["char_min"]),
                            char_max=int(settings["char_max"]), idf=idf, vocabulary=vocabulary,
                            segment_min=int(settings["segment_min"]), replace_min=int(settings["replace_min"]))
    return LinearModel(featuriser, weights, bias, meta["categories"], meta["thresholds"], calibrations,
                       name=meta["name"], version=version_of(meta), meta=meta)


def save_model(directory: Path, name: str, arrays: dict[str, npt.NDArray[Any]], meta: dict[str, Any]) -> Path:
    """Write ``<name>.npz`` and ``<name>.json`` (training side)."""
    directory.mkdir(parents=True, exist_ok=True)
    npz_path = directory / f"{name}.npz"
    # Written by hand so that the same arrays give the same bytes (savez stamps the time).
    with zipfile.ZipFile(npz_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for key in sorted(arrays):
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            archive.writestr(info, buffer.getvalue(), compresslevel=9)
    meta = {**meta, "name": name, "format": FORMAT, "npz_sha256": _sha256(npz_path)}
    (directory / f"{name}.json").write_text(json.dumps(meta, indent=1, sort_keys=False) + "\n", "utf-8")
    return npz_path
