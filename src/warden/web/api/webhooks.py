"""Signed push deliveries from the networks.

``/webhooks/{network}/{account_id}``: the URL names the account, whose stored
credentials hold the secret the network signs with. A delivery is verified
before anything is read from it, stored in the inbox (duplicates ignored) and
answered at once; the workers file it. Not in the OpenAPI document: networks,
not people, call these routes.
"""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Mapping

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from warden.connectors import account_settings, registry
from warden.connectors.base import WebhookReceiver
from warden.domain.errors import InvalidInput, WardenError
from warden.storage.tables import SocialAccount
from warden.web.api.deps import State
from warden.workflow import inbox
from warden.workflow.accounts import UnreadableCredentials, stored_credentials

router = APIRouter(prefix="/webhooks", tags=["webhooks"], include_in_schema=False)


class WebhookRefused(WardenError):
    code = "webhook_refused"


def _receiver(network: str) -> WebhookReceiver:
    if network not in account_settings.WEBHOOK_KEY:
        raise WebhookRefused("this network does not deliver webhooks here")
    receiver: WebhookReceiver | None = getattr(importlib.import_module(registry.NETWORKS[network]), "WEBHOOKS", None)
    if receiver is None:
        raise WebhookRefused("this network does not deliver webhooks here")
    return receiver


def _account(state: State, network: str, account_id: uuid.UUID) -> tuple[SocialAccount, Mapping[str, str]]:
    with state.sessions() as session:
        account = session.execute(select(SocialAccount).where(
            SocialAccount.id == account_id, SocialAccount.network == network)).scalar_one_or_none()
        if account is None or account.credentials is None:
            raise WebhookRefused("no such account")
        session.expunge(account)
    try:
        return account, stored_credentials(account, state.cipher)
    except UnreadableCredentials:  # an unreadable secret refuses the delivery; the details stay in the server
        raise WebhookRefused("no such account") from None


def _refused(status: int, message: str) -> Response:
    return Response(json.dumps({"error": {"code": "webhook_refused", "message": message}}), status_code=status,
                    media_type="application/json")


@router.get("/{network}/{account_id}")
def challenge(network: str, account_id: uuid.UUID, request: Request, state: State) -> Response:
    try:
        receiver = _receiver(network)
        _, credentials = _account(state, network, account_id)
    except WebhookRefused as error:
        return _refused(404, error.message)
    reply = receiver.challenge(dict(request.query_params), credentials)
    return Response(reply.body, status_code=reply.status, media_type=reply.content_type)


@router.post("/{network}/{account_id}")
async def deliver(network: str, account_id: uuid.UUID, request: Request, state: State) -> Response:
    body = await request.body()  # bounded by the body-size middleware
    return await run_in_threadpool(_deliver, network, account_id, dict(request.headers), body, state)


def _deliver(network: str, account_id: uuid.UUID, headers: dict[str, str], body: bytes, state: State) -> Response:
    try:
        receiver = _receiver(network)
        account, credentials = _account(state, network, account_id)
    except WebhookRefused as error:
        return _refused(404, error.message)
    if not receiver.verify(headers, body, credentials):
        return _refused(401, "the signature is missing or wrong")
    try:
        deliveries = receiver.parse(body)
    except InvalidInput as error:
        return _refused(400, error.message)
    key = account.settings.get(account_settings.WEBHOOK_KEY[network])
    items = [item for delivery in deliveries if key is None or delivery.account_key == str(key)
             for item in delivery.items]
    stored = 0
    if items:
        with state.sessions() as session, session.begin():
            stored_account = session.get(SocialAccount, account.id)
            assert stored_account is not None
            stored = inbox.accept(session, stored_account, items, "webhook", state.clock)
    return Response(json.dumps({"received": len(items), "new": stored}), media_type="application/json")
