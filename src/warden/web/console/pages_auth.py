"""Signing in (password, then the second factor, or single sign-on where the organisation has it),
signing out, own sessions, and enrolling an authenticator app when the organisation requires one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import SecretStr

from warden.auth.errors import (
    CsrfFailed,
    InvalidCredentials,
    InvalidMfaCode,
    MfaCodeReplayed,
    MfaRequired,
    StepUpRequired,
    TooManyAttempts,
)
from warden.domain.errors import InvalidInput
from warden.web import authn, mfa
from warden.web.console import signin, stats
from warden.web.console.guard import (
    ConsoleRoute,
    EnrollingFormCaller,
    FormCaller,
    PageCaller,
    SignInRequired,
    local_path,
    resolve_caller,
    see_other,
)
from warden.web.console.templating import render
from warden.web.state import get_state

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
Field = Annotated[str, Form(max_length=4096)]
Short = Annotated[str, Form(max_length=400)]


def _minutes(error: TooManyAttempts) -> int:
    return max(1, -(-error.retry_after_seconds // 60))


def _sign_in_page(request: Request, *, status: int = 200, error: str = "", organisation: str = "", email: str = "",
                  next_path: str = "/", signed_out: bool = False) -> Response:
    state = get_state(request)
    nonce, new = signin.form_nonce(state, request)
    response = render(request, "sign_in.html", status=status, error=error, organisation=organisation, email=email,
                      next_path=next_path, form_token=signin.form_token(state, nonce), signed_out=signed_out,
                      sso_url=signin.single_sign_on_url(state, organisation, next_path))
    if new:
        signin.set_nonce_cookie(state, response, nonce)
    return response


def _code_page(request: Request, pending: str, next_path: str, *, status: int = 200, error: str = "") -> Response:
    state = get_state(request)
    nonce, _ = signin.form_nonce(state, request)
    return render(request, "sign_in_code.html", status=status, error=error, pending=pending, next_path=next_path,
                  form_token=signin.form_token(state, nonce))


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/", signed_out: str = "", organisation: str = "") -> Response:
    """``organisation``: the organisation's sign-in name, filled in (and its single sign-on offered)."""
    try:
        resolve_caller(request)
        return see_other(local_path(next))
    except SignInRequired:
        return _sign_in_page(request, next_path=local_path(next), signed_out=signed_out == "1",
                             organisation=organisation.strip()[:64])


@router.post("/sign-in")
def sign_in(request: Request, organisation: Short = "", email: Short = "", password: Field = "",
            form_token: Short = "", next: Short = "/") -> Response:
    state = get_state(request)
    next_path = local_path(next)

    def again(status: int, error: str) -> Response:
        return _sign_in_page(request, status=status, error=error, organisation=organisation[:64], email=email[:320],
                             next_path=next_path)

    try:
        signin.check_form_token(state, request, form_token)
    except CsrfFailed:
        return again(400, "The sign-in form had expired. Please try again.")
    if not organisation.strip() or not email.strip() or not password:
        return again(422, "Enter your organisation, email and password.")
    try:
        verified = signin.check_password(state, request, organisation, email, password)
    except InvalidCredentials:
        return again(401, signin.WRONG)
    except TooManyAttempts as error:
        return again(429, f"Too many attempts. Try again in {_minutes(error)} minutes.")
    if verified.needs_code:
        nonce, _ = signin.form_nonce(state, request)
        return _code_page(request, signin.seal_pending(state, verified, nonce), next_path)
    response = see_other(next_path)
    signin.finish(state, request, response, verified)
    return response


@router.post("/sign-in/code")
def sign_in_code(request: Request, pending: Annotated[str, Form(max_length=2000)] = "", code: Short = "",
                 recovery_code: Short = "", form_token: Short = "", next: Short = "/") -> Response:
    state = get_state(request)
    next_path = local_path(next)
    try:
        nonce = signin.check_form_token(state, request, form_token)
        verified = signin.open_pending(state, pending, nonce)
    except (CsrfFailed, InvalidInput):
        return _sign_in_page(request, status=400, error="Your sign-in expired. Please enter your password again.",
                             next_path=next_path)
    try:
        step, recovery_hash = signin.check_code(state, request, verified, code, recovery_code)
    except signin.PendingExpired:
        return _sign_in_page(request, status=400, error="Your sign-in expired. Please enter your password again.",
                             next_path=next_path)
    except MfaRequired:
        return _code_page(request, pending, next_path, status=422,
                          error="Enter the 6-digit code from your authenticator app, or a recovery code.")
    except MfaCodeReplayed:
        return _code_page(request, pending, next_path, status=401,
                          error="That code has already been used. Wait for the next one.")
    except InvalidMfaCode:
        return _code_page(request, pending, next_path, status=401, error="The code is not right. Try again.")
    except TooManyAttempts as error:
        return _code_page(request, pending, next_path, status=429,
                          error=f"Too many attempts. Try again in {_minutes(error)} minutes.")
    response = see_other(next_path)
    signin.finish(state, request, response, verified, step=step, recovery_hash=recovery_hash)
    return response


@router.post("/sign-out")
def sign_out(request: Request, caller: EnrollingFormCaller) -> Response:
    state = get_state(request)
    authn.logout(caller, Response(), state)
    response = see_other("/sign-in?signed_out=1")
    authn.clear_session_cookie(state, response)
    return response


@router.get("/")
def home(request: Request, caller: PageCaller) -> Response:
    counts = stats.home_counts(get_state(request).sessions, caller.principal)
    return render(request, "home.html", counts=counts, current="home")


@router.get("/account/sessions")
def sessions_page(request: Request, caller: PageCaller) -> Response:
    state = get_state(request)
    own = authn.own_sessions(caller, state)
    return render(request, "sessions.html", sessions=own, current="sessions")


@router.post("/account/sessions/revoke")
def revoke_session(request: Request, caller: FormCaller, session_id: Short = "") -> Response:
    state = get_state(request)
    authn.revoke_session(session_id, caller, state)
    if session_id == caller.session_digest:
        response = see_other("/sign-in?signed_out=1")
        authn.clear_session_cookie(state, response)
        return response
    return see_other("/account/sessions?done=revoked")


# --------------------------------------------------------------------- second factor

@router.get("/account/second-factor")
def second_factor_page(request: Request) -> Response:
    caller = resolve_caller(request)
    return render(request, "second_factor.html", caller=caller, enrolment=None, codes=None,
                  required=caller.mfa_enrolment_required, enabled=caller.mfa_enabled, error="", current="sessions")


@router.post("/account/second-factor/start")
def second_factor_start(request: Request, caller: EnrollingFormCaller) -> Response:
    state = get_state(request)
    try:
        enrolment = mfa.enrol_second_factor(caller, state)
    except StepUpRequired:
        return render(request, "second_factor.html", status=401, caller=caller, enrolment=None, codes=None,
                      required=caller.mfa_enrolment_required, enabled=caller.mfa_enabled, current="sessions",
                      error="To replace your authenticator app, sign out and sign in again with the current one "
                            "first (it must be within the last 5 minutes).")
    return render(request, "second_factor.html", caller=caller, enrolment=enrolment, codes=None,
                  required=caller.mfa_enrolment_required, enabled=caller.mfa_enabled, error="", current="sessions")


@router.post("/account/second-factor/confirm")
def second_factor_confirm(request: Request, caller: EnrollingFormCaller,
                          enrolment: Annotated[str, Form(max_length=1000)] = "", secret: Short = "",
                          uri: Annotated[str, Form(max_length=1000)] = "", code: Short = "") -> Response:
    state = get_state(request)
    try:
        codes = mfa.confirm_second_factor(mfa.ConfirmIn(enrolment=enrolment or "-", code=SecretStr(code or "-")),
                                          caller, state)
    except (InvalidMfaCode, InvalidInput) as error:
        again = mfa.EnrolmentOut(provisioning_uri=uri, secret=secret, enrolment=enrolment)
        message = ("The code is not right. Check the time on your phone and try the newest code."
                   if isinstance(error, InvalidMfaCode) else error.message.capitalize() + ".")
        return render(request, "second_factor.html", status=422, caller=caller, enrolment=again, codes=None,
                      required=caller.mfa_enrolment_required, enabled=caller.mfa_enabled, error=message,
                      current="sessions")
    return render(request, "second_factor.html", caller=caller, enrolment=None, codes=codes.recovery_codes,
                  required=False, enabled=True, error="", current="sessions")
