"""Emoji read as words, so lexicons can see "🔪" as "knife".

Only emoji that change what a message means to a moderator are listed;
others are left as they are.
"""

from __future__ import annotations

EMOJI_WORDS: dict[str, str] = {
    "🔪": "knife", "🗡": "dagger", "⚔": "swords", "🔫": "gun", "💣": "bomb", "🧨": "explosive",
    "💀": "skull", "☠": "skull", "⚰": "coffin", "🪦": "grave", "🩸": "blood", "🔥": "fire",
    "💥": "explosion", "🪓": "axe", "🔨": "hammer", "⛓": "chains", "🪢": "noose",
    "🖕": "middle finger", "🤬": "swearing", "😡": "angry", "👊": "punch", "🤜": "punch",
    "👍": "thumbs up", "👎": "thumbs down", "👌": "ok", "✌": "peace", "🤙": "call me",
    "😂": "laughing", "🤣": "laughing", "😆": "laughing", "😹": "laughing", "😜": "wink",
    "😉": "wink", "😎": "cool", "🤪": "crazy", "🥳": "party", "🎉": "party", "🎊": "party",
    "🤡": "clown", "🐷": "pig", "🐖": "pig", "🐽": "pig", "🐒": "monkey", "🐵": "monkey",
    "🦍": "gorilla", "🍌": "banana", "🐍": "snake", "🐀": "rat", "💩": "shit",
    "🍺": "beer", "🍻": "beers", "🍷": "wine", "🍸": "cocktail", "🥃": "whisky",
    "🍾": "champagne", "🥴": "drunk", "🤮": "vomit", "🍆": "penis", "🍑": "bum",
    "💦": "splash", "🍒": "cherries", "🔞": "adults only", "💊": "pills", "💉": "needle",
    "🌿": "weed", "🍃": "weed", "❄": "snowflake", "🚔": "police car", "🚓": "police car",
    "👮": "police officer", "🚑": "ambulance", "🚒": "fire engine", "🚨": "siren",
    "🆘": "sos", "🙏": "please", "😭": "crying", "😢": "crying", "💔": "broken heart",
    "😔": "sad", "😞": "sad", "🥺": "pleading", "🤳": "selfie", "📸": "camera",
    "📷": "camera", "🏳": "flag", "🏴": "flag", "🤑": "money", "💰": "money", "💸": "money",
    "🎁": "gift", "🏆": "trophy", "🥇": "winner", "🗳": "ballot", "✝": "cross", "☪": "crescent",
    "✡": "star of david", "🕌": "mosque", "⛪": "church", "🕍": "synagogue",
}
