"""Uploading a post's media before the post itself.

``POST /api/v2/media`` answers 200 when the file is ready and 202 while the
instance is still processing it (video, large images); a status cannot carry
media that is still processing, so we wait a little for it. An upload that
fails leaves nothing public (an unattached upload is removed by the instance),
so its failures are ordinary read-like failures: ``Transient`` or ``Rejected``,
never ``OutcomeUnknown``.
"""

from __future__ import annotations

from collections.abc import Callable

from warden.connectors.base import Media
from warden.connectors.errors import Transient
from warden.connectors.http import json_body
from warden.connectors.mastodon.api import MastodonApi, segment
from warden.connectors.mastodon.fields import an_id, as_dict

POLLS = 10
POLL_SECONDS = 1.0


def upload(api: MastodonApi, media: Media, sleep: Callable[[float], None]) -> str:
    """The id of the uploaded, processed attachment."""
    response = api.call("POST", "/api/v2/media",
                        files={"file": (media.filename or "upload", media.data, media.content_type)},
                        data={"description": media.alt_text} if media.alt_text else {})
    media_id = _media_id(json_body(response))
    if response.status_code != 202:
        return media_id
    for _ in range(POLLS):
        sleep(POLL_SECONDS)
        check = api.call("GET", f"/api/v1/media/{segment(media_id)}")
        if check.status_code == 200 and _media_id(json_body(check)) == media_id:
            return media_id
    raise Transient(f"POST /api/v2/media: attachment {media_id} was still processing")


def _media_id(body: object) -> str:
    data = as_dict(body)
    found = an_id(data.get("id")) if data is not None else None
    if found is None:
        raise Transient("POST /api/v2/media: the instance answered without an attachment id")
    return found
