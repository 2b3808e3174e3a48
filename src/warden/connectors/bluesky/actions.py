"""Moderation on Bluesky: delete an own post, hide a reply, block, mute, report.

Each is safe to repeat, so a timeout is ``Transient`` (retry), never
``OutcomeUnknown``: deleting twice is a no-op, a block's record key is
derived from the blocked DID (a second block names the same record), a
threadgate is read, changed and written back only if nobody changed it in
between, and muting is idempotent on the server.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from warden.connectors.bluesky.api import Api
from warden.connectors.bluesky.syntax import AtUri, actor, derived_tid, parse_uri
from warden.connectors.bluesky.xrpc import XrpcRejected
from warden.connectors.errors import Rejected, Transient

POST = "app.bsky.feed.post"
THREADGATE = "app.bsky.feed.threadgate"
BLOCK = "app.bsky.graph.block"
MAX_HIDDEN = 300
MAX_REASON = 2000
REASON_TYPES = {
    "spam": "spam", "violation": "violation", "illegal": "violation", "threat": "violation",
    "misleading": "misleading", "sexual": "sexual", "rude": "rude", "abuse": "rude", "harassment": "rude",
}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def post_uri(network_id: str) -> AtUri:
    uri = parse_uri(network_id)
    if uri is None or uri.collection != POST:
        raise Rejected(f"{network_id[:200]!r} is not a Bluesky post")
    return uri


def delete(api: Api, network_id: str) -> None:
    uri = post_uri(network_id)
    if uri.repo != api.did:
        raise Rejected("only the account's own posts can be deleted")
    api.delete_record(POST, uri.rkey)


def set_reply_hidden(api: Api, network_id: str, hidden: bool) -> None:
    """Hide a reply with the threadgate of the thread's root, which must be ours."""
    post_uri(network_id)
    view = api.get_post(network_id)
    if view is None:
        raise Rejected("the reply no longer exists or cannot be seen")
    record = view.get("record")
    reply = record.get("reply") if isinstance(record, dict) else None
    root = reply.get("root") if isinstance(reply, dict) else None
    root_uri = parse_uri(root.get("uri")) if isinstance(root, dict) else None
    if root_uri is None:
        raise Rejected("the post is not a reply, so there is nothing to hide")
    if root_uri.repo != api.did:
        raise Rejected("only replies in the account's own threads can be hidden")
    _update_gate(api, root_uri, network_id, hidden)


def _update_gate(api: Api, root: AtUri, reply: str, hidden: bool) -> None:
    existing = api.get_record(THREADGATE, root.rkey)
    value: dict[str, Any] = dict(existing[0]) if existing else {"post": str(root), "createdAt": now_iso()}
    value.pop("$type", None)
    listed = value.get("hiddenReplies")
    replies = [uri for uri in listed if isinstance(uri, str)] if isinstance(listed, list) else []
    if (reply in replies) == hidden:
        return
    replies = [*replies, reply] if hidden else [uri for uri in replies if uri != reply]
    if len(replies) > MAX_HIDDEN:
        raise Rejected(f"Bluesky hides at most {MAX_HIDDEN} replies in one thread")
    value["hiddenReplies"] = replies
    try:
        if not replies and set(value) <= {"post", "createdAt", "hiddenReplies"} and existing:
            # Nothing else in the gate (no reply rules): remove it, as the app does.
            api.delete_record(THREADGATE, root.rkey, swap=existing[1])
        else:
            api.put_record(THREADGATE, root.rkey, value, swap=existing[1] if existing else None)
    except XrpcRejected as error:
        if error.error == "InvalidSwap":
            raise Transient("the threadgate changed while it was being updated") from None
        raise


def block(api: Api, author_handle: str) -> None:
    did = api.resolve(author_handle)
    if did == api.did:
        raise Rejected("an account cannot block itself")
    try:
        api.put_record(BLOCK, derived_tid("block", did), {"subject": did, "createdAt": now_iso()}, swap=None)
    except XrpcRejected as error:
        if error.error != "InvalidSwap":  # InvalidSwap: our block record for this DID is already there
            raise


def mute(api: Api, author_handle: str) -> None:
    name = actor(author_handle)
    if name is None:
        raise Rejected(f"{author_handle[:100]!r} is not a Bluesky handle or DID")
    api.call("POST", "app.bsky.graph.muteActor", body={"actor": name})


def report(api: Api, network_id: str, author_handle: str, reason: str) -> None:
    """Report the post (or, when it is gone or not a post, its author) to the moderation service."""
    subject: dict[str, Any] | None = None
    uri = parse_uri(network_id)
    if uri is not None and uri.collection == POST:
        view = api.get_post(network_id)
        if view is not None:
            subject = {"$type": "com.atproto.repo.strongRef", "uri": network_id, "cid": view["cid"]}
    if subject is None:
        subject = {"$type": "com.atproto.admin.defs#repoRef", "did": api.resolve(author_handle)}
    kind = REASON_TYPES.get(reason.strip().lower(), "other")
    api.json("POST", "com.atproto.moderation.createReport", body={
        "reasonType": f"com.atproto.moderation.defs#reason{kind.capitalize()}",
        "reason": reason[:MAX_REASON], "subject": subject})
