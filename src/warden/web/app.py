"""The API application: ``create_app(settings, engine=None)``.

Everything the app needs lives on ``app.state.warden`` (a ``WebState``); there
are no module globals, so tests build as many apps as they like.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy import Engine

from warden.auth.passwords import PasswordHasher
from warden.auth.throttle import ThrottleStore
from warden.settings import Settings
from warden.storage.database import make_engine, session_factory
from warden.web import authn, console, errors, mfa, oidc, tokens
from warden.web.api import accounts, audit_log, cases, check, connect, drafts, organisations, sso, webhooks
from warden.web.idempotency import HEADER as IDEMPOTENCY_HEADER
from warden.web.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from warden.web.state import CSRF_HEADER, build_state
from warden.workflow import image_uploads
from warden.workflow.unit import Clock, utcnow

API_PREFIX = "/api/v1"
OPENAPI_URL = f"{API_PREFIX}/openapi.json"
UNSAFE = ("post", "put", "patch", "delete")
#: POSTs that carry images (compose, a draft's images in the console and the API): their own body limit.
UPLOAD_PATHS = re.compile(r"/compose|(/api/v1)?/drafts/[^/]+/media")


def create_app(settings: Settings, engine: Engine | None = None, *, hasher: PasswordHasher | None = None,
               clock: Clock = utcnow, throttle_store: ThrottleStore | None = None) -> FastAPI:
    """The API. ``engine`` defaults to one for ``settings.database_url`` (already migrated: ``warden serve``
    migrates first). ``hasher``, ``clock`` and ``throttle_store`` are for tests and other deployments."""
    engine = engine if engine is not None else make_engine(settings.database_url)
    state = build_state(settings, engine, session_factory(engine), hasher=hasher, clock=clock,
                        throttle_store=throttle_store)
    app = FastAPI(title="Warden API", version="1", openapi_url=OPENAPI_URL, docs_url=None, redoc_url=None,
                  description="Social media risk and compliance. Authenticate with the session cookie from "
                              "POST /auth/login (and X-CSRF-Token on state-changing requests) or with "
                              "'Authorization: Bearer wdn_...'.")
    app.state.warden = state
    api = APIRouter(prefix=API_PREFIX)
    for router in (authn.public, authn.router, mfa.router, tokens.router, organisations.router,
                   connect.public, accounts.router, connect.router,
                   cases.inbound, drafts.router, cases.router, cases.messages, audit_log.router, check.router,
                   webhooks.router, oidc.public, oidc.router, sso.router):
        api.include_router(router)
    app.include_router(api)
    console.install(app)  # the browser console at / (pages, /static)
    errors.install(app)
    console.install_error_pages(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, uploads=UPLOAD_PATHS,
                       upload_bytes=image_uploads.MAX_UPLOAD_BODY)
    app.add_middleware(SecurityHeadersMiddleware)  # last added = outermost: even a 413 or a 500 gets the headers
    _document_security(app, state.cookie_name)
    return app


def _document_security(app: FastAPI, cookie_name: str) -> None:
    """Security schemes, the CSRF and Idempotency-Key headers and the error shape, in the OpenAPI document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = schema.setdefault("components", {})
        components.setdefault("securitySchemes", {}).update({
            "session": {"type": "apiKey", "in": "cookie", "name": cookie_name},
            "csrf": {"type": "apiKey", "in": "header", "name": CSRF_HEADER},
            "bearer": {"type": "http", "scheme": "bearer", "description": "An API token: wdn_..."},
        })
        components.setdefault("schemas", {})["Error"] = {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string"}, "message": {"type": "string"}, "details": {}}}}}
        error_ref = {"description": "An error", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}}
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)  # FastAPI's own shape: ours is the Error schema below
                responses["default"] = error_ref
                if operation.get("security") == []:
                    continue  # public (login)
                operation["security"] = ([{"session": [], "csrf": []}, {"bearer": []}] if method in UNSAFE
                                         else [{"session": []}, {"bearer": []}])
                if method == "post":
                    operation.setdefault("parameters", []).append({
                        "name": IDEMPOTENCY_HEADER, "in": "header", "required": False,
                        "description": "Replays the stored answer for a repeated request (24 hours).",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 200,
                                   "pattern": "^[\\x21-\\x7e]+$"}})
        schemas = components["schemas"]
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
