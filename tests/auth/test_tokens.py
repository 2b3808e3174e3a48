import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from warden.auth.errors import (
    CsrfFailed,
    InsecureConfiguration,
    InsufficientScope,
    InvalidToken,
    SessionExpired,
    TokenExpired,
    TokenRevoked,
    UnknownScope,
)
from warden.auth.keys import derive_subkey
from warden.auth.redaction import MASK, Secret
from warden.auth.tokens import (
    SCOPES,
    ApiTokenRecord,
    CsrfTokens,
    IssuedApiToken,
    api_token_prefix,
    authenticate_api_token,
    bearer_token,
    check_session_lifetime,
    issue_api_token,
    issue_session,
    session_digest,
    validate_scopes,
    verify_api_token,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class TokenTable:
    """A tiny in-memory stand-in for the storage layer."""

    rows: dict[str, ApiTokenRecord] = field(default_factory=dict)

    def add(self, issued: IssuedApiToken) -> None:
        self.rows[issued.record.prefix] = issued.record

    def revoke(self, prefix: str, at: datetime) -> None:
        self.rows[prefix] = self.rows[prefix].revoke(at)

    def find_api_token(self, prefix: str) -> ApiTokenRecord | None:
        return self.rows.get(prefix)


@pytest.fixture
def table() -> TokenTable:
    return TokenTable()


def test_token_format_and_storage(table: TokenTable) -> None:
    issued = issue_api_token({"drafts:read", "drafts:write"}, now=NOW)
    token = issued.token.reveal()
    match = re.fullmatch(r"wdn_([0-9a-f]{12})_([A-Za-z0-9_-]{43})", token)
    assert match and match.group(1) == issued.record.prefix == api_token_prefix(token)
    assert issued.record.digest == hashlib.sha256(token.encode()).hexdigest()
    assert issued.record.scopes == frozenset({"drafts:read", "drafts:write"})
    assert issued.record.expires_at == NOW + timedelta(days=90)
    assert match.group(2) not in repr(issued) and issued.record.digest not in repr(issued)
    assert MASK in repr(issued)
    assert issue_api_token({"drafts:read"}, now=NOW).token != issued.token


def test_round_trip_with_scopes(table: TokenTable) -> None:
    issued = issue_api_token({"inbox:read", "inbox:write"}, now=NOW)
    table.add(issued)
    record = authenticate_api_token(issued.token, table, now=NOW + timedelta(days=1), required_scopes={"inbox:read"})
    assert record is table.rows[issued.record.prefix]
    with pytest.raises(InsufficientScope) as info:
        authenticate_api_token(issued.token, table, now=NOW, required_scopes={"inbox:read", "audit:read"})
    assert info.value.missing == frozenset({"audit:read"}) and info.value.code == "insufficient_scope"


def _flip_last(token: str) -> str:
    """Change a character near the end. Not the very last: its low bits are
    base64 padding, so changing it may leave the decoded bytes as they were."""
    i = len(token) - 3
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]


def test_tampered_unknown_and_malformed_tokens_are_all_invalid(table: TokenTable) -> None:
    issued = issue_api_token({"drafts:read"}, now=NOW)
    table.add(issued)
    token = issued.token.reveal()
    other_prefix = "wdn_" + "0" * 12 + token[16:]
    for bad in [_flip_last(token), other_prefix, token + "x", token[:-1], "wdn_abc_def", "", "Bearer " + token]:
        with pytest.raises(InvalidToken) as info:
            authenticate_api_token(bad, table, now=NOW)
        assert type(info.value) is InvalidToken and info.value.code == "invalid_token"


def test_record_of_another_token_does_not_verify(table: TokenTable) -> None:
    first, second = (issue_api_token({"drafts:read"}, now=NOW) for _ in range(2))
    with pytest.raises(InvalidToken):
        verify_api_token(first.token, second.record, now=NOW)
    with pytest.raises(InvalidToken):
        verify_api_token(first.token, None, now=NOW)


def test_revocation(table: TokenTable) -> None:
    issued = issue_api_token({"drafts:read"}, now=NOW)
    table.add(issued)
    table.revoke(issued.record.prefix, NOW + timedelta(hours=1))
    with pytest.raises(TokenRevoked) as info:
        authenticate_api_token(issued.token, table, now=NOW + timedelta(hours=2))
    assert info.value.code == "token_revoked"
    # Revocation is only reported to someone who holds the real secret.
    with pytest.raises(InvalidToken) as wrong:
        authenticate_api_token(_flip_last(issued.token.reveal()), table, now=NOW + timedelta(hours=2))
    assert type(wrong.value) is InvalidToken
    revoked = table.rows[issued.record.prefix]
    assert revoked.revoke(NOW + timedelta(days=3)).revoked_at == NOW + timedelta(hours=1)  # first revocation stands


def test_expiry(table: TokenTable) -> None:
    issued = issue_api_token({"audit:read"}, now=NOW, lifetime=timedelta(days=7))
    table.add(issued)
    authenticate_api_token(issued.token, table, now=NOW + timedelta(days=7) - timedelta(seconds=1))
    with pytest.raises(TokenExpired):
        authenticate_api_token(issued.token, table, now=NOW + timedelta(days=7))


def test_scope_validation() -> None:
    assert len(SCOPES) == 10 and "members:admin" in SCOPES
    assert validate_scopes(["audit:read", "audit:read"]) == frozenset({"audit:read"})
    with pytest.raises(UnknownScope, match="drafts:delete"):
        issue_api_token({"drafts:read", "drafts:delete"}, now=NOW)
    with pytest.raises(UnknownScope):
        issue_api_token(set(), now=NOW)
    with pytest.raises(ValueError, match="lifetime"):
        issue_api_token({"drafts:read"}, now=NOW, lifetime=timedelta(days=367))
    with pytest.raises(ValueError, match="timezone"):
        issue_api_token({"drafts:read"}, now=NOW.replace(tzinfo=None))


def test_bearer_header() -> None:
    assert bearer_token("Bearer wdn_abc").reveal() == "wdn_abc"
    assert bearer_token("bearer   wdn_abc ").reveal() == "wdn_abc"
    for bad in [None, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer a b"]:
        with pytest.raises(InvalidToken):
            bearer_token(bad)


# --- sessions ------------------------------------------------------------------------------


def test_session_ids() -> None:
    issued = issue_session()
    session_id = issued.session_id.reveal()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", session_id)  # 256 bits
    assert issued.digest == session_digest(session_id) == hashlib.sha256(session_id.encode()).hexdigest()
    assert session_id not in repr(issued)
    assert issue_session().digest != issued.digest
    for bad in ["", "short", session_id + "=", session_id[:-1] + "!", "ä" * 43]:
        with pytest.raises(InvalidToken):
            session_digest(bad)


def test_session_lifetime() -> None:
    start = NOW
    check_session_lifetime(created_at=start, last_seen_at=start + timedelta(hours=11, minutes=50),
                           now=start + timedelta(hours=11, minutes=59))
    with pytest.raises(SessionExpired):  # idle
        check_session_lifetime(created_at=start, last_seen_at=start, now=start + timedelta(minutes=30))
    with pytest.raises(SessionExpired):  # absolute, however active
        check_session_lifetime(created_at=start, last_seen_at=start + timedelta(hours=12),
                               now=start + timedelta(hours=12))


# --- CSRF ----------------------------------------------------------------------------------

KEY = derive_subkey(b"k" * 32, "csrf")


def test_csrf_round_trip_and_binding() -> None:
    csrf = CsrfTokens(KEY)
    session, other = issue_session().session_id, issue_session().session_id
    token = csrf.issue(session)
    csrf.verify(session, token)
    csrf.verify(session.reveal(), token)
    assert csrf.issue(session) != token  # fresh nonce per token, all valid
    with pytest.raises(CsrfFailed) as info:
        csrf.verify(other, token)
    assert info.value.code == "csrf_failed"
    with pytest.raises(CsrfFailed):
        CsrfTokens(derive_subkey(b"j" * 32, "csrf")).verify(session, token)


@pytest.mark.parametrize("mangle", [
    lambda t: None, lambda t: "", lambda t: ".", lambda t: t.split(".")[0], lambda t: t + "A",
    lambda t: _flip_last(t), lambda t: t.split(".")[1] + "." + t.split(".")[0], lambda t: "é" + t,
    lambda t: "AAAA." + t.split(".")[1],
])
def test_csrf_mismatch(mangle) -> None:  # type: ignore[no-untyped-def]
    csrf = CsrfTokens(Secret(KEY))
    session = issue_session().session_id
    with pytest.raises(CsrfFailed):
        csrf.verify(session, mangle(csrf.issue(session)))


def test_csrf_with_malformed_session_fails_closed() -> None:
    csrf = CsrfTokens(KEY)
    with pytest.raises(CsrfFailed):
        csrf.verify("not-a-session", "AAAA.BBBB")
    with pytest.raises(InsecureConfiguration):
        CsrfTokens(b"short")
