"""``warden init``: create the database, the first organisation and its admin."""

from __future__ import annotations

import os
from pathlib import Path

import click

from warden.audit import generate_key
from warden.auth.passwords import PasswordHasher
from warden.cli.database import database_option
from warden.storage.database import make_engine, migrate, session_factory
from warden.workflow.organisations import create_organisation


@click.command("init")
@database_option
@click.option("--org-name", default="Demo Police", show_default=True)
@click.option("--slug", default="demo", show_default=True, help="Short name used at sign-in.")
@click.option("--admin-email", default="admin@example.com", show_default=True)
@click.option("--admin-name", default="Admin", show_default=True)
@click.option("--audit-key", type=click.Path(path_type=Path, dir_okay=False), envvar="WARDEN_AUDIT_KEY",
              default=Path("warden-audit.key"), show_default=True,
              help="Ed25519 key that signs audit checkpoints; keep it outside the database.")
def init_command(database_url: str, org_name: str, slug: str, admin_email: str, admin_name: str,
                 audit_key: Path) -> None:
    """Create the database, the first organisation and its admin; print how to sign in.

    The admin password is read from WARDEN_ADMIN_PASSWORD, or asked for.
    """
    password = os.environ.get("WARDEN_ADMIN_PASSWORD") or click.prompt(
        "Admin password (at least 12 characters)", hide_input=True, confirmation_prompt=True)
    engine = make_engine(database_url)
    migrate(engine)
    org_id, _ = create_organisation(session_factory(engine), name=org_name, slug=slug, admin_email=admin_email,
                                    admin_name=admin_name, admin_password=password, hasher=PasswordHasher())
    if not audit_key.exists():
        signer = generate_key(audit_key)
        audit_key.with_suffix(audit_key.suffix + ".pub").write_bytes(signer.public_key_pem())
        click.echo(f"audit signing key: {audit_key} (public key {audit_key}.pub)")
    click.echo(f"database: {engine.url.render_as_string(hide_password=True)}")
    click.echo(f"organisation {org_name!r} created (id {org_id}, sign-in name {slug!r})")
    click.echo(f"sign in as {admin_email} with the password you chose; run `warden serve` to start the API")
