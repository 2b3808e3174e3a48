"""What each network publishes: text, images, or both.

``PUBLISHES`` is each network's publishing capabilities as its connector declares them, known before any
connector is built, so that scheduling can refuse what publishing could not do: ``publishing_problem`` says
in words for a draft's author why an account cannot publish the draft with (or without) its images, and
``publishing_problems`` says it for the accounts a draft is for, so that a page says so before anyone
tries. Kept apart from cleaning an image (``workflow.image_uploads``) and reading a draft's images
(``workflow.draft_media``): this needs only the network, never an image.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from warden.connectors.base import Capability
from warden.storage.tables import SocialAccount

__all__ = ["PUBLISHES", "publishing_problem", "publishing_problems"]

#: What each network publishes, as its connector declares (``tests/workflow/test_media.py`` holds them equal).
#: Known before any connector is built, so that scheduling can refuse what publishing could not do.
PUBLISHES: Mapping[str, frozenset[Capability]] = {
    "x": frozenset({Capability.PUBLISH}),
    "facebook": frozenset({Capability.PUBLISH, Capability.PUBLISH_MEDIA}),
    "instagram": frozenset({Capability.PUBLISH_MEDIA}),
    "mastodon": frozenset({Capability.PUBLISH, Capability.PUBLISH_MEDIA}),
    "bluesky": frozenset({Capability.PUBLISH, Capability.PUBLISH_MEDIA}),
    "replay": frozenset({Capability.PUBLISH, Capability.PUBLISH_MEDIA}),
}
#: A network as its author would name it, with its article ("an X account").
_ACCOUNT_OF = {"x": "an X", "facebook": "a Facebook", "instagram": "an Instagram", "mastodon": "a Mastodon",
               "bluesky": "a Bluesky", "replay": "a replay"}


def publishing_problem(network: str, handle: str, with_media: bool) -> str | None:
    """Why an account cannot publish this draft, in words for its author; None when it can."""
    can = PUBLISHES.get(network)
    account = f"{_ACCOUNT_OF.get(network, 'a ' + network)} account"
    if with_media and (can is None or Capability.PUBLISH_MEDIA not in can):
        takers = ", ".join(sorted(n for n, c in PUBLISHES.items() if Capability.PUBLISH_MEDIA in c))
        return (f"Warden cannot publish images from {handle} ({account}): remove the images, "
                f"or choose accounts on a network that takes them ({takers})")
    if not with_media and can is not None and Capability.PUBLISH not in can:
        return f"every post from {handle} ({account}) needs an image: add one"
    return None


def publishing_problems(sessions: sessionmaker[Session], organisation_id: uuid.UUID,
                        account_ids: Sequence[uuid.UUID], with_media: bool) -> list[str]:
    """Why scheduling a draft for these accounts would be refused (a page says so before anyone tries)."""
    with sessions() as session:
        found = session.execute(select(SocialAccount.network, SocialAccount.handle).where(
            SocialAccount.organisation_id == organisation_id, SocialAccount.id.in_(list(account_ids)))
            .order_by(SocialAccount.handle)).all()
    return [p for network, handle in found if (p := publishing_problem(network, handle, with_media))]
