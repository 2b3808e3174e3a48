from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from warden.auth.errors import StepUpRequired
from warden.auth.stepup import AuthTimes, is_recent_auth, require_recent_auth

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def ago(**kwargs: float) -> datetime:
    return NOW - timedelta(**kwargs)


def test_fresh_password_and_mfa() -> None:
    require_recent_auth(AuthTimes(authenticated_at=ago(minutes=1), mfa_at=ago(minutes=1)), NOW)
    require_recent_auth(AuthTimes(authenticated_at=ago(minutes=5), mfa_at=ago(minutes=5)), NOW)  # inclusive


def test_stale_password() -> None:
    with pytest.raises(StepUpRequired) as info:
        require_recent_auth(AuthTimes(authenticated_at=ago(minutes=6), mfa_at=ago(minutes=1)), NOW)
    assert info.value.code == "step_up_required" and info.value.mfa is False


@pytest.mark.parametrize("mfa_at", [None, ago(minutes=6)])
def test_mfa_required_by_default(mfa_at: datetime | None) -> None:
    times = AuthTimes(authenticated_at=ago(minutes=1), mfa_at=mfa_at)
    with pytest.raises(StepUpRequired) as info:
        require_recent_auth(times, NOW)
    assert info.value.mfa is True
    require_recent_auth(times, NOW, require_mfa=False)


def test_custom_max_age() -> None:
    times = AuthTimes(authenticated_at=ago(minutes=10), mfa_at=ago(minutes=10))
    require_recent_auth(times, NOW, timedelta(minutes=15))
    assert not is_recent_auth(times, NOW)
    assert is_recent_auth(times, NOW, timedelta(minutes=15))
    with pytest.raises(ValueError):
        require_recent_auth(times, NOW, timedelta(0))


def test_future_times_are_not_fresh() -> None:
    require_recent_auth(AuthTimes(authenticated_at=NOW + timedelta(seconds=30), mfa_at=NOW), NOW)  # small skew
    with pytest.raises(StepUpRequired):
        require_recent_auth(AuthTimes(authenticated_at=NOW + timedelta(hours=1), mfa_at=NOW), NOW)


def test_naive_times_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        require_recent_auth(AuthTimes(authenticated_at=ago(minutes=1).replace(tzinfo=None)), NOW, require_mfa=False)
    with pytest.raises(ValueError, match="timezone"):
        require_recent_auth(AuthTimes(authenticated_at=ago(minutes=1)), NOW.replace(tzinfo=None), require_mfa=False)


@dataclass
class SessionRow:  # what a storage row might look like
    id: int
    authenticated_at: datetime
    mfa_at: datetime | None


def test_any_object_with_the_times_will_do() -> None:
    require_recent_auth(SessionRow(1, ago(seconds=10), ago(seconds=5)), NOW)


def test_require_step_up_for_any_caller() -> None:
    from warden.auth.errors import SessionRequired
    from warden.auth.stepup import require_step_up

    require_step_up(ago(minutes=1), None, NOW, api_token=False)  # no second factor in this session
    require_step_up(ago(minutes=1), ago(minutes=1), NOW, api_token=False)
    with pytest.raises(StepUpRequired) as info:
        require_step_up(ago(minutes=1), ago(minutes=6), NOW, api_token=False)  # the factor it has must be fresh
    assert info.value.mfa is True
    with pytest.raises(StepUpRequired) as info:
        require_step_up(None, None, NOW, api_token=False)  # never signed in (a system principal)
    assert info.value.mfa is False
    with pytest.raises(SessionRequired) as refused:
        require_step_up(ago(minutes=1), ago(minutes=1), NOW, api_token=True)
    assert refused.value.code == "session_required"
    require_step_up(ago(minutes=9), None, NOW, api_token=False, max_age=timedelta(minutes=10))
