"""On PostgreSQL the application role cannot UPDATE, DELETE or TRUNCATE the
audit table; the triggers stop even the owner."""

import os
import uuid

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from warden.storage.roles import grant_application_role

pytestmark = [pytest.mark.db, pytest.mark.skipif(not os.environ.get("WARDEN_TEST_DATABASE_URL"),
                                                 reason="needs PostgreSQL (the PostgreSQL pass of make test)")]


def _insert_entry(engine: Engine) -> str:
    org = str(uuid.uuid4())
    with engine.begin() as c:
        c.execute(text("INSERT INTO organisations (id, slug, name, mfa_required, locked_down, election_period, "
                       "created_at) VALUES (:id, :slug, 'Org', false, false, false, now())"),
                  {"id": org, "slug": f"o-{org[:8]}"})
        c.execute(text("INSERT INTO audit_entries (organisation_id, seq, occurred_at, action, actor_id, object_type, "
                       "object_id, entry_hash, body) VALUES (:org, 1, now(), 'x', 'a', 't', 'o', 'h', '{}')"),
                  {"org": org})
    return org


@pytest.mark.parametrize("statement", ["UPDATE audit_entries SET action = 'forged'", "DELETE FROM audit_entries",
                                       "TRUNCATE audit_entries"])
def test_application_role_cannot_change_audit(db_engine: Engine, statement: str) -> None:
    _insert_entry(db_engine)
    role = f"warden_app_{uuid.uuid4().hex[:8]}"
    with db_engine.begin() as c:
        c.execute(text(f"CREATE ROLE {role}"))
    try:
        grant_application_role(db_engine, role)
        with db_engine.connect() as c:
            c.execute(text(f"SET ROLE {role}"))
            c.execute(text("SELECT count(*) FROM audit_entries")).scalar_one()
            with pytest.raises(DBAPIError, match=r"permission denied|append-only"):
                c.execute(text(statement))
            c.rollback()
            c.execute(text(f"SET ROLE {role}"))
            c.execute(text("UPDATE organisations SET name = 'Renamed'"))  # ordinary tables stay writable
            c.rollback()
    finally:
        with db_engine.begin() as c:
            c.execute(text(f"DROP OWNED BY {role}"))
            c.execute(text(f"DROP ROLE {role}"))


@pytest.mark.parametrize("statement", ["UPDATE audit_entries SET action = 'forged'", "DELETE FROM audit_entries",
                                       "TRUNCATE audit_entries"])
def test_triggers_stop_even_the_owner(db_engine: Engine, statement: str) -> None:
    _insert_entry(db_engine)
    with pytest.raises(DBAPIError, match="append-only"), db_engine.begin() as c:
        c.execute(text(statement))
