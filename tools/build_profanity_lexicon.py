"""Build lexicon/data/profanity.yaml and lexicon/data/slur.yaml from surge_profanity.

Source: Surge AI "The Obscenity List" (surge-ai/profanity, commit 77dabf3, MIT licence),
kept in ../shared/data/surge_profanity/profanity_en.csv. Run from the repository root:

    .venv/bin/python tools/build_profanity_lexicon.py [--csv PATH] [--out DIR] [--check]

What it does:

* Rows are grouped by their de-obfuscated reading (``normalise_term`` plus a
  last leet fold for grouping only), so "5h1t", "sh1t" and "s/h/i/t" become
  variants of the entry "shit"; simple inflections ("bitches", "fuckin") join
  their base entry as variants.
* Severity: surge's Mild/Strong/Severe -> 1/2/3. Slurs are at least 2 and a
  Strong or Severe slur is 3.
* Rows tagged racial/ethnic or political (e.g. "china virus"), and rows whose
  reading holds a sexual-orientation/gender-identity or disability slur stem,
  go to ``slur``; everything else to ``profanity``.
* Rows in DROPPED (ambiguous as ordinary, often UK, English, or names and
  places) are left out; MOVED rows live in hand-written lexicons instead.
* Warden's UK terms (UK_PROFANITY, UK_SLURS) are merged in; their severity wins.

``--check`` exits 1 when the files on disk differ from what would be written.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from warden.detectors.normalise import normalise_term  # noqa: E402

DEFAULT_CSV = ROOT.parent / "shared" / "data" / "surge_profanity" / "profanity_en.csv"
DEFAULT_OUT = ROOT / "src" / "warden" / "detectors" / "lexicon" / "data"
SEVERITY = {"mild": 1, "strong": 2, "severe": 3}

# Readings dropped from the source, with the reason. Keys are de-obfuscated
# readings, so "f@g" goes with "fag".
DROPPED: dict[str, str] = {
    # ordinary English words (UK usage especially) or medical/anatomical terms
    "69": "a number", "sixty nine": "a number", "sack": "ordinary word (sacked, sack of)",
    "finger": "ordinary word", "meat": "ordinary word", "booty": "ordinary word (pirate booty)",
    "breasts": "medical (breast cancer)", "anal": "medical", "anus": "medical", "rectum": "medical",
    "vulva": "medical", "sperm": "medical", "sphincter": "medical", "bondage": "not profane",
    "crotch": "ordinary (kicked in the crotch)", "suck": "ordinary word", "spanking": "'spanking new'",
    "snatch": "'bag snatch' in police posts", "muff": "ordinary (ear muff)", "dong": "currency, surname",
    "wang": "surname", "nip": "'nip out', 'nip and tuck'", "puss": "pus, cat", "pussy cat": "a cat",
    "octopussy": "film title", "pecker": "'keep your pecker up' (UK idiom)", "knob": "door knob",
    "nobs": "'nobs' = posh people", "cock": "cockerel, 'cock-up'; UK insult phrases added instead",
    "cocks": "cockerels", "cack": "'cack-handed'", "dick": "a name (Dick Turpin, Cressida Dick); phrases added",
    "dix": "surname", "prick": "'pin prick', 'needle prick'; phrases added", "tits": "blue tits (birds)",
    "sheet": "ordinary word", "coot": "bird ('bald as a coot')", "coot coot": "bird",
    "weiner": "surname", "ramrod": "ordinary word", "peter": "a name", "hooters": "restaurant chain",
    "dipstick": "oil dipstick", "bates": "surname", "bater": "surname", "swine": "swine flu",
    "scut": "'scut work'", "hustler": "ordinary word", "cooties": "childish, not profane",
    "jerk": "'knee-jerk'; in insult.yaml", "dolt": "in insult.yaml", "forked": "ordinary word",
    "fick": "German/Scandinavian word", "fuku": "name", "bbc": "the BBC", "bwc": "initials",
    "bj": "initials", "mfs": "initials", "mfk": "initials", "s&m": "not profane",
    "oral sex": "court-report wording", "oral seks": "court-report wording", "sob": "'to sob' (s.o.b.)",
    "sobs": "'sobs' (s.o.b.s)", "nut butter": "peanut butter", "axe wound": "a literal injury",
    "double pen": "ambiguous", "diddle": "UK 'diddle' = to cheat", "dump a load": "ambiguous",
    "tramp": "UK: homeless person", "slit": "ordinary word", "tart": "jam tart", "hoe": "garden tool",
    "hoes": "garden tools", "loose woman": "'Loose Women' (UK TV)", "twatt": "Twatt, Orkney (a place)",
    "tranny van": "not present", "transvestite": "descriptive term, not a slur",
    "twink": "community slang, not a slur", "bender": "'on a bender' (drinking)",
    "askin": "'4skin' reads as 'askin' (= asking)", "k": "'kkk' reads as the letter 'k'",
    "cox": "surname (c0x)", "hoar": "'hoar frost'", "bastinado": "a punishment, not profanity",
    "vag": "VAG (Volkswagen group)", "leitch": "surname (l3itch)", "niger": "the country and river",
    "jigga": "a rapper's nickname", "jiggas": "a rapper's nickname",
    "shi": "truncated spelling; 'Shi' is a surname", "shis": "truncated spelling",
    "dyke": "place names (Dyke Road, Offa's Dyke); slur phrases added",
    "fag": "UK 'fag' = cigarette; slur phrases added", "fags": "UK 'fags' = cigarettes",
    "gayness": "not a slur", "gayest": "not a slur",
    # racial/ethnic rows that are ordinary English, names or places
    "crow": "a bird", "crows": "birds", "knickers": "UK underwear", "nuggets": "chicken nuggets",
    "nicker": "UK slang for a pound", "nicka": "UK 'nick' = steal", "nickas": "UK 'nick' = steal",
    "jigger": "a bar measure", "spook": "spy (MI5 'spooks')", "spooks": "spies", "gyp": "'giving me gyp' (UK)",
    "greaser": "ordinary word", "buttermilk": "food", "mongrel": "a dog", "abbie": "a name",
    "jim crow": "historical term", "kkk": "organisation name, not a slur", "klan": "organisation name",
    "shiester": "'shyster', not a slur", "sheister": "'shyster', not a slur",
}

KEEP_SHORT: frozenset[str] = frozenset()  # two-letter readings worth keeping (none in this source)

# Rows kept out of this build because a hand-written lexicon owns them.
MOVED: dict[str, str] = {
    "pedo": "criminal_label", "pedos": "criminal_label", "pedoz": "criminal_label",
    "pedophl": "criminal_label", "pedobear": "criminal_label", "pedobears": "criminal_label",
    "molester": "criminal_label", "groper": "criminal_label", "kiddy touch": "criminal_label",
    "kid diddler": "criminal_label", "nonce": "criminal_label", "upskirts": "sexual_offence",
}

# Rows surge tags racial/ethnic that read as ordinary swearing.
NOT_SLURS = frozenset({"apeshit", "apeshite", "ape shit", "ape shite"})
_SLUR_CATEGORIES = ("racial / ethnic", "political")
# Stems of sexual-orientation, gender-identity and disability slurs; a row
# whose reading holds one goes to ``slur`` whatever its surge category.
_SLUR_STEMS = re.compile(
    r"fag|phag|gay|homo|queer|tranny|she ?male|lady ?boy|ladiboy|ladboy|lesbo|dyke|fudge|carpet ?munch"
    r"|shmale|pillow ?biter|bandit|butt pirate|flamer|peter puffer|(?<!s)tard|mongoloid|window licker|spastic|spaz"
)
_INFLECTIONS = ("s", "es", "z", "ez", "ed", "ing", "in", "in'")
_LEET_GROUP = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                             "$": "s", "!": "i", "+": "t", "*": "u", "|": "i"})
_PLAIN = re.compile(r"^[a-z][a-z0-9' -]*$")

# Warden UK additions: (term, severity, variants).
UK_PROFANITY: list[tuple[str, int, list[str]]] = [
    ("fuck", 2, ["fucks", "fuckin", "fucking", "fucked", "f u c k", "fuk", "fck", "fcuk"]),
    ("fuck off", 2, ["fuck off mate", "fack off", "fook off", "eff off"]),
    ("for fuck's sake", 2, ["for fucks sake", "ffs", "for fux sake"]),
    ("what the fuck", 2, ["wtf", "what the actual fuck"]),
    ("cunt", 3, ["cunts", "cunty", "c u n t", "kunt", "kunts", "see you next tuesday"]),
    ("motherfucker", 3, []),
    ("bollocks", 2, ["bollox", "bollocksed", "bollocking", "b0ll0cks", "load of bollocks"]),
    ("wanker", 2, ["wankers", "wank", "wanking", "wanky", "wankstain", "w4nker"]),
    ("twat", 2, ["twats", "twatting", "twatted", "tw@t"]),
    ("bellend", 2, ["bell end", "bell-end", "bellends", "bell ends"]),
    ("knobhead", 2, ["knob head", "knob-head", "knobheads", "nobhead", "nob head", "knobend", "knob end"]),
    ("dickhead", 2, ["dick head", "dickheads", "dikhead"]),
    ("tosser", 2, ["tossers", "tosspot", "tosspots"]),
    ("pillock", 1, ["pillocks"]),
    ("minger", 1, ["mingers", "minging", "mingin", "munter", "munters"]),
    ("slag", 2, ["slags", "slaggy", "slapper", "slappers"]),
    ("git", 1, ["gits", "stupid git", "old git"]),
    ("sod off", 1, ["sod it", "sod you", "sodding", "silly sod", "daft sod", "sod all"]),
    ("bloody", 1, ["bleeding hell", "bloody hell", "bloody useless"]),
    ("bugger", 1, ["bugger off", "buggered", "buggering", "buggery"]),
    ("arse", 1, ["arses", "arsed", "can't be arsed", "cant be arsed", "ar5e", "arse about"]),
    ("arsehole", 2, ["arseholes", "arse hole", "arse-hole", "ar5ehole"]),
    ("shite", 1, ["shitey", "shitehawk", "shitehawks", "load of shite"]),
    ("shit", 1, ["shits", "shitting", "shitty", "sh1t", "shyte", "shitshow", "shit show"]),
    ("bullshit", 1, ["bull shit", "bullsh1t", "bs artist"]),
    ("piss", 1, ["pissing", "pisses", "piss off", "pissed off", "piss take", "piss-take", "pisstake"]),
    ("pisshead", 2, ["pissheads", "piss head"]),
    ("taking the piss", 1, ["take the piss", "takin the piss", "takes the piss"]),
    ("fanny", 1, ["fannies", "fanny about", "fannying about"]),
    ("minge", 2, ["minges", "clunge"]),
    ("shag", 1, ["shagging", "shagged", "shagger"]),
    ("bastard", 2, ["bastards", "b@stard", "barstard", "barsteward", "barstewards"]),
    ("crap", 1, ["crappy", "load of crap", "crapper", "krap"]),
    ("frigging", 1, ["friggin", "frigging hell", "frig off"]),
    ("effing", 1, ["effin", "effing and jeffing"]),
    ("you dick", 2, ["what a dick", "such a dick", "absolute dick", "dicks", "dick move"]),
    ("you prick", 2, ["what a prick", "absolute prick", "pricks", "little prick", "smug prick"]),
    ("you cock", 2, ["what a cock", "absolute cock", "cockwomble", "cockwombles", "cock womble"]),
    ("tits out", 1, ["get your tits out", "tits up", "nice tits"]),
    ("balls up", 1, ["ballsed up", "ballsed", "balls-up", "ballache", "ball ache"]),
    ("screw you", 1, ["screw you mate", "screw the lot of you"]),
    ("bint", 2, ["bints", "silly bint", "stupid bint"]),
    ("todger", 1, ["todgers"]),
    ("omfg", 1, ["stfu", "gtfo"]),
    ("jfc", 1, []),
    ("goddamn", 1, []),
    ("go to hell", 1, ["rot in hell", "burn in hell"]),
]

UK_SLURS: list[tuple[str, int, list[str]]] = [
    ("retard", 3, ["retards", "retarded", "r3tard"]),
    ("chink", 3, ["chinks"]),
    ("gook", 3, ["gooks"]),
    ("jap", 3, ["japs"]),
    ("paki", 3, ["pakis", "pakki", "paki bashing", "paki shop"]),
    ("wog", 3, ["wogs", "golliwog", "golliwogs", "gollywog"]),
    ("gyppo", 3, ["gyppos", "gippo", "gippos", "gypo", "gypos", "gyppy"]),
    ("pikey", 3, ["pikeys", "pikie", "pikies"]),
    ("muzzie", 3, ["muzzies", "muzrat", "muzrats", "moslem scum"]),
    ("yid", 3, ["yids"]),
    ("spastic", 3, ["spastics", "spacker", "spackers", "spakka", "spaccy", "spacka"]),
    ("spaz", 3, ["spazz", "spazzer", "spazzy", "spazzes"]),
    ("mong", 3, ["mongs"]),
    ("schizo", 2, ["schizos"]),
    ("poof", 3, ["poofs", "poofter", "poofters", "pooftah"]),
    ("batty boy", 3, ["batty boys", "batty man", "battyman", "batty bwoy"]),
    ("bum boy", 3, ["bumboy", "bum boys", "bumboys", "bum bandit", "bum bandits"]),
    ("shirt lifter", 3, ["shirtlifter", "shirt lifters", "shirtlifters"]),
    ("nancy boy", 2, ["nancy boys"]),
    ("rug muncher", 3, ["rug munchers", "rugmuncher"]),
    ("lezza", 2, ["lezzer", "lezzers", "lezzas", "lesbo", "lesbos"]),
    ("trannies", 3, ["trannys"]),
    ("troon", 3, ["troons", "trooned"]),
    ("he-she", 3, ["he shes", "she-male"]),
    ("you fag", 3, ["fucking fag", "little fag", "stupid fag", "fag boy", "mega fag"]),
    ("dirty dyke", 3, ["fat dyke", "bull dyke", "bulldyke", "you dyke", "fucking dyke", "dykes"]),
    ("jungle bunny", 3, ["jungle bunnies"]),
    ("bongo bongo land", 3, ["bongo bongo"]),
    ("goat shagger", 3, ["goat shaggers", "goat fucker", "goat fuckers"]),
    ("ching chong", 3, ["chingchong", "ching chang chong"]),
    ("kung flu", 2, []),
    ("chinaman", 2, ["chinamen"]),
    ("kraut", 2, ["krauts"]),
    ("polack", 2, ["polacks", "polak"]),
    ("half caste", 2, ["half-caste", "half castes"]),
    ("go back to your own country", 2, ["go back where you came from", "send them all back"]),
    ("sand nigger", 3, []),
    ("nig nog", 3, ["nig-nog", "nignog"]),
]


@dataclass
class Group:
    term: str | None
    severity: int
    spellings: list[str] = field(default_factory=list)
    from_uk: bool = False

    def add(self, spelling: str) -> None:
        if spelling not in self.spellings:
            self.spellings.append(spelling)


def reading(text: str) -> str:
    """The de-obfuscated reading a row is grouped under."""
    return normalise_term(text).translate(_LEET_GROUP).replace("_", "").strip(" .")


def destination(row: dict[str, str], key: str) -> str:
    if key in NOT_SLURS:
        return "profanity"
    categories = (row["category_1"], row["category_2"], row["category_3"])
    if any(c.startswith(_SLUR_CATEGORIES) for c in categories if c) or _SLUR_STEMS.search(key):
        return "slur"
    return "profanity"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def build(rows: Iterable[dict[str, str]]) -> tuple[dict[str, dict[str, Group]], list[str]]:
    out: dict[str, dict[str, Group]] = {"profanity": {}, "slur": {}}
    report: list[str] = []
    for row in rows:
        text = row["text"].lower()
        key = reading(text)
        if len(key) < 3 and key not in KEEP_SHORT:
            key = key or text
            report.append(f"dropped {text!r}: reads as {key!r}, too short to match safely")
            continue
        if key in DROPPED:
            report.append(f"dropped {text!r}: {DROPPED[key]}")
            continue
        if key in MOVED:
            report.append(f"moved {text!r} to {MOVED[key]}")
            continue
        dest = destination(row, key)
        severity = SEVERITY[row["severity_description"].lower()]
        if dest == "slur":
            severity = max(2, 3 if severity >= 2 else 2)
        group = out[dest].setdefault(key, Group(term=None, severity=0))
        group.add(text)
        if text == key and _PLAIN.match(text):
            group.term = text
            group.severity = severity
        elif group.term is None:
            group.severity = max(group.severity, severity)
    for groups in out.values():
        _merge_inflections(groups)
    _merge_uk(out["profanity"], UK_PROFANITY)
    _merge_uk(out["slur"], UK_SLURS)
    return out, report


def _merge_inflections(groups: dict[str, Group]) -> None:
    for key in sorted(groups, key=len, reverse=True):
        for suffix in _INFLECTIONS:
            base = key[: -len(suffix)]
            if key.endswith(suffix) and len(base) >= 3 and base in groups and base != key:
                target, source = groups[base], groups.pop(key)
                if target.term is None and source.term is not None:
                    target.term, target.severity = source.term, source.severity
                for spelling in source.spellings:
                    target.add(spelling)
                break


def _merge_uk(groups: dict[str, Group], additions: list[tuple[str, int, list[str]]]) -> None:
    """Add the UK terms; a group any of whose spellings reads like one of
    theirs is folded into the UK entry, so no reading belongs to two entries."""
    for term, severity, variants in additions:
        owner = {reading(s): k for k, g in groups.items() for s in [k, *g.spellings]}
        merged = Group(term=term, severity=severity, from_uk=True)
        for spelling in [term, *variants]:
            key = owner.get(reading(spelling))
            other = groups.pop(key, None) if key is not None else None
            if other is not None:
                for s in other.spellings:
                    merged.add(s)
            merged.add(spelling)
        groups[reading(term)] = merged


def _scalar(text: str) -> str:
    plain = re.fullmatch(r"[a-z][a-z0-9 '-]*", text) and text not in {"yes", "no", "on", "off", "null", "true"}
    return text if plain and not text.endswith(" ") else json.dumps(text, ensure_ascii=False)


def render(category: str, groups: dict[str, Group], description: str) -> str:
    lines = [
        "# GENERATED by tools/build_profanity_lexicon.py from surge_profanity (MIT,",
        "# Copyright (c) 2021 Surge AI; licence text in LICENSE-surge_profanity.txt) plus",
        "# Warden UK terms. Edit the script, not this file.",
        f"category: {category}",
        "version: 1",
        f"description: {json.dumps(description)}",
        'source: "surge_profanity (MIT) + Warden UK terms"',
        "entries:",
    ]
    entries = []
    for key, group in groups.items():
        readable = _PLAIN.match(key) and any(normalise_term(s) == key for s in group.spellings)
        term = group.term or (key if readable else group.spellings[0])
        variants = sorted({s for s in group.spellings if s != term and reading(s) != "" and s.strip()})
        entries.append((term, max(group.severity, 1), variants))
    for term, severity, variants in sorted(entries):
        lines.append(f"  - term: {_scalar(term)}")
        lines.append(f"    severity: {severity}")
        if variants:
            lines.append(f"    variants: [{', '.join(_scalar(v) for v in variants)}]")
    return "\n".join(lines) + "\n"


DESCRIPTIONS = {
    "profanity": "Swearing and sexual vulgarity (evidence for R15 abuse and R23 unprofessional tone; "
    "swearing at a situation is not abuse on its own)",
    "slur": "Slurs on protected characteristics: race, ethnicity, religion, sexual orientation, "
    "gender identity and disability (R14 discrimination/hate, inbound hate/abuse)",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="fail if the files on disk are out of date")
    parser.add_argument("--report", action="store_true", help="list every dropped or moved row")
    args = parser.parse_args(argv)
    built, report = build(read_rows(args.csv))
    stale = False
    for category, groups in built.items():
        text = render(category, groups, DESCRIPTIONS[category])
        path = args.out / f"{category}.yaml"
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                print(f"{path} is out of date; run tools/build_profanity_lexicon.py")
                stale = True
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({len(groups)} entries)")
    if args.report:
        print("\n".join(report))
    else:
        print(f"{sum(r.startswith('dropped') for r in report)} rows dropped, "
              f"{sum(r.startswith('moved') for r in report)} moved (--report lists them)")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
