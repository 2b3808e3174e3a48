"""Invented training rows from templates: threats, emergencies and crisis
disclosures in UK English, each set against benign uses of the same words.

Why: the public threat data is mostly "kill / shoot / hang" from North
American news comments, so "I'll glass you" or "you're getting stabbed" are
rare in it; CrisisLex is about disasters, not 999 calls. These rows teach the
shape ("I'll <violent verb> you") and, just as much, what is NOT it ("I'll
smash my driving test", "my car was broken into last week").

They are used for training and calibration only (never for testing: the
invented test files are hand-written separately). Deterministic (seeded).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

SEED = 1729

SUBJECTS = ["I'll", "I will", "I'm going to", "I'm gonna", "im gonna", "we'll", "we're going to", "my boys will",
            "someone's going to", "I swear I'll", "ill", "gonna"]
VIOLENCE = ["stab", "shoot", "kill", "batter", "knife", "glass", "bottle", "slash", "strangle", "burn", "hurt",
            "beat", "punch", "kick the shit out of", "smash the face in of", "break the legs of", "do", "end",
            "shank", "run over", "set fire to", "cut", "hang", "put a bullet in", "petrol bomb the house of"]
TARGETS = ["you", "you and your family", "your kids", "that copper", "the officer who nicked me", "your wife",
           "you and your mates", "PC Walker", "the grass who reported me", "you lot at the station", "him",
           "your missus", "that judge", "the sarge"]
ENDINGS = ["", "", " tonight", " when you least expect it", ", mark my words", " next time I see you", ", you grass",
           ", you pig", " I swear", " after your shift", " on your way home", ". Watch your back", " at the weekend",
           "!!", " and nobody will find you"]

BENIGN_SUBJECTS = ["I'll", "I'm going to", "I'm gonna", "we're going to", "she's going to", "you'll"]
BENIGN = [
    ("kill", ["it at the audition", "time before the train", "the lights", "this box set", "the weeds", "it tonight"]),
    ("smash", ["my driving test", "the exam", "this workout", "the half marathon", "it on Saturday", "the quiz"]),
    ("murder", ["a curry", "a bacon sandwich", "this karaoke song", "a pint"]),
    ("shoot", ["some hoops", "a video for the school", "my shot", "the breeze", "some photos of the sunset"]),
    ("stab", ["the potatoes with a fork", "the film lid a few times", "at a guess"]),
    ("batter", ["the fish", "the competition", "some pancakes"]),
    ("destroy", ["the buffet", "the opposition", "this roast dinner", "my old hard drive"]),
    ("burn", ["some calories", "the bonfire leaves", "a CD for the car", "the midnight oil"]),
    ("beat", ["my personal best", "the traffic", "the eggs", "the queue at the post office"]),
    ("break", ["the news gently", "the record", "for lunch", "a tenner"]),
    ("hang", ["the washing out", "the new pictures", "out at the park", "on a minute"]),
    ("cut", ["the grass", "my hair", "the cake", "back on sugar"]),
    ("glass", ["the front of the shed", "and frame the certificate"]),
]

EMERGENCY_ACTORS = ["someone", "a man", "two men", "a gang of lads", "my ex", "a woman", "a group of youths",
                    "the bloke next door", "a masked man", "somebody"]
EMERGENCY_ACTS = ["is breaking into", "is trying to get into", "has just smashed the window of",
                  "is kicking in the door of", "is setting fire to", "is attacking someone outside",
                  "has a knife outside", "is waving a gun outside", "is fighting with a knife outside",
                  "is climbing into"]
PLACES = ["my house", "the house next door", "my flat", "the shop on the corner", "the school", "my car",
          "the pub on the high street", "the block of flats on Mill Road", "my nan's bungalow", "the station"]
NOW = ["right now", "as we speak", "now, please hurry", "right now!!", "at this moment", "now, send someone",
       "- please help", "now and I'm scared"]
LATER = ["last week", "yesterday", "on Saturday night", "a few days ago", "last month", "over the weekend",
         "while we were on holiday", "back in March"]
PAST_ACTS = ["broke into", "tried to get into", "smashed the window of", "kicked in the door of",
             "set fire to the bins at", "stole from", "damaged", "sprayed graffiti on"]

SELF_HARM = ["kill myself", "end my life", "take all my pills", "jump off the bridge", "hang myself",
             "end it all", "overdose", "cut my wrists", "step in front of a train", "take my own life"]
SELF_WHEN = ["tonight", "tomorrow", "this weekend", "when everyone's asleep", "", "before morning", "today"]
SELF_LEAD = ["I'm going to", "I want to", "I've decided to", "im going to", "I'm ready to", "I just want to",
             "I'm planning to"]
FIGURATIVE_SELF = ["kill it at the gym", "die laughing at this", "end it with him, the relationship is over",
                   "take all my holiday in August", "jump at the chance", "hang the washing out", "overdo it on cake",
                   "cut my hair short", "end the night with a curry", "take my own car", "kill the lights"]


def _pick(rng: random.Random, options: list[str]) -> str:
    return options[rng.randrange(len(options))]


def rows() -> Iterator[tuple[str, str, int, str]]:
    """(category, kind, label, text) rows, deduplicated, in a fixed order."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible data, not security
    seen: set[str] = set()

    def emit(category: str, kind: str, label: int, text: str) -> Iterator[tuple[str, str, int, str]]:
        text = text.strip()
        if text.lower() not in seen:
            seen.add(text.lower())
            yield category, kind, label, text

    for _ in range(300):
        text = f"{_pick(rng, SUBJECTS)} {_pick(rng, VIOLENCE)} {_pick(rng, TARGETS)}{_pick(rng, ENDINGS)}"
        yield from emit("threat", "templated", 1, text)
    for _ in range(260):
        verb, objects = BENIGN[rng.randrange(len(BENIGN))]
        yield from emit("threat", "templated_benign", 0, f"{_pick(rng, BENIGN_SUBJECTS)} {verb} {_pick(rng, objects)}")
    for _ in range(120):
        actor, act, place = _pick(rng, EMERGENCY_ACTORS), _pick(rng, EMERGENCY_ACTS), _pick(rng, PLACES)
        yield from emit("urgency", "templated", 1, f"{actor} {act} {place} {_pick(rng, NOW)}")
    for _ in range(120):
        actor, act, place = _pick(rng, EMERGENCY_ACTORS), _pick(rng, PAST_ACTS), _pick(rng, PLACES)
        text = f"{actor} {act} {place} {_pick(rng, LATER)}, how do I report it?"
        yield from emit("urgency", "templated_benign", 0, text)
    for _ in range(120):
        text = f"{_pick(rng, SELF_LEAD)} {_pick(rng, SELF_HARM)} {_pick(rng, SELF_WHEN)}"
        yield from emit("self_harm", "templated", 1, text)
    for _ in range(100):
        yield from emit("self_harm", "templated_benign", 0,
                        f"{_pick(rng, SELF_LEAD)} {_pick(rng, FIGURATIVE_SELF)} {_pick(rng, SELF_WHEN)}")
