"""Second factor: TOTP enrolment (authenticator apps), its checks at sign-in and
step-up, and single-use recovery codes.

TOTP secrets are encrypted with the credential cipher, bound to their member
(a secret copied to another member's row does not decrypt). Enrolment is two
steps and keeps nothing on the server until it is confirmed: ``/enrol``
returns the secret sealed (encrypted, bound to the member, valid 15 minutes);
``/confirm`` takes it back with the first code. Replacing an existing factor
needs a recent step-up with the old one.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, SecretStr
from sqlalchemy import or_, select, update

from warden.audit import AuditObject
from warden.auth.errors import InvalidMfaCode, MfaCodeReplayed, MfaRequired
from warden.auth.stepup import AuthTimes, require_recent_auth
from warden.auth.totp import consume_recovery_code, enrol_totp, generate_recovery_codes, verify_totp
from warden.domain.errors import InvalidInput, WardenError
from warden.storage.tables import Member, RecoveryCode
from warden.storage.tables import Session as SessionRow
from warden.web.idempotency import IdempotentRoute, shown_once
from warden.web.identity import Caller, enrolling_session_caller
from warden.web.state import WebState, get_state
from warden.workflow.unit import Unit

router = APIRouter(prefix="/auth/mfa", tags=["auth"], route_class=IdempotentRoute)
ENROLMENT_VALID_FOR = timedelta(minutes=15)
STEP_UP_FOR_NEW_FACTOR = timedelta(minutes=5)
State = Annotated[WebState, Depends(get_state)]
SessionCaller = Annotated[Caller, Depends(enrolling_session_caller)]


class EnrolmentOut(BaseModel):
    # Null only in an idempotent replay: secrets are not kept for replays.
    provisioning_uri: str | None = Field(description="otpauth:// URI to show as a QR code.")
    secret: str | None = Field(description="The same secret, for typing in by hand.")
    enrolment: str | None = Field(description="Send back with the first code to POST /auth/mfa/confirm.")


class ConfirmIn(BaseModel):
    enrolment: str = Field(min_length=1, max_length=1000)
    code: SecretStr = Field(min_length=1, max_length=16)


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str] | None = Field(description="Shown once (null in an idempotent replay). Each works "
                                                         "once instead of a code.")



def totp_owner(member_id: uuid.UUID) -> str:
    return f"member:{member_id}:totp"


def member_object(member: Member) -> AuditObject:
    return AuditObject(type="member", id=str(member.id), name=f"{member.display_name} <{member.email}>")


def check_second_factor(state: WebState, member: Member, totp_code: SecretStr | None,
                   recovery_code: SecretStr | None) -> tuple[int | None, str | None]:
    """Check the code; (TOTP step to store, recovery hash to burn). Raises MfaRequired / InvalidMfaCode."""
    if totp_code is None and recovery_code is None:
        raise MfaRequired("enter the 6-digit code from your authenticator app (or a recovery code)")
    if totp_code is not None:
        assert member.totp_secret is not None
        secret = state.cipher.decrypt(member.totp_secret, totp_owner(member.id))
        step = verify_totp(secret.reveal().decode("ascii"), totp_code.get_secret_value(), now=state.now(),
                           last_used_step=member.totp_last_step)
        return step, None
    assert recovery_code is not None
    with state.sessions() as session:
        hashes = session.execute(select(RecoveryCode.code_hash).where(
            RecoveryCode.member_id == member.id, RecoveryCode.used_at.is_(None))).scalars().all()
    used = consume_recovery_code(recovery_code.get_secret_value(), hashes)
    return None, used.used_hash


def burn_second_factor(session: Any, member_id: uuid.UUID, step: int | None, recovery_hash: str | None,
                        now: datetime) -> None:
    """Record the used code in the caller's transaction; a concurrent use of the same code loses."""
    if step is not None:
        result = session.execute(update(Member).where(
            Member.id == member_id, or_(Member.totp_last_step.is_(None), Member.totp_last_step < step))
            .values(totp_last_step=step))
        if result.rowcount != 1:
            raise MfaCodeReplayed("this code has already been used; wait for the next one")
    if recovery_hash is not None:
        result = session.execute(update(RecoveryCode).where(
            RecoveryCode.member_id == member_id, RecoveryCode.code_hash == recovery_hash,
            RecoveryCode.used_at.is_(None)).values(used_at=now))
        if result.rowcount != 1:
            raise InvalidMfaCode("the recovery code is not valid or has already been used")



def _seal(state: WebState, member_id: uuid.UUID, secret: str) -> str:
    plain = f"{int(state.now().timestamp())}:{secret}".encode("ascii")
    sealed = state.cipher.encrypt(plain, f"member:{member_id}:totp-enrolment")
    return base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")


def _unseal(state: WebState, member_id: uuid.UUID, enrolment: str) -> str:
    try:
        sealed = base64.urlsafe_b64decode(enrolment + "=" * (-len(enrolment) % 4))
        plain = state.cipher.decrypt(sealed, f"member:{member_id}:totp-enrolment").reveal().decode("ascii")
        issued, secret = plain.split(":", 1)
        age = state.now().timestamp() - int(issued)
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidInput("the enrolment is not valid; start again") from exc
    except WardenError as exc:  # CredentialError: altered, or made for another member
        raise InvalidInput("the enrolment is not valid; start again") from exc
    if not 0 <= age <= ENROLMENT_VALID_FOR.total_seconds():
        raise InvalidInput("the enrolment has expired; start again")
    return secret


@router.post("/enrol", response_model=EnrolmentOut)
@shown_once("provisioning_uri", "secret", "enrolment")
def enrol_second_factor(caller: SessionCaller, state: State) -> EnrolmentOut:
    """Start enrolling an authenticator app. Replacing an existing one needs a recent step-up."""
    if caller.mfa_enabled:
        principal = caller.principal
        assert principal.authenticated_at is not None
        require_recent_auth(AuthTimes(principal.authenticated_at, principal.mfa_at), state.now(),
                            STEP_UP_FOR_NEW_FACTOR, require_mfa=True)
    with state.sessions() as session:
        member = session.get(Member, caller.member_id)
        assert member is not None
        email = member.email
    enrolment = enrol_totp(email)
    secret = enrolment.secret.reveal()
    return EnrolmentOut(provisioning_uri=enrolment.provisioning_uri.reveal(), secret=secret,
                        enrolment=_seal(state, caller.member_id, secret))


@router.post("/confirm", response_model=RecoveryCodesOut)
@shown_once("recovery_codes")
def confirm_second_factor(body: ConfirmIn, caller: SessionCaller, state: State) -> RecoveryCodesOut:
    """Activate the authenticator app with its first code; returns recovery codes (shown once)."""
    key = f"mfa-enrol:{caller.member_id}"
    state.mfa_throttle.check(key)
    secret = _unseal(state, caller.member_id, body.enrolment)
    now = state.now()
    try:
        step = verify_totp(secret, body.code.get_secret_value(), now=now, last_used_step=None)
    except InvalidMfaCode:
        state.mfa_throttle.failure(key)
        raise
    state.mfa_throttle.reset(key)
    codes = generate_recovery_codes()
    with Unit(state.sessions, caller.principal, state.clock) as unit:
        member = unit.session.get(Member, caller.member_id)
        assert member is not None
        replaced = member.totp_secret is not None
        member.totp_secret = state.cipher.encrypt(secret.encode("ascii"), totp_owner(member.id))
        member.totp_last_step = step
        for old in unit.session.execute(select(RecoveryCode).where(RecoveryCode.member_id == member.id)).scalars():
            unit.session.delete(old)
        unit.session.add_all([RecoveryCode(organisation_id=member.organisation_id, member_id=member.id, code_hash=h)
                              for h in codes.hashes])
        row = unit.session.get(SessionRow, caller.session_digest)
        assert row is not None
        row.mfa_at = now
        unit.record("member.mfa_enrolled", member_object(member), details={"replaced": replaced})
    return RecoveryCodesOut(recovery_codes=[c.reveal() for c in codes.codes])
