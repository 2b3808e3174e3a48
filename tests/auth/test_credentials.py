import base64
import os
from pathlib import Path

import pytest

from warden.auth.credentials import CredentialCipher, Keyring, generate_key
from warden.auth.errors import CredentialDecryptionFailed, InsecureConfiguration, UnknownCredentialKey
from warden.auth.keys import decode_key, key_id
from warden.auth.redaction import MASK, Secret

OLD, NEW = generate_key(), generate_key()
TOKEN = b'{"access_token": "EAAB-page-token", "refresh_token": "r-123"}'
OWNER = "account:42:oauth"


def cipher(*keys: str) -> CredentialCipher:
    return CredentialCipher.from_env({"WARDEN_CREDENTIAL_KEYS": ",".join(keys)})


def test_round_trip() -> None:
    c = cipher(NEW)
    blob = c.encrypt(TOKEN, OWNER)
    assert TOKEN not in blob and b"EAAB" not in blob
    plain = c.decrypt(blob, OWNER)
    assert isinstance(plain, Secret) and plain.reveal() == TOKEN
    assert MASK in repr(plain)
    assert c.encrypt(TOKEN, OWNER) != blob  # random nonce
    assert c.decrypt(c.encrypt(Secret(b""), OWNER), OWNER).reveal() == b""
    assert blob[0] == 1 and blob[1:9] == key_id(decode_key(NEW))


def test_ciphertext_is_bound_to_its_owner() -> None:
    c = cipher(NEW)
    blob = c.encrypt(TOKEN, OWNER)
    for wrong in ["account:43:oauth", "account:42:app_password", "account:42:oauth "]:
        with pytest.raises(CredentialDecryptionFailed) as info:
            c.decrypt(blob, wrong)
        assert info.value.code == "credential_decryption_failed"
    with pytest.raises(ValueError, match="associated"):
        c.encrypt(TOKEN, "")


@pytest.mark.parametrize("position", [9, 15, 21, 30, -1])
def test_tampering_detected(position: int) -> None:
    c = cipher(NEW)
    blob = bytearray(c.encrypt(TOKEN, OWNER))
    blob[position] ^= 0x01
    with pytest.raises(CredentialDecryptionFailed):
        c.decrypt(bytes(blob), OWNER)


def test_truncated_and_unknown_version() -> None:
    c = cipher(NEW)
    blob = c.encrypt(TOKEN, OWNER)
    with pytest.raises(CredentialDecryptionFailed, match="truncated"):
        c.decrypt(blob[:20], OWNER)
    with pytest.raises(CredentialDecryptionFailed, match="version"):
        c.decrypt(b"\x02" + blob[1:], OWNER)


def test_rotation() -> None:
    before = cipher(OLD)
    old_blob = before.encrypt(TOKEN, OWNER)
    after = cipher(NEW, OLD)
    assert after.decrypt(old_blob, OWNER).reveal() == TOKEN  # old ciphertexts stay readable
    assert after.needs_rotation(old_blob)
    rotated = after.rotate(old_blob, OWNER)
    assert after.key_id_of(rotated) == after.keyring.ids[0] == key_id(decode_key(NEW)).hex()
    assert after.key_id_of(old_blob) == after.keyring.ids[1]
    assert not after.needs_rotation(rotated)
    assert after.rotate(rotated, OWNER) is rotated  # already current: unchanged
    assert after.decrypt(rotated, OWNER).reveal() == TOKEN
    with pytest.raises(CredentialDecryptionFailed):
        after.rotate(old_blob, "account:43:oauth")  # rotation does not launder the binding
    # Once everything is rotated, the old key can go.
    final = cipher(NEW)
    assert final.decrypt(rotated, OWNER).reveal() == TOKEN
    with pytest.raises(UnknownCredentialKey) as info:
        final.decrypt(old_blob, OWNER)
    assert info.value.code == "unknown_credential_key"
    assert key_id(decode_key(OLD)).hex() in str(info.value) and "rotation" in str(info.value)
    assert OLD not in str(info.value) and NEW not in str(info.value)


def test_keyring_from_environment_text() -> None:
    ring = Keyring.from_env({"WARDEN_CREDENTIAL_KEYS": f" {NEW} ,\n{OLD},, "})
    assert len(ring.ids) == 2 and ring.ids[0] == key_id(decode_key(NEW)).hex()
    assert NEW not in repr(ring) and OLD not in repr(ring)
    standard_unpadded = base64.b64encode(decode_key(NEW)).decode().rstrip("=")
    assert Keyring.from_text(standard_unpadded).ids == ring.ids[:1]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "no credential encryption keys"),
        (" , ", "no credential encryption keys"),
        ("not base64!!", "key 1 is not valid base64"),
        (base64.urlsafe_b64encode(b"x" * 16).decode(), "32 bytes"),
        (f"{NEW},{NEW}", "listed twice"),
    ],
)
def test_bad_keyrings(value: str, message: str) -> None:
    with pytest.raises(InsecureConfiguration, match=message) as info:
        Keyring.from_env({"WARDEN_CREDENTIAL_KEYS": value})
    assert info.value.code == "insecure_configuration"
    assert NEW not in str(info.value)


def test_missing_variable() -> None:
    with pytest.raises(InsecureConfiguration, match="WARDEN_CREDENTIAL_KEYS"):
        CredentialCipher.from_env({})


def test_reads_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDEN_CREDENTIAL_KEYS", NEW)
    assert CredentialCipher.from_env().keyring.ids == (key_id(decode_key(NEW)).hex(),)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_keyring_file(tmp_path: Path) -> None:
    path = tmp_path / "keyring"
    path.write_text(f"# current\n{NEW}\n# retired 2026-01, remove after rotation\n{OLD}\n", encoding="utf-8")
    path.chmod(0o600)
    c = CredentialCipher.from_file(path)
    assert c.keyring.ids == (key_id(decode_key(NEW)).hex(), key_id(decode_key(OLD)).hex())
    path.chmod(0o644)
    with pytest.raises(InsecureConfiguration, match="chmod 600"):
        Keyring.from_file(path)
