from __future__ import annotations

import base64
import io
import json
import os
import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from audit_helpers import ORG, signer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from warden.audit import (
    CheckpointFormatError,
    Signer,
    SigningKeyError,
    Verifier,
    dump_checkpoints,
    generate_key,
    load_checkpoints,
    load_public_key,
)

ROOT = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
WHEN = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def test_signed_text_is_the_documented_versioned_form() -> None:
    key = signer()
    checkpoint = key.sign(ORG, 8, ROOT, created_at=WHEN)
    assert checkpoint.signed_text() == (
        "warden.audit.checkpoint.v1\n"
        f"organisation {ORG}\n"
        "tree-size 8\n"
        f"root-hash {ROOT}\n"
        "created-at 2024-05-01T12:00:00.123456Z\n"
        f"key-id {key.key_id}\n"
    )
    key.public_key().verify(checkpoint.signature, checkpoint.signed_text().encode())


def test_key_id_is_derived_from_the_public_key() -> None:
    key = signer()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    import hashlib

    assert key.key_id == "ed25519-" + hashlib.sha256(raw).hexdigest()[:16]
    assert signer(2).key_id != key.key_id
    assert "PRIVATE" not in repr(key) and key.key_id in repr(key)


def test_signing_accepts_raw_root_bytes_and_normalises_time() -> None:
    checkpoint = signer().sign(ORG, 3, bytes.fromhex(ROOT), created_at=WHEN.astimezone(timezone(timedelta(hours=3))))
    assert checkpoint.root_hash == ROOT
    assert checkpoint.created_at == WHEN and checkpoint.created_at.tzinfo is UTC
    assert Verifier([signer().public_key()]).is_valid(checkpoint)


def test_verifier_checks_every_signed_field_and_knows_rotated_keys() -> None:
    old, new = signer(1), signer(2)
    verifier = Verifier([old.public_key(), new.public_key()])
    assert verifier.key_ids == {old.key_id, new.key_id}
    first, second = old.sign(ORG, 8, ROOT, WHEN), new.sign(ORG, 9, ROOT, WHEN)
    assert verifier.is_valid(first) and verifier.is_valid(second)
    for forged in (
        replace(first, tree_size=9),
        replace(first, root_hash="00" * 32),
        replace(first, organisation_id="org-other"),
        replace(first, created_at=WHEN + timedelta(microseconds=1)),
        replace(first, key_id=new.key_id),
        replace(first, signature=first.signature[:-1] + bytes([first.signature[-1] ^ 1])),
        replace(first, signature=b""),
    ):
        assert not verifier.is_valid(forged)
    assert not Verifier([new.public_key()]).is_valid(first)
    assert not Verifier([new.public_key()]).knows(old.key_id)


def test_checkpoint_fields_are_validated() -> None:
    good = signer().sign(ORG, 8, ROOT, WHEN)
    changes: dict[str, Any]
    for changes in ({"tree_size": 0}, {"tree_size": True}, {"root_hash": "AB" * 32}, {"organisation_id": "a\nb"},
                    {"key_id": ""}, {"signature": "abc"}, {"created_at": datetime(2024, 5, 1)}):
        with pytest.raises(CheckpointFormatError):
            replace(good, **changes)


def test_json_lines_round_trip() -> None:
    key = signer()
    checkpoints = [key.sign(ORG, size, ROOT, WHEN + timedelta(hours=size)) for size in (50, 100, 150)]
    out = io.StringIO()
    assert dump_checkpoints(checkpoints, out) == 3
    text = out.getvalue()
    assert text.count("\n") == 3
    first = json.loads(text.splitlines()[0])
    assert first == {"v": 1, "organisation_id": ORG, "tree_size": 50, "root_hash": ROOT,
                     "created_at": "2024-05-03T14:00:00.123456Z", "key_id": key.key_id,
                     "signature": base64.b64encode(checkpoints[0].signature).decode()}
    assert list(load_checkpoints(io.StringIO(text + "\n\n"))) == checkpoints


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        "[]",
        '{"v": 1}',
        f'{{"v":2,"organisation_id":"o","tree_size":1,"root_hash":"{ROOT}","created_at":"2024-05-01T12:00:00.000000Z",'
        '"key_id":"k","signature":"AA=="}',
        f'{{"v":1,"organisation_id":"o","tree_size":1,"root_hash":"{ROOT}","created_at":"2024-05-01 12:00",'
        '"key_id":"k","signature":"AA=="}',
        f'{{"v":1,"organisation_id":"o","tree_size":1,"root_hash":"{ROOT}","created_at":"2024-05-01T12:00:00.000000Z",'
        '"key_id":"k","signature":"not base64!"}',
        f'{{"v":1,"organisation_id":"o","tree_size":"1","root_hash":"{ROOT}","created_at":"2024-05-01T12:00:00.000000Z",'
        '"key_id":"k","signature":"AA=="}',
        f'{{"v":1,"organisation_id":"o","tree_size":1,"root_hash":"{ROOT}","created_at":5,'
        '"key_id":"k","signature":"AA=="}',
    ],
)
def test_bad_json_lines_are_refused_with_the_line_number(line: str) -> None:
    with pytest.raises(CheckpointFormatError, match="line 2"):
        list(load_checkpoints(io.StringIO(signer().sign(ORG, 1, ROOT, WHEN).to_json() + "\n" + line + "\n")))


def test_generate_key_writes_0600_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "audit-signing.pem"
    made = generate_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = Signer.from_file(path)
    assert loaded.key_id == made.key_id
    before = path.read_bytes()
    with pytest.raises(SigningKeyError, match="overwrite"):
        generate_key(path)
    assert path.read_bytes() == before
    with pytest.raises(SigningKeyError, match="cannot create"):
        generate_key(tmp_path / "missing-dir" / "key.pem")


def test_from_file_refuses_keys_others_can_read(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    generate_key(path)
    os.chmod(path, 0o644)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        Signer.from_file(path)
    assert Signer.from_file(path, allow_shared_permissions=True).key_id


def test_from_file_reads_raw_and_encrypted_keys(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.from_private_bytes(b"\x05" * 32)
    raw = tmp_path / "raw.key"
    raw.write_bytes(key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                      serialization.NoEncryption()))
    raw.chmod(0o600)
    assert Signer.from_file(raw).key_id == Signer(key).key_id
    encrypted = tmp_path / "enc.pem"
    encrypted.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.BestAvailableEncryption(b"pass phrase")))
    encrypted.chmod(0o600)
    assert Signer.from_file(encrypted, password=b"pass phrase").key_id == Signer(key).key_id
    with pytest.raises(SigningKeyError, match="PEM"):
        Signer.from_file(encrypted, password=b"wrong")
    with pytest.raises(SigningKeyError, match="cannot read"):
        Signer.from_file(tmp_path / "absent.pem")
    junk = tmp_path / "junk.key"
    junk.write_bytes(b"hello")
    junk.chmod(0o600)
    with pytest.raises(SigningKeyError, match="PEM"):
        Signer.from_file(junk)


def test_public_keys_load_from_pem_or_raw(tmp_path: Path) -> None:
    key = signer(3)
    pem = tmp_path / "pub.pem"
    pem.write_bytes(key.public_key_pem())
    raw = tmp_path / "pub.raw"
    raw.write_bytes(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    verifier = Verifier.from_files([pem, raw])
    assert verifier.key_ids == {key.key_id}
    assert load_public_key(pem) == key.public_key()
    bad = tmp_path / "bad.pem"
    bad.write_bytes(b"nope")
    with pytest.raises(SigningKeyError):
        load_public_key(bad)
