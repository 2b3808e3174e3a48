"""Images for a post: each is uploaded as a blob first, then embedded.

An upload publishes nothing on its own (an unused blob is discarded by the
PDS), so a failed upload is a plain read-style failure, never OutcomeUnknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from warden.connectors.base import Media
from warden.connectors.bluesky.api import Api
from warden.connectors.errors import NotSupported, Rejected, Transient

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 2_000_000  # app.bsky.embed.images#image maxSize
MAX_ALT = 10_000


def images_embed(api: Api, media: Sequence[Media]) -> dict[str, Any]:
    if len(media) > MAX_IMAGES:
        raise Rejected(f"a Bluesky post holds at most {MAX_IMAGES} images")
    for item in media:
        if item.content_type not in IMAGE_TYPES:
            raise NotSupported(f"Bluesky posts from Warden carry images only, not {item.content_type[:100]}")
        if len(item.data) > MAX_IMAGE_BYTES:
            raise Rejected(f"{item.filename[:100]} is over Bluesky's {MAX_IMAGE_BYTES} byte limit for an image")
    images = []
    for item in media:
        data = api.json("POST", "com.atproto.repo.uploadBlob", content=item.data, content_type=item.content_type)
        blob = data.get("blob")
        if not isinstance(blob, dict):
            raise Transient("uploadBlob: the answer has no blob")
        images.append({"image": blob, "alt": item.alt_text[:MAX_ALT]})
    return {"$type": "app.bsky.embed.images", "images": images}
