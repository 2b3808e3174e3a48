"""The PostgreSQL role the application runs as: everything it needs, and on
the audit tables nothing but INSERT and SELECT."""

from __future__ import annotations

import re

from sqlalchemy import Engine, text

from warden.domain.errors import ConfigurationError
from warden.storage.tables import Base

AUDIT_TABLES = ("audit_entries", "audit_checkpoints")
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_application_role(engine: Engine, role: str) -> None:
    """Run as the schema owner after migrating."""
    if engine.dialect.name != "postgresql":
        raise ConfigurationError("database roles exist only on PostgreSQL")
    if not _ROLE.match(role):
        raise ConfigurationError(f"invalid role name {role!r}")
    with engine.begin() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        connection.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}'))
        for table in Base.metadata.sorted_tables:
            rights = "SELECT, INSERT" if table.name in AUDIT_TABLES else "SELECT, INSERT, UPDATE, DELETE"
            connection.execute(text(f'GRANT {rights} ON "{schema}"."{table.name}" TO {role}'))
            if table.name in AUDIT_TABLES:
                connection.execute(text(f'REVOKE UPDATE, DELETE, TRUNCATE ON "{schema}"."{table.name}" FROM {role}'))
