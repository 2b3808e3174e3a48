"""Signing in from the console: the password first, then the second factor when
the member has one. The same primitives and rules as ``POST /api/v1/auth/login``
(``web.authn``): the same throttle, the same argon2 work and the same answer for
an unknown organisation, an unknown member and a wrong password, the same
session (``authn.start_session``) and cookie.

Between the two steps nothing is kept on the server: the password step hands
the browser a sealed "pending" token (encrypted with the credential cipher,
bound to the member and to this browser's sign-in nonce, valid five minutes).
It proves only that the password was right; a session needs the code as well.

The sign-in form itself carries a CSRF token bound to a random nonce cookie
(login CSRF: nobody can sign a victim's browser into another account).

When the page knows the organisation (``/sign-in?organisation=<slug>``, the link an administrator
shares, or the one typed in a refused attempt) and that organisation has single sign-on switched
on, the page offers it first: ``single_sign_on_url`` is the API's ``/auth/sso/start`` for it.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from fastapi import Request, Response
from pydantic import SecretStr
from sqlalchemy import select, update

from warden.auth.errors import CsrfFailed, InvalidCredentials, InvalidMfaCode, InvalidToken
from warden.auth.tokens import issue_session, session_digest
from warden.domain.errors import InvalidInput, WardenError
from warden.storage.tables import Member, OidcProviderRow, Organisation
from warden.web.authn import client_address, set_session_cookie, start_session
from warden.web.mfa import check_second_factor
from warden.web.state import WebState

PENDING_VALID_FOR = timedelta(minutes=5)
NONCE_MAX_AGE = 30 * 60
WRONG = "The organisation, email or password is not right."


class PendingExpired(InvalidInput):
    """The sign-in between its two steps is no longer valid: start again with the password."""


@dataclass(frozen=True)
class Verified:
    member_id: uuid.UUID
    username: str
    needs_code: bool


def nonce_cookie_name(state: WebState) -> str:
    return "__Host-warden_signin" if state.settings.cookie_secure else "warden_signin"


def form_nonce(state: WebState, request: Request) -> tuple[str, bool]:
    """This browser's sign-in nonce (a new one when it has none): (nonce, is_new)."""
    current = request.cookies.get(nonce_cookie_name(state), "")
    try:
        session_digest(current)
        return current, False
    except InvalidToken:
        return issue_session().session_id.reveal(), True


def set_nonce_cookie(state: WebState, response: Response, nonce: str) -> None:
    response.set_cookie(nonce_cookie_name(state), nonce, max_age=NONCE_MAX_AGE, path="/",
                        secure=state.settings.cookie_secure, httponly=True, samesite="strict")


def form_token(state: WebState, nonce: str) -> str:
    """A CSRF token bound to the nonce (shaped like a session id, and never one: it is only ever a cookie
    named for the sign-in form, and no session row has its digest)."""
    return state.csrf.issue(nonce)


def check_form_token(state: WebState, request: Request, token: str) -> str:
    """The nonce the form was made for; CsrfFailed when the form is not this browser's."""
    nonce = request.cookies.get(nonce_cookie_name(state), "")
    try:
        state.csrf.verify(nonce, token)
    except InvalidToken:
        raise CsrfFailed("the sign-in form has expired; please try again") from None
    return nonce


def check_password(state: WebState, request: Request, organisation: str, email: str, password: str) -> Verified:
    """The password step. InvalidCredentials (one message for every failure) or TooManyAttempts."""
    slug, address = organisation.strip().lower(), client_address(request)
    email = email.strip().lower()
    username = f"{slug}/{email}"
    state.login_throttle.check(username, address)
    with state.sessions() as session:
        found = session.execute(select(Member).join(Organisation, Member.organisation_id == Organisation.id)
                                .where(Organisation.slug == slug, Member.email == email,
                                       Member.status == "active")).scalar_one_or_none()
    if not state.hasher.verify(found.password_hash if found else None, password) or found is None:
        state.login_throttle.record_failure(username, address)
        raise InvalidCredentials(WRONG)
    if found.password_hash and state.hasher.needs_rehash(found.password_hash):
        with state.sessions.begin() as session:
            session.execute(update(Member).where(Member.id == found.id)
                            .values(password_hash=state.hasher.hash(password)))
    return Verified(found.id, username, needs_code=found.totp_secret is not None)


def single_sign_on_url(state: WebState, organisation: str, next_path: str) -> str:
    """Where "Sign in with single sign-on" goes for this organisation; "" when it has none switched on."""
    slug = organisation.strip().lower()
    if not slug or len(slug) > 64:
        return ""
    with state.sessions() as session:
        found = session.execute(select(Organisation.slug).join(
            OidcProviderRow, OidcProviderRow.organisation_id == Organisation.id).where(
            Organisation.slug == slug, OidcProviderRow.enabled.is_(True))).scalar_one_or_none()
    if found is None:
        return ""
    return "/api/v1/auth/sso/start?" + urlencode({"organisation": found, "return_to": next_path})


def _associated(nonce: str) -> str:
    return f"console-signin-pending:{nonce}"


def seal_pending(state: WebState, verified: Verified, nonce: str) -> str:
    plain = json.dumps({"m": str(verified.member_id), "u": verified.username,
                        "t": int(state.now().timestamp())}).encode()
    return base64.urlsafe_b64encode(state.cipher.encrypt(plain, _associated(nonce))).decode().rstrip("=")


def open_pending(state: WebState, token: str, nonce: str) -> Verified:
    expired = PendingExpired("Your sign-in has expired; please enter your password again.")
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        body = json.loads(state.cipher.decrypt(sealed, _associated(nonce)).reveal())
        verified = Verified(uuid.UUID(body["m"]), str(body["u"]), needs_code=True)
        age = state.now().timestamp() - int(body["t"])
    except (ValueError, KeyError, TypeError, binascii.Error, WardenError):
        raise expired from None
    if not 0 <= age <= PENDING_VALID_FOR.total_seconds():
        raise expired
    return verified


def check_code(state: WebState, request: Request, verified: Verified, code: str,
               recovery_code: str) -> tuple[int | None, str | None]:
    """The second-factor step: (TOTP step, recovery hash) to burn when the session starts."""
    address = client_address(request)
    state.login_throttle.check(verified.username, address)
    with state.sessions() as session:
        member = session.get(Member, verified.member_id)
        if member is None or member.status != "active" or member.totp_secret is None:
            raise PendingExpired("Your sign-in has expired; please enter your password again.")
        session.expunge(member)
    totp = SecretStr(code.replace(" ", "")) if code.strip() else None
    recovery = SecretStr(recovery_code.strip()) if recovery_code.strip() and totp is None else None
    try:
        return check_second_factor(state, member, totp, recovery)
    except InvalidMfaCode:
        state.login_throttle.record_failure(verified.username, address)
        raise


def finish(state: WebState, request: Request, response: Response, verified: Verified, *,
           step: int | None = None, recovery_hash: str | None = None) -> None:
    """Start the session (burning the code in the same transaction) and set the cookie."""
    session_id = start_session(state, verified.member_id, mfa=verified.needs_code, method="password",
                               user_agent=request.headers.get("user-agent", ""), ip=client_address(request),
                               step=step, recovery_hash=recovery_hash)
    state.login_throttle.record_success(verified.username, client_address(request))
    set_session_cookie(state, response, session_id)
    response.delete_cookie(nonce_cookie_name(state), path="/", secure=state.settings.cookie_secure, httponly=True,
                           samesite="strict")
