"""Step-up re-authentication before sensitive actions (ASVS 3.7.1).

A session records when its member last proved the password (``authenticated_at``) and the second
factor (``mfa_at``). Sensitive actions (overriding a block, lockdown, changing credentials, roles
or policy, exporting the audit log) call ``require_recent_auth`` first; ``StepUpRequired`` tells
the web layer to ask again (its ``mfa`` flag says whether the second factor is wanted) and then to
retry the action. The re-authentication itself updates the session's times; it is throttled like
a login.

MFA is required by default (fail closed): pass ``require_mfa=False`` only for a member who has no
second factor in an organisation that does not enforce one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from warden.auth._time import require_aware
from warden.auth.errors import SessionRequired, StepUpRequired

DEFAULT_MAX_AGE = timedelta(minutes=5)
#: Times this far in the future are treated as not recent (a forged or corrupt session).
ALLOWED_CLOCK_SKEW = timedelta(seconds=60)


class SessionAuthTimes(Protocol):
    @property
    def authenticated_at(self) -> datetime: ...
    @property
    def mfa_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class AuthTimes:
    authenticated_at: datetime
    mfa_at: datetime | None = None


def require_recent_auth(
    session_times: SessionAuthTimes,
    now: datetime,
    max_age: timedelta = DEFAULT_MAX_AGE,
    *,
    require_mfa: bool = True,
) -> None:
    """Raise ``StepUpRequired`` unless the password (and, by default, the second factor) were
    proved within ``max_age`` before ``now``."""
    if max_age <= timedelta(0):
        raise ValueError("max_age must be positive")
    now = require_aware(now, "now")
    password_fresh = _fresh(session_times.authenticated_at, now, max_age)
    mfa_fresh = session_times.mfa_at is not None and _fresh(session_times.mfa_at, now, max_age)
    if not password_fresh or (require_mfa and not mfa_fresh):
        raise StepUpRequired(
            "please confirm it is you before this action", mfa=require_mfa and not mfa_fresh
        )


def require_step_up(
    authenticated_at: datetime | None,
    mfa_at: datetime | None,
    now: datetime,
    *,
    api_token: bool,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> None:
    """The check before a sensitive action, for any kind of caller.

    An API token can never step up (nobody is there to type a password): ``SessionRequired``.
    A caller with no sign-in time (a system principal, a forged one) must re-authenticate.
    The second factor must be fresh too when the session was opened with one (``mfa_at`` set).
    """
    if api_token:
        raise SessionRequired("this action needs a signed-in browser session with a recent sign-in; "
                              "an API token cannot do it")
    if authenticated_at is None:
        raise StepUpRequired("please confirm it is you before this action", mfa=mfa_at is not None)
    require_recent_auth(AuthTimes(authenticated_at, mfa_at), now, max_age, require_mfa=mfa_at is not None)


def is_recent_auth(
    session_times: SessionAuthTimes, now: datetime, max_age: timedelta = DEFAULT_MAX_AGE, *, require_mfa: bool = True
) -> bool:
    """``require_recent_auth`` as a boolean (for showing which actions need a prompt)."""
    try:
        require_recent_auth(session_times, now, max_age, require_mfa=require_mfa)
    except StepUpRequired:
        return False
    return True


def _fresh(at: datetime, now: datetime, max_age: timedelta) -> bool:
    age = now - require_aware(at, "authentication time")
    return -ALLOWED_CLOCK_SKEW <= age <= max_age
