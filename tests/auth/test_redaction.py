import copy
import io
import json
import logging
import pickle
from dataclasses import dataclass

import pytest

from warden.auth.redaction import MASK, RedactingFilter, Secret, redact, redact_text, reveal

VALUE = "hunter2-super-secret"


@dataclass(frozen=True)
class Login:
    user: str
    password: Secret[str]


def test_secret_never_shows_itself() -> None:
    s = Secret(VALUE)
    renderings = [
        str(s), repr(s), f"{s}", f"{s!r}", f"{s!s}", f"{s:>40}", format(s, "x"),
        "%s" % s,  # noqa: UP031 - the old ways are exactly what must be covered
        "%r" % (s,),  # noqa: UP031
        "{}".format(s),  # noqa: UP032
        json.dumps({"p": s}, default=str), repr(Login("alice", s)), str([s]), str({"k": s}), str(ValueError(s)),
    ]
    for text in renderings:
        assert VALUE not in text
        assert MASK in text
    assert str(s) == MASK and json.dumps(s, default=str) == f'"{MASK}"'


def test_logging_a_secret(caplog: pytest.LogCaptureFixture) -> None:
    s = Secret(VALUE)
    logger = logging.getLogger("warden.test.redaction")
    with caplog.at_level(logging.INFO, logger="warden.test.redaction"):
        logger.info("login %s", s)
        logger.info("login %r", s)
        logger.info(f"login {s}")
        logger.info("record %s", Login("alice", s))
        logger.info("extra", extra={"password": s})
    assert VALUE not in caplog.text
    assert caplog.text.count(MASK) == 4
    assert VALUE not in "".join(logging.Formatter("%(message)s").format(r) for r in caplog.records)


def test_secret_refuses_serialisation() -> None:
    with pytest.raises(TypeError):
        json.dumps(Secret(VALUE))
    with pytest.raises(TypeError, match="pickled"):
        pickle.dumps(Secret(VALUE))
    with pytest.raises(TypeError):
        pickle.dumps(Login("alice", Secret(VALUE)))


def test_secret_behaviour() -> None:
    s = Secret(VALUE)
    assert s.reveal() == VALUE and reveal(s) == VALUE and reveal(VALUE) == VALUE
    assert s == Secret(VALUE) and s != Secret("other") and s != VALUE
    assert Secret(b"x") == Secret(b"x") and Secret(b"x") != Secret("x")
    assert copy.copy(s) is s and copy.deepcopy(Login("a", s)).password is s
    with pytest.raises(TypeError):
        hash(s)
    with pytest.raises(TypeError):
        Secret(s)


def test_redact_structures() -> None:
    token = "wdn_0123456789ab_" + "A" * 43
    data = {
        "user": "alice",
        "password": "plain",
        "Authorization": "Bearer abcdefghijklmnop",
        "headers": [{"Cookie": "__Host-warden-session=xyz"}, {"X-Api-Key": "k"}],
        "note": f"used {token} today",
        "oauth": Secret(b"oauth-value-q9"),
        "totp_uri": "otpauth://totp/Warden:a?secret=JBSWY3DPEHPK3PXP&issuer=Warden",
        "refresh_token": None,
        "nested": ("fine", {"client_secret": "s3"}),
        "count": 3,
    }
    clean = redact(data)
    text = json.dumps(clean)
    for leaked in ["plain", "abcdefghijklmnop", "xyz", '"k"', "A" * 43, "oauth-value-q9", "JBSWY3DPEHPK3PXP", "s3"]:
        assert leaked not in text
    assert clean["user"] == "alice" and clean["count"] == 3 and clean["nested"][0] == "fine"
    assert clean["note"] == f"used wdn_0123456789ab_{MASK} today"  # the prefix stays, for support
    assert data["password"] == "plain"  # the original is untouched
    assert redact({"badge_number": "123"}, extra_keys=["Badge_Number"]) == {"badge_number": MASK}


def test_redact_text_rules() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    assert redact_text(f"id_token={jwt}") == f"id_token={MASK}"
    assert redact_text("Authorization: basic dXNlcjpwYXNzd29yZA==") == f"Authorization: basic {MASK}"
    assert redact_text("nothing to see here") == "nothing to see here"


def test_redacting_filter_on_a_handler() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("warden.test.filter")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("rejected token %s for %s", "wdn_0123456789ab_" + "B" * 43, "alice")
        logger.warning("plain message")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "B" * 43 not in output and f"wdn_0123456789ab_{MASK} for alice" in output
    assert "plain message" in output
