"""Publishing to Instagram: the two-step container flow
(https://developers.facebook.com/docs/instagram-platform/content-publishing).

Instagram fetches each image from a public URL ("we cURL media used in
publishing attempts"), and Warden holds the image as bytes. So each image is
first uploaded, unpublished, to the Facebook Page linked to the account
(``settings["page_id"]``), whose Meta-hosted copy gives that URL; then a
container is made (``POST /{ig-user-id}/media``, or one per image and a
``CAROUSEL`` container), checked until ready, and published
(``POST /{ig-user-id}/media_publish``). The staging copies are deleted after.

Only ``media_publish`` makes anything public, so only it can end in
``OutcomeUnknown``; a failure before it leaves nothing to reconcile.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from typing import Any

from warden.connectors.base import Media, OutboundPost, Published
from warden.connectors.errors import ConnectorError, NotSupported, Rejected, Transient
from warden.connectors.meta.account import published_id
from warden.connectors.meta.fields import ident, mapping, records
from warden.connectors.meta.graph import Graph, node

MAX_IMAGES = 10          # a carousel's limit
READY_CHECKS = 5
READY_PAUSE_S = 2.0


def _largest_url(photo: Mapping[str, Any]) -> str | None:
    """The biggest rendition's https URL of a Page photo (``images`` field)."""
    sized = [(w if isinstance(w := image.get("width"), int) else 0, image.get("source"))
             for image in records(photo.get("images"))]
    urls = [(w, s) for w, s in sized if isinstance(s, str) and s.startswith("https://") and len(s) < 4000]
    return max(urls)[1] if urls else None


class InstagramPublisher:
    def __init__(self, graph: Graph, user_id: str, page_id: str | None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._graph = graph
        self._user = user_id
        self._page = page_id
        self._sleep = sleep

    def publish(self, post: OutboundPost) -> Published:
        images = self._check(post.media)
        staged: list[str] = []
        try:
            urls = [self._stage(image, staged) for image in images]
            if len(urls) == 1:
                container = self._container({"image_url": urls[0], "caption": post.text}
                                            | ({"alt_text": images[0].alt_text} if images[0].alt_text else {}))
            else:
                children = [self._container({"image_url": url, "is_carousel_item": "true"}) for url in urls]
                container = self._container({"media_type": "CAROUSEL", "children": ",".join(children),
                                             "caption": post.text})
            self._wait(container)
            body = self._graph.write(f"{self._user}/media_publish", {"creation_id": container})
            return Published(network_id=published_id(body, "id"))
        finally:
            self._clean(staged)

    def _check(self, media: Sequence[Media]) -> list[Media]:
        if not media:
            raise NotSupported("Instagram cannot publish text alone: attach at least one JPEG image")
        if len(media) > MAX_IMAGES:
            raise NotSupported(f"an Instagram post carries at most {MAX_IMAGES} images")
        if any(m.content_type.lower() != "image/jpeg" for m in media):
            raise NotSupported("Instagram publishes JPEG images only (video and other formats are not supported here)")
        if self._page is None:
            raise NotSupported("Instagram fetches images from a public URL: set the account's page_id (its linked "
                               "Facebook Page) so Warden can host the image there while publishing")
        return list(media)

    def _stage(self, image: Media, staged: list[str]) -> str:
        answer = self._graph.act("POST", f"{self._page}/photos", {"published": "false"},
                                 files={"source": (image.filename or "image.jpg", image.data, image.content_type)})
        photo = ident(answer.get("id"))
        if photo is None:
            raise Transient("Facebook stored the image without naming it")
        staged.append(photo)
        url = _largest_url(self._graph.get(node(photo), {"fields": "images"}))
        if url is None:
            raise Transient("Facebook gave no public URL for the staged image")
        return url

    def _container(self, fields: Mapping[str, str]) -> str:
        # Nothing is public until media_publish: a lost answer here is Transient, not OutcomeUnknown.
        created = ident(self._graph.act("POST", f"{self._user}/media", fields).get("id"))
        if created is None:
            raise Transient("Instagram made a media container without naming it")
        return node(created)

    def _wait(self, container: str) -> None:
        for check in range(READY_CHECKS):
            status = mapping(self._graph.get(container, {"fields": "status_code"})).get("status_code")
            if status == "FINISHED":
                return
            if status in ("ERROR", "EXPIRED"):
                raise Rejected(f"Instagram could not prepare the media ({status})")
            if status == "PUBLISHED":
                raise Rejected("the Instagram media container was already published")
            if check < READY_CHECKS - 1:
                self._sleep(READY_PAUSE_S)
        raise Transient("Instagram is still preparing the media; try again later")

    def _clean(self, staged: list[str]) -> None:
        # A leftover unpublished photo harms nothing; the post's own outcome matters more.
        for photo in staged:
            with suppress(ConnectorError):
                self._graph.act("DELETE", node(photo))
