"""``warden audit``: verify the tamper-evident log, sign checkpoints, export."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from warden.audit import Checkpoint, Signer, Verifier, dump_checkpoints, load_checkpoints, load_public_key
from warden.cli.database import database_option
from warden.domain.errors import InvalidInput
from warden.storage import audit_checkpoint
from warden.storage.database import make_engine, session_factory
from warden.storage.tables import Organisation

_key_option = click.option("--key", "key_path", type=click.Path(path_type=Path, dir_okay=False),
                           envvar="WARDEN_AUDIT_KEY", default=Path("warden-audit.key"), show_default=True,
                           help="The Ed25519 signing key (its public half is KEY.pub).")
_exported_option = click.option("--checkpoints", "exported_path", type=click.Path(path_type=Path, dir_okay=False),
                                envvar="WARDEN_AUDIT_CHECKPOINTS", default=None,
                                help="Exported checkpoints (JSON lines) kept outside the database.")


@click.group("audit")
def audit_group() -> None:
    """Verify the audit log and sign checkpoints."""


def _organisations(session: Session, slug: str | None) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.slug)
    if slug:
        query = query.where(Organisation.slug == slug)
    rows = list(session.execute(query).scalars())
    if slug and not rows:
        raise InvalidInput(f"no organisation {slug!r}")
    return rows


def _verifier(key_path: Path, extra: tuple[Path, ...]) -> Verifier:
    public = [key_path.with_suffix(key_path.suffix + ".pub"), *extra]
    found = [p for p in public if p.exists()]
    return Verifier(load_public_key(p) for p in found)


def _exported(path: Path | None) -> list[Checkpoint]:
    if path is None or not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return list(load_checkpoints(handle))


@audit_group.command("verify")
@database_option
@click.option("--org", "slug", help="One organisation (default: all).")
@_key_option
@_exported_option
@click.option("--public-key", "public_keys", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="More public keys (after a key rotation).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify_command(database_url: str, slug: str | None, key_path: Path, exported_path: Path | None,
                   public_keys: tuple[Path, ...], as_json: bool) -> None:
    """Recompute every entry hash, the chain links and the signed checkpoints.

    Exit status 0 when every chain verifies; 1 naming the first bad entry otherwise.
    """
    engine = make_engine(database_url)
    verifier = _verifier(key_path, public_keys)
    exported = _exported(exported_path)
    failed = False
    with session_factory(engine)() as session:
        for org in _organisations(session, slug):
            report = audit_checkpoint.verify(session, org.id, verifier, exported)
            failed |= not report.ok
            if as_json:
                click.echo(json.dumps({"organisation": org.slug, **report.to_dict()}))
            else:
                click.echo(f"{org.slug}: {'ok' if report.ok else 'FAILED'}: {report.summary()}")
    sys.exit(1 if failed else 0)


@audit_group.command("checkpoint")
@database_option
@click.option("--org", "slug", help="One organisation (default: all).")
@_key_option
@_exported_option
def checkpoint_command(database_url: str, slug: str | None, key_path: Path, exported_path: Path | None) -> None:
    """Verify, then sign each chain's Merkle root; store it and append it to --checkpoints."""
    signer = Signer.from_file(key_path)
    verifier = _verifier(key_path, ())
    engine = make_engine(database_url)
    exported = _exported(exported_path)
    made = []
    with session_factory(engine).begin() as session:
        for org in _organisations(session, slug):
            checkpoint = audit_checkpoint.sign_checkpoint(session, org.id, signer, verifier, exported)
            if checkpoint is not None:
                made.append(checkpoint)
                click.echo(f"{org.slug}: signed tree size {checkpoint.tree_size} root {checkpoint.root_hash}")
    if exported_path is not None and made:
        with exported_path.open("a", encoding="utf-8") as handle:
            dump_checkpoints(made, handle)
