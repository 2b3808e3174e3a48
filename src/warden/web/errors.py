"""Errors to HTTP, in one place.

Every error body has the same shape::

    {"error": {"code": "stale_version", "message": "...", "details": {...}}}

``code`` is the ``WardenError.code`` (stable, machine-readable); ``details``
appears only when there is something more to say (the missing scopes, whether
a step-up needs the second factor, the validation problems). Nothing else is
ever shown: an unexpected exception becomes a 500 with a generic message and
a reference to find the logged trace.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from warden.auth.errors import (
    AuthError,
    InsufficientScope,
    MfaRequired,
    StepUpRequired,
    TooManyAttempts,
    WeakPassword,
)
from warden.domain.errors import InvalidInput, WardenError

log = logging.getLogger("warden.web")

#: WardenError.code -> HTTP status. Codes not listed fall back on their class (see ``status_for``).
STATUS: Mapping[str, int] = {
    # 400s about the request itself
    "invalid_input": 422, "validation": 422, "empty_text": 422, "text_too_long": 422, "weak_password": 422,
    "unknown_scope": 422, "reason_required": 422, "invalid_cursor": 422, "idempotency_key_reused": 422,
    "bad_request": 400, "payload_too_large": 413, "method_not_allowed": 405, "unsupported_media_type": 415,
    # who you are
    "not_authenticated": 401, "invalid_credentials": 401, "mfa_required": 401, "invalid_mfa_code": 401,
    "mfa_code_replayed": 401, "invalid_token": 401, "token_expired": 401, "token_revoked": 401,
    "session_expired": 401, "step_up_required": 401,
    # what you may do
    "forbidden": 403, "csrf_failed": 403, "insufficient_scope": 403, "mfa_enrolment_required": 403,
    "session_required": 403,
    "not_found": 404,
    # the state of things
    "invalid_state": 409, "stale_version": 409, "conflict": 409, "idempotency_key_in_progress": 409,
    "locked_down": 423,
    "too_many_attempts": 429, "sso_too_many_pending": 429,
}

_HTTP_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type"}


def status_for(error: WardenError) -> int:
    status = STATUS.get(error.code)
    if status is not None:
        return status
    if isinstance(error, InvalidInput):
        return 422
    if isinstance(error, AuthError):
        return 401
    return 500


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=dict(headers or {}))


def _details(error: WardenError) -> tuple[Any, dict[str, str]]:
    if isinstance(error, StepUpRequired):
        return {"step_up": True, "mfa": error.mfa}, {}
    if isinstance(error, MfaRequired):
        return {"mfa": True}, {}
    if isinstance(error, TooManyAttempts):
        seconds = error.retry_after_seconds
        return {"retry_after": seconds}, {"Retry-After": str(seconds)}
    if isinstance(error, WeakPassword):
        return {"reasons": list(error.reasons)}, {}
    if isinstance(error, InsufficientScope):
        return {"missing": sorted(error.missing)}, {}
    return getattr(error, "details", None), {}


def headers_for(error: WardenError) -> dict[str, str]:
    """The headers a refusal carries whatever its body (``Retry-After``), for pages as for JSON."""
    return _details(error)[1]


def warden_error_response(error: WardenError) -> JSONResponse:
    status = status_for(error)
    if status >= 500:
        return internal_error_response(error)
    details, headers = _details(error)
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="warden"')
    return error_response(status, error.code, error.message, details, headers)


def validation_response(error: RequestValidationError) -> JSONResponse:
    # Never echo the input back (it may be a password) nor pydantic's internals.
    problems = [{"loc": [str(part) for part in item.get("loc", ())], "message": str(item.get("msg", "")),
                 "type": str(item.get("type", ""))} for item in error.errors()]
    return error_response(422, "validation", "the request is not valid", problems)


def http_response(error: StarletteHTTPException) -> Response:
    code = _HTTP_CODES.get(error.status_code, "http_error")
    message = error.detail if isinstance(error.detail, str) else "the request could not be handled"
    if error.status_code in (204, 304):
        return Response(status_code=error.status_code)
    return error_response(error.status_code, code, message.lower(), headers=error.headers)


def internal_error_response(error: BaseException) -> JSONResponse:
    reference = secrets.token_hex(8)
    log.error("unexpected error (reference %s)", reference, exc_info=error)
    return error_response(500, "internal_error", "the server could not complete the request",
                          {"reference": reference})


def response_for(error: BaseException) -> Response:
    """The response for any exception: the single mapping every path goes through."""
    if isinstance(error, WardenError):
        return warden_error_response(error)
    if isinstance(error, RequestValidationError):
        return validation_response(error)
    if isinstance(error, StarletteHTTPException):
        return http_response(error)
    if isinstance(error, StaleDataError):
        return error_response(409, "stale_version", "someone changed this since you saw it; reload and try again")
    if isinstance(error, IntegrityError):
        return error_response(409, "conflict", "this conflicts with an existing record")
    return internal_error_response(error)


def install(app: FastAPI) -> None:
    async def handle(_request: Request, error: Exception) -> Response:
        return response_for(error)

    # Anything else is caught by the outermost middleware (middleware.ProtectMiddleware), so that even a
    # 500 carries the security headers.
    for kind in (WardenError, RequestValidationError, StarletteHTTPException, StaleDataError, IntegrityError):
        app.add_exception_handler(kind, handle)
