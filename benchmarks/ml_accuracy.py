"""Accuracy of Warden's fast-tier classifiers on held-out data, side by side
with alt-profanity-check (PyPI; its model ships in the package).

    .venv/bin/python benchmarks/ml_accuracy.py [--retrain-ablations] [--skip-ablations]

Held-out means: the TEST split of each data set (15 % of the posts, by
post / thread / tweet group, after deduplication on the normalised text, never
trained or calibrated on), whole CrisisLex events never trained on, and
invented test files written separately from the invented training files.
Cross-data-set rows use a model trained WITHOUT any of that data set (an
ablation model, trained here on first run and cached in benchmarks/.cache/ml).

Every table says which data trained the model and which data tested it.
Data sets are read from ../shared/data; nothing is copied.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ml_data import CRISIS_TEST_EVENTS, Example, load_all  # noqa: E402
from ml_labels import UNKNOWN, dedupe_key  # noqa: E402
from train_classifiers import fingerprint, train  # noqa: E402

from apc_recipe import ApcRecipe  # noqa: E402
from ml_obfuscation import ALL_KINDS, obfuscate, spaced_text  # noqa: E402
from warden.detectors.base import TextItem  # noqa: E402
from warden.detectors.ml.detector import CATEGORIES  # noqa: E402
from warden.detectors.ml.model import MODEL_DIR, LinearModel, load_model  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache" / "ml"
CROSS = ("olid", "davidson", "hatexplain", "toxic_spans")
ALL_TRAIN = "all 8 sources, train split"
# alt-profanity-check's authors trained it on Davidson et al. (and Wikipedia
# comments): on those texts it is NOT held out, so those rows favour it.
APC_TRAINED_ON = ("davidson",)


def _warn(message: str) -> None:
    print(f"!! {message}")


class Scorer:
    """A model's calibrated probabilities on original texts (read through the
    engine's normaliser), cached per text."""

    def __init__(self, model: LinearModel) -> None:
        self.model = model
        self.thresholds = dict(zip(CATEGORIES, model.thresholds.tolist(), strict=True))
        self._cache: dict[str, np.ndarray] = {}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        for i in range(0, len(missing), 2048):
            chunk = missing[i:i + 2048]
            probs = self.model.probabilities([TextItem(t).full.text for t in chunk])
            self._cache.update(zip(chunk, probs, strict=True))
        if not texts:
            return np.zeros((0, len(CATEGORIES)))
        return np.vstack([self._cache[t] for t in texts])

    def category(self, texts: Sequence[str], category: str) -> np.ndarray:
        return self(texts)[:, CATEGORIES.index(category)]


class ProfanityCheck:
    def __init__(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from profanity_check import predict_prob
        self._predict = predict_prob
        self._cache: dict[str, float] = {}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._cache.update(zip(missing, self._predict(missing).tolist(), strict=True))
        return np.array([self._cache[t] for t in texts])


@dataclass
class Subset:
    name: str
    texts: list[str]
    labels: np.ndarray


def subset(examples: list[Example], category: str, source: str | None = None,
           keep: Callable[[Example], bool] | None = None, name: str = "") -> Subset:
    chosen = [e for e in examples if e.split == "test" and (source is None or e.source == source)
              and e.labels[category] != UNKNOWN and (keep is None or keep(e))]
    return Subset(name or (source or "all"), [e.text for e in chosen],
                  np.array([e.labels[category] for e in chosen], dtype=int))


def auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[int]) -> None:
    print(f"\n{title}")
    print("".join(f"{h:<{w}}" if i == 0 else f"{h:>{w}}" for i, (h, w) in enumerate(zip(header, widths,
                                                                                          strict=True))))
    for row in rows:
        cells = []
        for i, (cell, w) in enumerate(zip(row, widths, strict=True)):
            text = f"{cell:.3f}" if isinstance(cell, float) else f"{cell:,}" if isinstance(cell, int) else str(cell)
            cells.append(f"{text:<{w}}" if i == 0 else f"{text:>{w}}")
        print("".join(cells))


def ablation(source: str, retrain: bool, production: LinearModel) -> LinearModel:
    name = f"no-{source}"
    meta_path = CACHE / f"{name}.json"
    want = (fingerprint(), production.meta["training"]["c_grid"])
    if meta_path.exists() and not retrain:
        meta = json.loads(meta_path.read_text("utf-8"))
        if (meta["training"].get("fingerprint"), meta["training"]["c_grid"]) == want:
            return load_model(CACHE, name)
        print(f"(ablation model {name} is stale: retraining)")
    print(f"(training ablation model {name}: all sources except {source}; cached in {CACHE})")
    train(CACHE, name, exclude=(source,), quick=len(want[1]) == 1)
    return load_model(CACHE, name)


def compare_rows(examples: list[Example], warden: Scorer, apc: ProfanityCheck, recipe: ApcRecipe, trained: str,
                 plan: Sequence[tuple[str, str, Callable[[Example], bool] | None, str]]) -> list[list[object]]:
    rows: list[list[object]] = []
    for source, category, keep, note in plan:
        s = subset(examples, category, source, keep)
        if len(s.labels) == 0:
            continue
        pw = warden.category(s.texts, category)
        pa = apc(s.texts)
        aw, aa, ar = auc(s.labels, pw), auc(s.labels, pa), auc(s.labels, recipe(s.texts))
        mark = " †" if source in APC_TRAINED_ON else ""
        rows.append([f"{source}{note}{mark}", trained, category, len(s.labels), int(s.labels.sum()), aw, aa, aw - aa,
                     ar, aw - ar, float(f1_score(s.labels, pw >= warden.thresholds[category])),
                     float(f1_score(s.labels, pa >= 0.5))])
    return rows


def recall_at_fpr(pos: np.ndarray, neg: np.ndarray, fpr: float = 0.10) -> tuple[float, float]:
    """Highest recall with false-positive rate <= fpr; and the threshold."""
    threshold = float(np.quantile(neg, 1 - fpr, method="higher")) if len(neg) else 0.5
    # strictly above the quantile keeps FPR <= fpr when scores tie
    threshold = np.nextafter(threshold, np.inf)
    return float((pos >= threshold).mean()), threshold


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retrain-ablations", action="store_true")
    parser.add_argument("--skip-ablations", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()

    production = load_model(MODEL_DIR)
    meta = production.meta
    if meta["training"].get("fingerprint") != fingerprint():
        _warn("the committed model was trained from different code or data than this checkout: retrain it")
    warden = Scorer(production)
    apc = ProfanityCheck()
    examples = load_all()
    print(f"Warden ML accuracy — model {production.version} ({production.description}); "
          f"{len(examples):,} deduplicated examples, test split only unless said")
    print("Trained on: toxic_spans, olid, davidson, hatexplain, stormfront, sms_spam, crisislex (events not held "
          "out), invented (train files) — train split; calibrated and thresholds set on the calib split.")
    print("alt-profanity-check: its own model (trained by its authors on Davidson et al. tweets and Wikipedia "
          "toxic comments), threshold 0.5.")

    # ---------------------------------------------------------------- 1. versus alt-profanity-check
    olid_gold_profanity = (lambda e: "olid_NOT_NULL" in e.tags or "olid_OFF_UNT" in e.tags)  # noqa: E731
    plan = [
        ("olid", "toxicity", None, ""), ("olid", "insult", None, ""),
        ("olid", "profanity", olid_gold_profanity, " (NOT vs UNT)"),
        ("davidson", "toxicity", None, ""), ("davidson", "identity_hate", None, ""),
        ("hatexplain", "toxicity", None, ""), ("hatexplain", "identity_hate", None, ""),
        ("stormfront", "identity_hate", None, ""),
        ("toxic_spans", "insult", None, ""),
        ("toxic_spans", "identity_hate", None, ""), ("toxic_spans", "profanity", None, ""),
    ]
    rows = compare_rows(examples, warden, apc, ApcRecipe(examples), "all (train)", plan)
    if not args.skip_ablations:
        cross_plan = {
            "olid": [("olid", "toxicity", None, ""), ("olid", "insult", None, ""),
                     ("olid", "profanity", olid_gold_profanity, " (NOT vs UNT)")],
            "davidson": [("davidson", "toxicity", None, ""), ("davidson", "identity_hate", None, "")],
            "hatexplain": [("hatexplain", "toxicity", None, ""), ("hatexplain", "identity_hate", None, "")],
            "toxic_spans": [("toxic_spans", "insult", None, ""), ("toxic_spans", "identity_hate", None, ""),
                            ("toxic_spans", "profanity", None, "")],
        }
        for source in CROSS:
            cross = Scorer(ablation(source, args.retrain_ablations, production))
            recipe = ApcRecipe(examples, exclude=(source,))
            rows += compare_rows(examples, cross, apc, recipe, f"all but {source}", cross_plan[source])
    table("1. Offensive / toxic: Warden vs alt-profanity-check (APC), same held-out texts. ROC AUC; F1 at each "
          "model's threshold (Warden: stored per category; APC: 0.5)",
          ["tested on (test split)", "Warden trained on", "category", "n", "pos", "Warden AUC", "APC AUC", "diff",
           "recipe AUC", "diff", "Warden F1", "APC F1"],
          rows, [24, 20, 14, 7, 6, 11, 9, 8, 11, 8, 10, 8])
    print("   recipe = APC's own training recipe fitted on the rows Warden was trained on (benchmarks/apc_recipe.py): "
          "the same data, APC's method.")
    print("   † NOT HELD OUT FOR APC: alt-profanity-check was trained on Davidson et al., so on the davidson rows APC "
          "is scored on its own training data (Warden only on its test split); read those rows as in-sample for APC.")
    fair = [r for r in rows if not str(r[0]).endswith("†")]
    short = [f"{r[0]} {r[2]} ({r[1]}, {r[7]:+.3f}; recipe {r[9]:+.3f})" for r in fair
             if isinstance(r[7], float) and r[7] < 0.05]
    print(f"   Warden >= APC + 0.05 ROC AUC on {len(fair) - len(short)} of {len(fair)} rows held out for both models; "
          f"short on: {', '.join(short) or 'none'}")
    behind = [f"{r[0]} {r[2]} ({r[1]}, {r[9]:+.3f})" for r in fair if isinstance(r[9], float) and r[9] < 0.05]
    print(f"   Warden >= APC's recipe on the same data + 0.05 on {len(fair) - len(behind)} of {len(fair)} rows; "
          f"short on: {', '.join(behind) or 'none'}")
    print("   note: toxic_spans posts are all toxic (Civil Comments raters), so it has no toxicity row; its profanity "
          "labels mix rater-typed Profane spans with the swear-word list (weak).")
    print("   note: 'insult' is P(toxic) x P(insult | toxic); OLID's insult label is TIN (targeted insult or threat) "
          "against NOT and UNT.")

    # ---------------------------------------------------------------- 2. threat
    test = [e for e in examples if e.split == "test"]
    negatives_all = [e.text for e in test if e.labels["threat"] == 0]
    negatives_toxic = [e.text for e in test if e.labels["threat"] == 0 and e.labels["toxicity"] == 1]
    pos_sets = {
        "toxic_spans Threat, 2+ raters": [e.text for e in test if "threat_gold" in e.tags],
        "toxic_spans Threat, 1 rater + violent word": [e.text for e in test if "threat_weak" in e.tags],
        "invented threats (test file)": [e.text for e in test if e.source == "invented"
                                         and e.extra["category"] == "threat" and e.labels["threat"] == 1],
    }
    pn_all = warden.category(negatives_all, "threat")
    pn_tox = warden.category(negatives_toxic, "threat")
    an_all, an_tox = apc(negatives_all), apc(negatives_toxic)
    threshold = warden.thresholds["threat"]
    rows = []
    for name, texts in pos_sets.items():
        pp, pa = warden.category(texts, "threat"), apc(texts)
        r_all, _ = recall_at_fpr(pp, pn_all)
        r_tox, _ = recall_at_fpr(pp, pn_tox)
        a_all, _ = recall_at_fpr(pa, an_all)
        a_tox, _ = recall_at_fpr(pa, an_tox)
        rows.append([name, len(texts), r_all, r_tox, float((pp >= threshold).mean()), a_all, a_tox])
    table(f"2. Threat: recall at FPR <= 0.10 (target >= 0.80). Warden trained on all (train). Negatives: every "
          f"held-out text labelled not-threat (n={len(negatives_all):,}), or only the toxic ones "
          f"(n={len(negatives_toxic):,})",
          ["held-out threat texts", "n", "W all-neg", "W toxic-neg", "W @thr", "APC all-neg", "APC toxic-neg"],
          rows, [44, 5, 11, 12, 9, 12, 14])
    print(f"   at Warden's stored threshold {threshold:.3f}: FPR {float((pn_all >= threshold).mean()):.3f} on all "
          f"negatives, {float((pn_tox >= threshold).mean()):.3f} on toxic negatives")

    # ---------------------------------------------------------------- 3. urgency and self-harm
    rows = []

    def prf(name: str, trained: str, category: str, texts: list[str], y: np.ndarray) -> None:
        p = warden.category(texts, category)
        hit = p >= warden.thresholds[category]
        rows.append([name, trained, category, len(y), int(y.sum()), float(precision_score(y, hit, zero_division=0)),
                     float(recall_score(y, hit, zero_division=0)), float(f1_score(y, hit, zero_division=0)),
                     auc(y, p)])

    for event in CRISIS_TEST_EVENTS:
        s = subset(examples, "urgency", "crisislex", lambda e, ev=event: e.group == ev)
        prf(f"CrisisLex {event} (held-out event)", "other events", "urgency", s.texts, s.labels)
    s = subset(examples, "urgency", "crisislex")
    prf("CrisisLex, 4 held-out events pooled", "other events", "urgency", s.texts, s.labels)
    for category in ("urgency", "self_harm"):
        s = subset(examples, category, "invented", lambda e, c=category: e.extra["category"] == c)
        prf(f"invented {category} test file", "invented train file", category, s.texts, s.labels)
    s = subset(examples, "spam", "sms_spam")
    prf("SMS Spam Collection", "all (train)", "spam", s.texts, s.labels)
    s = subset(examples, "sexual", "invented", lambda e: e.extra["category"] == "sexual")
    prf("invented sexual test file", "invented train file", "sexual", s.texts, s.labels)
    s = subset(examples, "sexual", None, lambda e: e.source != "invented")
    prf("public test splits (weak word-list labels)", "all (train)", "sexual", s.texts, s.labels)
    for category in ("toxicity", "insult", "threat", "identity_hate"):
        s = subset(examples, category, "invented", lambda e: e.extra["category"] in ("abuse", "lawful"))
        prf("invented abuse vs lawful test files", "all (train)", category, s.texts, s.labels)
    table("3. Urgency, self-harm, spam, sexual: precision / recall / F1 at the stored threshold, ROC AUC",
          ["tested on", "trained on", "category", "n", "pos", "prec", "recall", "F1", "AUC"],
          rows, [46, 20, 11, 7, 6, 7, 8, 7, 7])
    public = [e.text for e in test if e.source not in ("invented", "crisislex")]
    probs = warden(public)
    rows = []
    for category in ("self_harm", "urgency", "threat", "spam"):
        k = CATEGORIES.index(category)
        rows.append([category, len(public), float((probs[:, k] >= warden.thresholds[category]).mean())])
    table("   false-alarm rate on public test splits (olid, davidson, hatexplain, stormfront, toxic_spans, sms; "
          "none is a crisis or self-harm set, threat/spam include their real positives)",
          ["category", "n", "flagged"], rows, [14, 8, 9])

    figurative = ["my mixtape is fire", "this traffic is killing me", "I'm dying of laughter",
                  "this hangover is actually killing me, never drinking again",
                  "I'm going to kill it at my driving test tomorrow", "the chef is on fire tonight",
                  "shoot me now, it's another bank holiday in the rain", "my phone's dying, anyone got a charger"]
    probs = warden(figurative)
    where = {dedupe_key(e.text): e.split for e in examples}
    rows = []
    for text, p in zip(figurative, probs, strict=True):
        flagged = [c for c, v in zip(CATEGORIES, p, strict=True) if v >= warden.thresholds[c]]
        rows.append([text[:44], where.get(dedupe_key(text), "unseen"), float(p[CATEGORIES.index("self_harm")]),
                     float(p[CATEGORIES.index("urgency")]), float(p[CATEGORIES.index("threat")]),
                     ", ".join(flagged) or "-"])
    table("   figurative phrases (the brief's examples and similar): where each sits (train/calib = trained or "
          "calibrated on it, test = held out, unseen = in no file)",
          ["text", "split", "self_harm", "urgency", "threat", "flagged"], rows, [46, 8, 10, 9, 8, 24])
    groups: dict[tuple[str, str], list[Example]] = {}
    for e in test:
        if e.source == "invented":
            kind = next(t[5:] for t in e.tags if t.startswith("kind_"))
            groups.setdefault((e.extra["category"], kind), []).append(e)
    rows = []
    abuse_categories = ("toxicity", "insult", "threat", "identity_hate", "sexual")
    for (category, kind), chosen in sorted(groups.items()):
        if category in ("abuse", "lawful"):
            # the abuse and lawful files: flagged = any of the categories the
            # inbound policy acts on (review or more) at its stored threshold
            probs = warden([e.text for e in chosen])
            hit = np.zeros(len(chosen), dtype=bool)
            for name in abuse_categories:
                hit |= probs[:, CATEGORIES.index(name)] >= warden.thresholds[name]
            rows.append([kind, category, len(chosen), float(hit.mean())])
            continue
        p = warden.category([e.text for e in chosen], category)
        rows.append([kind, category, len(chosen), float((p >= warden.thresholds[category]).mean())])
    table("   invented test files by kind: share flagged for the file's own category (disclosure/emergency/direct..."
          " should be high; figurative/news/report/... low; abuse/lawful: any of toxicity, insult, threat, "
          "identity_hate, sexual)",
          ["kind", "category", "n", "flagged"], rows, [16, 12, 5, 9])

    # ---------------------------------------------------------------- 4. obfuscation
    obfuscation_table(examples, warden, apc)
    print(f"\n(done in {time.perf_counter() - started:.0f}s)")


def obfuscation_table(examples: list[Example], warden: Scorer, apc: ProfanityCheck) -> None:
    sets = [
        ("olid OFF", "toxicity", "olid", None),
        ("davidson hate+offensive", "toxicity", "davidson", None),
        ("toxic_spans insult", "insult", "toxic_spans", None),
        ("hatexplain hate", "identity_hate", "hatexplain", None),
        ("threat (all held-out)", "threat", None, None),
        ("invented self_harm", "self_harm", "invented", None),
        ("SMS spam", "spam", "sms_spam", None),
    ]
    kinds = list(ALL_KINDS)
    for mode in ("random", "targeted"):
        rows = []
        for name, category, source, _ in sets:
            s = subset(examples, category, source)
            texts = [t for t, y in zip(s.texts, s.labels, strict=True) if y == 1]
            threshold = warden.thresholds[category]
            base = warden.category(texts, category) >= threshold
            row: list[object] = [name, category, len(texts), float(base.mean())]
            worst = 0.0
            for kind in kinds:
                copies = [obfuscate(t, kind, targets=_targets(warden, t, category) if mode == "targeted" else None)
                          for t in texts]
                recall = float((warden.category(copies, category) >= threshold).mean())
                worst = max(worst, float(base.mean()) - recall)
                row.append(recall)
            row.append(100 * worst)
            if mode == "random":
                row.append(float((warden.category([spaced_text(t) for t in texts], category) >= threshold).mean()))
                a_base = apc(texts) >= 0.5
                a_mixed = apc([obfuscate(t, "mixed") for t in texts]) >= 0.5
                row += [float(a_base.mean()), float(a_mixed.mean())]
            rows.append(row)
        extra = ["all spaced", "APC orig", "APC mixed"] if mode == "random" else []
        what = ("each word of 3+ letters rewritten with probability 0.5" if mode == "random" else
                "the 2 words that drive Warden's score most (white-box attack) rewritten")
        table(f"4{'a' if mode == 'random' else 'b'}. Obfuscated copies of held-out positives ({what}): recall at the "
              "stored threshold. Target: lose at most 5 points. Trained on all (train)."
              + (" 'all spaced': every word of the text spelled out letter by letter (not in 'worst drop'); APC: "
                 "alt-profanity-check on the original and on the mixed copies." if mode == "random" else ""),
              ["held-out positives", "category", "n", "original", *kinds, "worst drop", *extra],
              rows, [24, 14, 6, 9, *[11] * len(kinds), 11, *[11] * len(extra)])


def _targets(warden: Scorer, text: str, category: str) -> list[tuple[int, int]]:
    item = TextItem(text)
    form = item.full
    explanation = warden.model.explain(form.text)
    k = CATEGORIES.index(category)
    order = np.argsort(-explanation.own[:, k])[:2]
    spans = []
    position = 0
    starts: list[tuple[int, int]] = []
    for token in explanation.words:
        start = form.text.find(token, position)
        position = start + len(token)
        starts.append((start, position))
    for i in order.tolist():
        if explanation.own[i, k] > 0 and explanation.words[i][0].isalpha():
            spans.append(form.span(*starts[i]))
    return spans


if __name__ == "__main__":
    main()
