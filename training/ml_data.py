"""Read the public data sets in ../shared/data (never copied into the repo)
and the invented sets in training/invented, map them onto Warden's nine
categories, deduplicate, and split by group.

Every example gets one label per category: 1, 0, or UNKNOWN (-1, the data set
says nothing about that category; such rows are left out of that category's
training and scoring). How each data set is mapped is written out in the
loaders below and in the model card.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ml_labels import CATEGORIES, PROFANE, SEXUAL, UNKNOWN, VIOLENT, dedupe_key, split_of
from ml_templates import rows as template_rows

from warden.detectors.base import TextItem

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
INVENTED = Path(__file__).resolve().parent / "invented"

csv.field_size_limit(sys.maxsize)

# CrisisLex T26 events whose tweets are mostly not English are left out;
# the held-out TEST events are never trained or calibrated on.
CRISIS_SKIP = frozenset({"2012_Costa_Rica_earthquake", "2012_Guatemala_earthquake", "2012_Italy_earthquakes",
                         "2012_Venezuela_refinery", "2013_Brazil_nightclub_fire", "2013_Sardinia_floods",
                         "2013_Spain_train_crash", "2013_Lac_Megantic_train_crash"})
CRISIS_TEST_EVENTS = ("2013_Colorado_floods", "2013_Australia_bushfire", "2013_Bohol_earthquake",
                      "2013_Russia_meteor")
CRISIS_URGENT = frozenset({"Affected individuals", "Caution and advice"})

SOURCES = ("toxic_spans", "olid", "davidson", "hatexplain", "stormfront", "sms_spam", "crisislex", "invented")


@dataclass(slots=True)
class Example:
    text: str
    source: str
    group: str
    labels: dict[str, int]
    tags: tuple[str, ...] = ()
    split: str = ""
    norm: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _labels(**known: int | None) -> dict[str, int]:
    out = dict.fromkeys(CATEGORIES, UNKNOWN)
    for name, value in known.items():
        if name not in out:
            raise KeyError(name)
        out[name] = UNKNOWN if value is None else int(value)
    return out


def _clean(**known: int | None) -> dict[str, int]:
    """A text known to be none of the harmful categories, except where given."""
    base: dict[str, int | None] = dict.fromkeys(CATEGORIES, 0)
    base.update(known)
    return _labels(**base)


# --------------------------------------------------------------------------- loaders


def toxic_spans() -> Iterator[Example]:
    """Civil Comments posts with per-rater typed spans (raw ACL-2022 annotations).

    toxicity 1 (every post was toxic to at least half its Civil Comments
    raters), unknown when at least half the span raters ticked "not toxic";
    insult / identity_hate: 1 when at least half the raters marked a span of
    that type, 0 when none did, unknown in between; profanity the same, or 1
    by the swear-word list; threat: 1 when two or more raters marked a Threat
    span (gold) or one did on a violent word (weak), 0 when none did.
    """
    base = DATA / "toxic_spans" / "raw_annotations"
    with (base / "comments.csv").open(encoding="utf-8", newline="") as handle:
        comments = {row["comment_id"]: row["comment_text"] for row in csv.DictReader(handle)}
    workers: dict[str, set[str]] = defaultdict(set)
    not_toxic: dict[str, int] = defaultdict(int)
    by_annotation: dict[str, tuple[str, str]] = {}
    with (base / "annotations.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            cid = row["comment_id"]
            workers[cid].add(row["worker"])
            not_toxic[cid] += row["not toxic"] == "True"
            by_annotation[row["annotation"]] = (cid, row["worker"])
    typed: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    threat_spans: dict[str, list[str]] = defaultdict(list)
    with (base / "spans.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            found = by_annotation.get(row["annotation"])
            if found is None:
                continue
            cid, worker = found
            kind = row["type"].strip()
            typed[cid][kind].add(worker)
            if kind == "Threat":
                text = comments.get(cid, "")
                threat_spans[cid].append(text[int(row["start"]):int(row["end"])].lower())
    for cid, text in comments.items():
        n = len(workers.get(cid, ()))
        if n == 0 or n > 10:  # not annotated, or a quiz post
            continue

        def share(kind: str, cid: str = cid, n: int = n) -> float:
            return len(typed[cid].get(kind, ())) / n

        def vote(kind: str) -> int | None:
            s = share(kind)
            return 1 if s >= 0.5 else (0 if s == 0 else None)

        threat_raters = len(typed[cid].get("Threat", ()))
        tags: list[str] = []
        threat: int | None
        if threat_raters >= 2:
            threat, tags = 1, ["threat_gold"]
        elif threat_raters == 1:
            violent = any(VIOLENT.search(span) for span in threat_spans[cid])
            threat = 1 if violent else None
            if violent:
                tags = ["threat_weak"]
        else:
            threat = 0
        profane = vote("Profane/Obscene")
        low = text.lower()
        if profane != 1 and PROFANE.search(low):
            profane = 1
        labels = _labels(
            toxicity=None if not_toxic[cid] / n >= 0.5 else 1,
            insult=vote("Insult"),
            identity_hate=vote("Identity based Attack"),
            threat=threat,
            profanity=profane,
            sexual=1 if SEXUAL.search(low) else None,
            spam=0, urgency=0, self_harm=0,
        )
        yield Example(text, "toxic_spans", cid, labels, tuple(tags))


def olid() -> Iterator[Example]:
    """OLID training file: OFF -> toxicity; TIN -> insult (targeted insult or
    threat); UNT -> profanity (untargeted); NOT -> none of them."""
    path = DATA / "olid" / "olid-training-v1.0.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            text, a, b = row["tweet"], row["subtask_a"], row["subtask_b"]
            low = text.lower()
            weak_profane = 1 if PROFANE.search(low) else 0
            weak_sexual = 1 if SEXUAL.search(low) else None
            if a == "NOT":
                labels = _clean(profanity=weak_profane, sexual=weak_sexual or 0)
            elif b == "TIN":
                labels = _labels(toxicity=1, insult=1, profanity=weak_profane or None, sexual=weak_sexual,
                                 spam=0, urgency=0, self_harm=0)
            else:  # UNT
                labels = _labels(toxicity=1, insult=0, profanity=1, sexual=weak_sexual, threat=0,
                                 spam=0, urgency=0, self_harm=0)
            yield Example(text, "olid", row["id"], labels, (f"olid_{a}_{b}",))


def davidson() -> Iterator[Example]:
    """Davidson et al.: hate (0) / offensive (1) / neither (2) by majority."""
    path = DATA / "davidson_hsol" / "labeled_data.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            cls = int(row["class"])
            text = row["tweet"].replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
            low = text.lower()
            weak_profane = 1 if PROFANE.search(low) else None
            weak_sexual = 1 if SEXUAL.search(low) else None
            if cls == 2:
                labels = _clean(profanity=weak_profane or 0, sexual=weak_sexual or 0)
            else:
                labels = _labels(toxicity=1, identity_hate=1 if cls == 0 else 0, profanity=weak_profane,
                                 sexual=weak_sexual, spam=0, urgency=0, self_harm=0)
            yield Example(text, "davidson", row[""], labels, (f"davidson_{cls}",))


def hatexplain() -> Iterator[Example]:
    """HateXplain (MAGPIE copy): normal (0) / offensive (1) / hate (2)."""
    path = DATA / "hatexplain_magpie" / "hatexplain_preprocessed.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            label = int(row["label"])
            text = row["text"]
            low = text.lower()
            weak_profane = 1 if PROFANE.search(low) else None
            weak_sexual = 1 if SEXUAL.search(low) else None
            if label == 0:
                labels = _clean(profanity=weak_profane or 0, sexual=weak_sexual or 0)
            else:
                labels = _labels(toxicity=1, identity_hate=1 if label == 2 else 0, profanity=weak_profane,
                                 sexual=weak_sexual, spam=0, urgency=0, self_harm=0)
            yield Example(text, "hatexplain", dedupe_key(text), labels, (f"hatexplain_{label}",))


def stormfront() -> Iterator[Example]:
    """Stormfront sentences: hate / noHate ("relation" and "idk/skip" left out);
    grouped by post (the file_id prefix)."""
    path = DATA / "stormfront_hate" / "stormfront_sentences.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["label"] not in ("hate", "noHate"):
                continue
            hate = row["label"] == "hate"
            text = row["text"]
            low = text.lower()
            weak_profane = 1 if PROFANE.search(low) else None
            weak_sexual = 1 if SEXUAL.search(low) else None
            if hate:
                labels = _labels(toxicity=1, identity_hate=1, profanity=weak_profane, sexual=weak_sexual,
                                 spam=0, urgency=0, self_harm=0)
            else:
                labels = _labels(toxicity=0, identity_hate=0, insult=0, threat=0, profanity=weak_profane or 0,
                                 sexual=weak_sexual or 0, spam=0, urgency=0, self_harm=0)
            post = row["file_id"].split("_", 1)[0]
            yield Example(text, "stormfront", post, labels, (f"stormfront_{row['label']}",))


def sms_spam() -> Iterator[Example]:
    """SMS Spam Collection: spam / ham; neither is abuse."""
    path = DATA / "sms_spam" / "SMSSpamCollection.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        for i, row in enumerate(rows):
            if len(row) < 2:
                continue
            label, text = row[0], row[1]
            low = text.lower()
            weak_profane = 1 if PROFANE.search(low) else 0
            weak_sexual = 1 if SEXUAL.search(low) else (None if label == "spam" else 0)
            labels = _clean(spam=1 if label == "spam" else 0, profanity=weak_profane, sexual=weak_sexual)
            yield Example(text, "sms_spam", str(i), labels, (f"sms_{label}",))


def _mostly_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return not letters or sum(c.isascii() for c in letters) / len(letters) >= 0.8


def crisislex() -> Iterator[Example]:
    """CrisisLex T26 (T6 is not used: it shares tweets with T26). urgency 1 for
    the "Affected individuals" and "Caution and advice" information types,
    0 for the other types and for unrelated tweets; the group is the EVENT."""
    base = DATA / "crisislex" / "CrisisLexT26"
    for event_dir in sorted(p for p in base.iterdir() if p.is_dir()):
        event = event_dir.name
        if event in CRISIS_SKIP:
            continue
        path = next(event_dir.glob("*-tweets_labeled.csv"))
        with path.open(encoding="utf-8", newline="", errors="replace") as handle:
            rows = csv.reader(handle)
            next(rows)
            for row in rows:
                if len(row) < 5:
                    continue
                text, info_type, informativeness = row[1], row[3].strip(), row[4].strip()
                if not _mostly_latin(text):
                    continue
                if info_type in CRISIS_URGENT:
                    urgent: int | None = 1
                elif info_type == "Not labeled":
                    urgent = 0 if informativeness == "Not related" else None
                else:
                    urgent = 0
                low = text.lower()
                labels = _clean(urgency=urgent, profanity=1 if PROFANE.search(low) else 0,
                                sexual=1 if SEXUAL.search(low) else 0)
                yield Example(text, "crisislex", event, labels, (f"crisis_{event}", f"crisis_type_{info_type}"))


def invented() -> Iterator[Example]:
    """Warden's own invented sets (training/invented/*.tsv, see its README).
    Columns: label, kind, text. The file name says the category and the side
    (``<category>_train.tsv`` / ``<category>_test.tsv``). Then the templated
    rows of ml_templates (training and calibration only)."""
    for path in sorted(INVENTED.glob("*.tsv")):
        category, side = path.stem.rsplit("_", 1)
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                if not row or row[0].startswith("#") or row[0] == "label":
                    continue
                label, kind, text = int(row[0]), row[1], row[2]
                yield Example(text, "invented", f"{path.stem}:{text}", _invented_labels(category, kind, label, text),
                              (f"invented_{category}", f"kind_{kind}"), extra={"side": side, "category": category})
    for category, kind, label, text in template_rows():
        yield Example(text, "invented", f"template:{text}", _invented_labels(category, kind, label, text),
                      (f"invented_{category}", f"kind_{kind}", "templated"),
                      extra={"side": "train", "category": category})


def _invented_labels(category: str, kind: str, label: int, text: str) -> dict[str, int]:
    low = text.lower()
    profane = 1 if PROFANE.search(low) else 0
    sexual = 1 if SEXUAL.search(low) else 0
    if category == "self_harm":
        # A disclosure is not abuse and not a threat to others; whether it is
        # "urgent" in the crisis sense is left unknown.
        return _clean(self_harm=label, urgency=None if label else 0, profanity=profane, sexual=sexual)
    if category == "urgency":
        # Reports of violence are not threats by the writer.
        return _clean(urgency=label, self_harm=None if kind == "welfare" else 0, profanity=profane, sexual=sexual)
    if category == "threat":
        if label:
            return _labels(threat=1, toxicity=1, identity_hate=None, insult=None, profanity=profane or None,
                           sexual=sexual or None, spam=0, urgency=0, self_harm=0)
        return _clean(profanity=profane, sexual=sexual)
    if category == "sexual":
        if label:
            return _labels(sexual=1, toxicity=1 if kind == "harassment" else None, spam=0, urgency=0, self_harm=0,
                           threat=None, profanity=profane or None)
        return _clean(profanity=profane)
    if category == "criticism":
        # kind: lawful (criticism, swearing at a situation), abusive (aimed at a person)
        if label:
            return _labels(toxicity=1, insult=1, profanity=profane or None, sexual=sexual or None, spam=0,
                           urgency=0, self_harm=0)
        return _clean(profanity=profane, sexual=sexual)
    if category == "abuse":
        # Every row is abuse aimed at a person or a group (label 1); the kind
        # says which harm. Harms a kind does not speak to are left unknown
        # rather than guessed (a wish for someone's death may or may not be
        # read as a threat; a misogynist sexual remark may or may not be
        # identity hate).
        if kind not in ABUSE_KINDS:
            raise ValueError(f"unknown abuse kind {kind!r}")
        threatening = kind in ("threat", "veiled_threat", "incitement")
        identity = kind in ("identity", "coded")
        return _labels(toxicity=1,
                       insult=None if threatening or identity or kind in ("wish_harm", "doxxing") else 1,
                       threat=1 if threatening else 0 if kind in ABUSE_NOT_THREAT else None,
                       identity_hate=1 if identity else 0 if kind in ABUSE_NOT_IDENTITY else None,
                       sexual=1 if kind == "sexual" else sexual or None,
                       profanity=profane or None, spam=0, urgency=0, self_harm=0)
    if category == "lawful":
        # Hard negatives: lawful criticism, politics from every side, swearing
        # at a situation, sarcasm, reports that quote abuse or describe a
        # threat made against the writer, news, dark humour, lawful talk about protected groups. Never a threat,
        # insult or identity hate by the writer. Toxicity is left unknown where
        # the row swears or quotes abuse (public sets call untargeted swearing
        # offensive; the policy never hides for toxicity alone).
        if kind not in LAWFUL_KINDS:
            raise ValueError(f"unknown lawful kind {kind!r}")
        quoting = kind in ("quoting_report", "threat_report", "news")
        return _clean(toxicity=None if profane or quoting else 0,
                      insult=None if quoting else 0,
                      sexual=None if quoting and sexual else sexual,
                      urgency=None if kind in ("threat_report", "quoting_report") else 0, profanity=profane)
    raise ValueError(f"unknown invented category {category!r}")


ABUSE_KINDS = frozenset({"insult", "dehumanising", "harassment", "sexual", "identity", "coded", "threat",
                         "veiled_threat", "wish_harm", "incitement", "doxxing", "obfuscated", "nonprofane", "long",
                         "third_person", "regional", "reply"})
# Kinds whose rows are known NOT to threaten, or NOT to attack a protected
# group; other kinds mix in rows that might (an obfuscated "I'll k1ll u", a
# dehumanising "he needs putting down", a rant ending "you'll get yours"), so
# they say nothing about that category.
ABUSE_NOT_THREAT = frozenset({"insult", "nonprofane", "regional"})
ABUSE_NOT_IDENTITY = frozenset({"insult", "harassment", "threat", "veiled_threat", "nonprofane", "regional", "reply"})
LAWFUL_KINDS = frozenset({"criticism", "criticism_strong", "complaint", "political", "sarcasm",
                          "swearing_situation", "quoting_report", "threat_report", "news", "dark_humour",
                          "figurative", "supportive", "neutral", "identity_lawful"})


LOADERS: dict[str, Callable[[], Iterator[Example]]] = {
    "toxic_spans": toxic_spans, "olid": olid, "davidson": davidson, "hatexplain": hatexplain,
    "stormfront": stormfront, "sms_spam": sms_spam, "crisislex": crisislex, "invented": invented,
}


def _assign_split(example: Example) -> str:
    if example.source == "crisislex":
        if example.group in CRISIS_TEST_EVENTS:
            return "test"
        # within training events, calibration rows are taken by text
        return "calib" if split_of("crisislex", example.norm) != "train" else "train"
    if example.source == "invented":
        if example.extra["side"] == "test":
            return "test"
        if "templated" in example.tags:
            return "train"  # easy rows would bend calibration and thresholds
        return "calib" if split_of("invented", example.group) != "train" else "train"
    return split_of(example.source, example.group)


def load_all(exclude: tuple[str, ...] = ()) -> list[Example]:
    """Every example, deduplicated on the normalised text (first one wins,
    sources in SOURCES order) BEFORE the split is assigned by group."""
    seen: set[str] = set()
    out: list[Example] = []
    for source in SOURCES:
        for example in LOADERS[source]():
            key = dedupe_key(example.text)
            if not key or key in seen:
                continue
            seen.add(key)
            example.norm = TextItem(example.text).full.text
            example.split = _assign_split(example)
            if source not in exclude:
                out.append(example)
    return out
