import base64

import pytest

from warden.auth.errors import InsecureConfiguration
from warden.auth.keys import decode_key, derive_subkey, generate_key, key_id


def test_generate_and_decode() -> None:
    text = generate_key()
    raw = decode_key(text)
    assert len(raw) == 32 and base64.urlsafe_b64encode(raw).decode() == text
    assert decode_key(base64.b64encode(raw).decode()) == raw
    assert decode_key(text.rstrip("=") + "\n") == raw
    assert generate_key() != text


@pytest.mark.parametrize("bad", ["", "   ", "@@@@", base64.b64encode(b"x" * 31).decode()])
def test_bad_keys(bad: str) -> None:
    with pytest.raises(InsecureConfiguration):
        decode_key(bad)


def test_derived_keys_are_separated_by_purpose() -> None:
    master = b"m" * 32
    assert derive_subkey(master, "csrf") == derive_subkey(master, "csrf")
    assert derive_subkey(master, "csrf") != derive_subkey(master, "sessions")
    assert derive_subkey(master, "csrf") != derive_subkey(b"n" * 32, "csrf")
    assert len(derive_subkey(master, "csrf", length=64)) == 64
    with pytest.raises(InsecureConfiguration):
        derive_subkey(b"short", "csrf")
    with pytest.raises(ValueError):
        derive_subkey(master, "")


def test_key_id() -> None:
    assert key_id(b"a" * 32) == key_id(b"a" * 32) != key_id(b"b" * 32)
    assert len(key_id(b"a" * 32)) == 8
