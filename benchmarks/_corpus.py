"""Texts for speed benchmarks: real social-media text from ../shared/data
(tweets, SMS, crisis reports), mixed with the bundled demo samples."""

from __future__ import annotations

import csv
import json
import random
from importlib import resources
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _olid() -> list[str]:
    path = DATA / "olid" / "olid-training-v1.0.tsv"
    with path.open(encoding="utf-8") as handle:
        return [row["tweet"] for row in csv.DictReader(handle, delimiter="\t")]


def _davidson() -> list[str]:
    path = DATA / "davidson_hsol" / "labeled_data.csv"
    with path.open(encoding="utf-8") as handle:
        return [row["tweet"] for row in csv.DictReader(handle)]


def _sms() -> list[str]:
    path = DATA / "sms_spam" / "SMSSpamCollection.tsv"
    with path.open(encoding="utf-8") as handle:
        return [line.split("\t", 1)[1].strip() for line in handle.readlines()[1:] if "\t" in line]


def _demo() -> list[str]:
    lines = resources.files("warden.demo").joinpath("samples.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines]


def texts(n: int, seed: int = 7) -> list[str]:
    pool: list[str] = _demo()
    for source in (_olid, _davidson, _sms):
        try:
            pool += source()
        except OSError:
            continue
    rng = random.Random(seed)
    return [rng.choice(pool) for _ in range(n)]
