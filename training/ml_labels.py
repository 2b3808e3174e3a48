"""Categories, weak-label word lists and the split rule for the ML classifiers.

Weak labels: where a data set has no gold label for a category, a few
categories are filled from small hand-written word lists below (documented
in the model card as weak supervision). Gold labels always win.
"""

from __future__ import annotations

import hashlib
import re

from warden.detectors.base import TextItem

CATEGORIES: tuple[str, ...] = (
    "toxicity", "insult", "threat", "identity_hate", "profanity", "sexual", "spam", "urgency", "self_harm",
)
UNKNOWN = -1

# Swear words (read on the engine's normalised text). Not slurs: those are identity_hate.
PROFANE = re.compile(
    r"\b(?:(?:mother)?fuck\w*|f\*+k?\w*|fck\w*|fuk\w*|shit\w*|sh\*t\w*|bullshit\w*|shite|cunt\w*|bitch\w*|"
    r"bastard\w*|bollock\w*|arse|arses|arsehole\w*|ass|asses|asshole\w*|dickhead\w*|dick|dicks|piss\w*|wank\w*|"
    r"twat\w*|crap\w*|damn\w*|goddamn\w*|bugger\w*|tosser\w*|bellend\w*|feck\w*|bloody hell)\b"
)

# Explicit sexual words and phrases. "Sex offence" style reporting language is NOT here on purpose.
SEXUAL = re.compile(
    r"\b(?:nudes?|naked pics?|tits|titties|boobs|boobies|porn\w*|horny|blow ?jobs?|hand ?jobs?|cum|cumming|"
    r"jizz\w*|pussy|pussies|cock|cocks|cocksuck\w*|dick pics?|suck my \w+|penis\w*|vagina\w*|clit\w*|dildo\w*|"
    r"orgasm\w*|masturbat\w*|wank\w*|shag\w*|sexy|xxx|milf\w*|anal|fuck (?:me|her|him|you) (?:hard|raw)|"
    r"sit on my face|send (?:me )?pics)\b"
)

# Violent words: a Toxic Spans "Threat" span marked by ONE rater counts as a
# (weak) threat only when it holds one of these.
VIOLENT = re.compile(
    r"\b(?:kill\w*|shoot\w*|shot|hang\w*|lynch\w*|execut\w*|die|dies|dead|death|murder\w*|stab\w*|beat\w*|"
    r"punch\w*|burn\w*|bomb\w*|gun\w*|rope|bullet\w*|chok\w*|strangl\w*|slit\w*|throat\w*|hurt\w*|"
    r"attack\w*|eliminat\w*|exterminat\w*|gas|gassed|tortur\w*|smash\w*|knife|knives|blow \w+ up|jail|"
    r"prison|lock\w* up|hunt\w*|string \w+ up|bury|buried)\b"
)

_KEY_DROP = re.compile(r"^rt\s+|https?://\S+|www\.\S+|@\w+|&\w+;|\burl\b|\buser\b|#")
_KEY_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def dedupe_key(text: str) -> str:
    """What counts as the same text: the engine's full normal form (so an
    obfuscated copy is a copy) with mentions, URLs, retweet prefixes, hashtag
    marks and punctuation ignored."""
    key = _KEY_DROP.sub(" ", text.lower())
    key = TextItem(key).full.text
    return _KEY_NON_ALNUM.sub(" ", key).strip()


def unit(value: str) -> float:
    """A stable number in [0, 1) from a string (the split rule)."""
    return int(hashlib.sha256(value.encode("utf-8")).hexdigest()[:12], 16) / float(1 << 48)


def split_of(source: str, group: str, calib: float = 0.70, test: float = 0.85) -> str:
    """train 70 % / calib 15 % / test 15 %, by group, so that a group (a post,
    a thread, an event) is always on one side."""
    u = unit(f"{source}|{group}")
    if u < calib:
        return "train"
    return "calib" if u < test else "test"
