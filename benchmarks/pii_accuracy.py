"""UK personal-data detection: Warden's "pii" detector against Microsoft Presidio.

Scores both on two tables of invented cases built from the HMRC, DVLA, Royal
Mail, NHS, Luhn and Ofcom format rules, plus hard negatives:
benchmarks/data/uk_pii_cases.jsonl, written alongside the recognisers (a
regression table), and benchmarks/data/uk_pii_holdout.jsonl, written by a
different engineer without reading the recognisers (the held-out figure).
A predicted span is a true positive when it has the expected
category and overlaps the expected substring. Recall counts expected spans
found; precision counts predicted spans that match an expected one.

Presidio runs fully offline: a blank spaCy English pipeline is saved under
benchmarks/.cache/ and handed to its NlpEngineProvider (no model download),
with the pattern recognisers it has for UK data switched on.

    PYTHONPATH=src .venv/bin/python benchmarks/pii_accuracy.py
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TABLE = HERE / "data" / "uk_pii_cases.jsonl"
CACHE = HERE / ".cache"
sys.path.insert(0, str(ROOT / "src"))

from warden.detectors.base import TextItem  # noqa: E402
from warden.detectors.pii.detectors import CATEGORIES, PiiDetector  # noqa: E402

Span = tuple[str, int, int]  # category, start, end
Predictor = Callable[[Sequence[str]], list[list[Span]]]

# Presidio entity type -> our category
PRESIDIO_MAP = {
    "PHONE_NUMBER": "pii.uk_phone",
    "EMAIL_ADDRESS": "pii.email",
    "UK_POSTCODE": "pii.uk_postcode",
    "UK_NINO": "pii.uk_nino",
    "UK_VEHICLE_REGISTRATION": "pii.uk_vehicle_reg",
    "UK_NHS": "pii.nhs_number",
    "CREDIT_CARD": "pii.payment_card",
}


HOLDOUT = HERE / "data" / "uk_pii_holdout.jsonl"


def load_cases(table: Path = TABLE) -> list[dict[str, Any]]:
    with table.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def expected_spans(case: dict[str, Any]) -> list[Span]:
    text = case["text"]
    spans = []
    for e in case["expected"]:
        start = text.index(e["text"])
        spans.append((e["category"], start, start + len(e["text"])))
    return spans


def warden_predictor() -> Predictor:
    detector = PiiDetector()

    def predict(texts: Sequence[str]) -> list[list[Span]]:
        out = detector.detect([TextItem(t) for t in texts])
        return [[(f.category, f.start, f.end) for f in found] for found in out]

    return predict


def _offline_tldextract() -> None:
    """Presidio's e-mail recogniser calls tldextract, which fetches the Public
    Suffix List from the internet by default; use the snapshot it ships."""
    try:
        import tldextract
        import tldextract.tldextract as module
    except ImportError:
        return
    module.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def presidio_predictor() -> tuple[Predictor, set[str]] | None:
    """Presidio with a blank spaCy pipeline and its UK-relevant recognisers."""
    try:
        import spacy
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer import predefined_recognizers as pr
        from presidio_analyzer.nlp_engine import NlpEngineProvider
    except ImportError as exc:  # the "bench" extra is not installed
        print(f"Presidio unavailable ({exc}); install the 'bench' extra", file=sys.stderr)
        return None
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    _offline_tldextract()
    model = CACHE / "spacy_blank_en"
    if not (model / "config.cfg").exists():
        model.parent.mkdir(parents=True, exist_ok=True)
        spacy.blank("en").to_disk(model)
    provider = NlpEngineProvider(
        nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": str(model)}]}
    )
    registry = RecognizerRegistry(supported_languages=["en"])
    wanted = [
        ("PhoneRecognizer", {"supported_regions": ["GB"]}),
        ("EmailRecognizer", {}),
        ("CreditCardRecognizer", {}),
        ("NhsRecognizer", {}),
        ("UkNinoRecognizer", {}),
        ("UkPostcodeRecognizer", {}),
        ("UkVehicleRegistrationRecognizer", {}),
    ]
    entities: list[str] = []
    for name, kwargs in wanted:
        cls = getattr(pr, name, None)
        if cls is None:
            continue  # not in this Presidio version
        recogniser = cls(**kwargs)
        registry.add_recognizer(recogniser)
        entities.extend(recogniser.supported_entities)
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=provider.create_engine(), supported_languages=["en"])
    covered = {PRESIDIO_MAP[e] for e in entities if e in PRESIDIO_MAP}

    def predict(texts: Sequence[str]) -> list[list[Span]]:
        out = []
        for text in texts:
            results = analyzer.analyze(text=text, language="en", entities=entities)
            out.append(
                [(PRESIDIO_MAP[r.entity_type], r.start, r.end) for r in results if r.entity_type in PRESIDIO_MAP]
            )
        return out

    return predict, covered


def score(cases: list[dict[str, Any]], predicted: list[list[Span]]) -> dict[str, tuple[int, int, int, int]]:
    """Per category: (expected found, expected, predictions matching, predictions)."""
    found: Counter[str] = Counter()
    expected: Counter[str] = Counter()
    good: Counter[str] = Counter()
    made: Counter[str] = Counter()
    for case, preds in zip(cases, predicted, strict=True):
        gold = expected_spans(case)
        for cat, a, b in gold:
            expected[cat] += 1
            found[cat] += any(c == cat and s < b and a < e for c, s, e in preds)
        for c, s, e in preds:
            made[c] += 1
            good[c] += any(c == cat and s < b and a < e for cat, a, b in gold)
    return {cat: (found[cat], expected[cat], good[cat], made[cat]) for cat in CATEGORIES}


def prf(row: tuple[int, int, int, int]) -> tuple[float, float, float]:
    found, expected, good, made = row
    p = good / made if made else 1.0
    r = found / expected if expected else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1


def timed(predict: Predictor, texts: list[str], repeat: int) -> tuple[list[list[Span]], float]:
    predicted = predict(texts)  # warm up (and the result we score)
    started = time.perf_counter()
    for _ in range(repeat):
        predict(texts)
    elapsed = time.perf_counter() - started
    return predicted, len(texts) * repeat / elapsed


def main() -> None:
    for table in (TABLE, HOLDOUT):
        report(table)
        print()


def report(table: Path) -> None:
    cases = load_cases(table)
    texts = [c["text"] for c in cases]
    warden_pred, warden_rate = timed(warden_predictor(), texts, repeat=20)
    warden = score(cases, warden_pred)
    presidio_setup = presidio_predictor()
    presidio: dict[str, tuple[int, int, int, int]] | None = None
    covered: set[str] = set()
    presidio_rate = 0.0
    if presidio_setup is not None:
        predict, covered = presidio_setup
        presidio_pred, presidio_rate = timed(predict, texts, repeat=2)
        presidio = score(cases, presidio_pred)

    negatives = sum(1 for c in cases if not c["expected"])
    print(f"UK PII table: {len(cases)} texts ({negatives} hard negatives), {table.relative_to(ROOT)}")
    print("match rule: same category and overlapping span\n")
    header = (
        f"{'category':<22} {'support':>7} | {'Warden P':>8} {'R':>6} {'F1':>6} | {'Presidio P':>10} {'R':>6} {'F1':>6}"
    )
    print(header)
    print("-" * len(header))
    totals_w = [0, 0, 0, 0]
    totals_p = [0, 0, 0, 0]
    for cat in CATEGORIES:
        row = warden[cat]
        p, r, f1 = prf(row)
        totals_w = [t + v for t, v in zip(totals_w, row, strict=True)]
        line = f"{cat.removeprefix('pii.'):<22} {row[1]:>7} | {p:>8.3f} {r:>6.3f} {f1:>6.3f} | "
        if presidio is not None and cat in covered:
            prow = presidio[cat]
            totals_p = [t + v for t, v in zip(totals_p, prow, strict=True)]
            pp, pr_, pf = prf(prow)
            line += f"{pp:>10.3f} {pr_:>6.3f} {pf:>6.3f}"
        else:
            line += f"{'n/a':>10} {'n/a':>6} {'n/a':>6}"
        print(line)
    print("-" * len(header))
    p, r, f1 = prf((totals_w[0], totals_w[1], totals_w[2], totals_w[3]))
    line = f"{'micro (all)':<22} {totals_w[1]:>7} | {p:>8.3f} {r:>6.3f} {f1:>6.3f} | "
    if presidio is not None:
        pp, pr_, pf = prf((totals_p[0], totals_p[1], totals_p[2], totals_p[3]))
        line += f"{pp:>10.3f} {pr_:>6.3f} {pf:>6.3f}  (Presidio: its {len(covered)} categories only)"
    print(line)
    print()
    print(f"throughput: Warden {warden_rate:,.0f} texts/s", end="")
    print(f"; Presidio {presidio_rate:,.0f} texts/s" if presidio is not None else "; Presidio n/a")


if __name__ == "__main__":
    main()
