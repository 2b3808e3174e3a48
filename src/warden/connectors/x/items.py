"""X API v2 Posts and DM events into ``Incoming``.

Every field is hostile: ids must be snowflakes, names are cut to
``MAX_HANDLE``, text goes through ``inbound_text`` (marked, never dropped) and
a missing or garbled ``created_at`` falls back to the time inside the
snowflake id, so a message is never lost for want of a timestamp.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from warden.connectors.x.api import as_dict, as_list, is_id
from warden.domain.messages import MAX_HANDLE, Incoming, inbound_text

TWEET_FIELDS = "author_id,conversation_id,created_at,in_reply_to_user_id,note_tweet,referenced_tweets"
USER_FIELDS = "name,username"
DM_FIELDS = "created_at,dm_conversation_id,event_type,id,sender_id,text"
_TWITTER_EPOCH_MS = 1_288_834_974_657  # X snowflakes count milliseconds from here


def snowflake_time(snowflake: str) -> datetime:
    return datetime.fromtimestamp(((int(snowflake) >> 22) + _TWITTER_EPOCH_MS) / 1000, UTC)


def snowflake_at(when: datetime) -> str:
    """The smallest snowflake created at ``when`` (to express a time as a ``since_id``)."""
    millis = max(int(when.timestamp() * 1000) - _TWITTER_EPOCH_MS, 0)
    return str(millis << 22)


def newest(*ids: str | None) -> str | None:
    present = [value for value in ids if value is not None]
    return max(present, key=int) if present else None


def bounded(value: object, limit: int = MAX_HANDLE) -> str:
    return value[:limit] if isinstance(value, str) else ""


def iso_time(value: object, snowflake: str) -> datetime:
    if isinstance(value, str) and len(value) <= 40:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return snowflake_time(snowflake)
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return snowflake_time(snowflake)


def users_by_id(includes: object) -> dict[str, tuple[str, str]]:
    """``includes.users`` as id -> (handle, display name)."""
    users: dict[str, tuple[str, str]] = {}
    for user in as_list(as_dict(includes).get("users")):
        user = as_dict(user)
        user_id = user.get("id")
        if is_id(user_id):
            users[user_id] = (bounded(user.get("username")), bounded(user.get("name")))
    return users


def tweet_text(tweet: dict[str, Any]) -> str:
    """The full text: long posts carry it in ``note_tweet`` and only a cut in ``text``."""
    note = as_dict(tweet.get("note_tweet")).get("text")
    text = note if isinstance(note, str) and note.strip() else tweet.get("text")
    return inbound_text(text if isinstance(text, str) else None)


def _referenced(tweet: dict[str, Any], kind: str) -> str | None:
    for reference in as_list(tweet.get("referenced_tweets")):
        reference = as_dict(reference)
        if reference.get("type") == kind and is_id(reference.get("id")):
            return str(reference["id"])
    return None


def tweet_item(raw: object, users: dict[str, tuple[str, str]], me: str, *, kind: str | None = None) -> Incoming | None:
    """A Post addressed to the account; None for our own posts, retweets and
    items without a usable id. ``kind`` None: a reply to us is "reply", the
    rest "mention"."""
    tweet = as_dict(raw)
    tweet_id, author = tweet.get("id"), tweet.get("author_id")
    if not is_id(tweet_id) or author == me or _referenced(tweet, "retweeted"):
        return None
    handle, name = users.get(author, ("", "")) if is_id(author) else ("", "")
    conversation = tweet.get("conversation_id")
    if kind is None:
        kind = "reply" if tweet.get("in_reply_to_user_id") == me else "mention"
    return Incoming(
        network_id=tweet_id,
        thread_key=conversation if is_id(conversation) else tweet_id,
        kind=kind,
        author_handle=handle or (author if is_id(author) else "unknown"),
        text=tweet_text(tweet),
        sent_at=iso_time(tweet.get("created_at"), tweet_id),
        author_name=name,
        in_reply_to=_referenced(tweet, "replied_to"),
    )


def dm_item(raw: object, users: dict[str, tuple[str, str]], me: str) -> Incoming | None:
    """A received direct message; None for ours, for joins/leaves and for junk."""
    event = as_dict(raw)
    event_id, sender = event.get("id"), event.get("sender_id")
    if not is_id(event_id) or not is_id(sender) or sender == me or event.get("event_type") != "MessageCreate":
        return None
    handle, name = users.get(sender, ("", ""))
    conversation = event.get("dm_conversation_id")
    valid_conversation = isinstance(conversation, str) and 0 < len(conversation) <= 40 and all(
        part.isdigit() for part in conversation.split("-"))
    text = event.get("text")
    return Incoming(
        network_id=event_id,
        thread_key=str(conversation) if valid_conversation else f"dm:{sender}",
        kind="dm",
        author_handle=handle or sender,
        text=inbound_text(text if isinstance(text, str) else None),
        sent_at=iso_time(event.get("created_at"), event_id),
        author_name=name,
    )
