"""Migration 0004 (single sign-on, session method, shared throttle counters) goes down and up again,
keeping existing sessions (they were password sign-ins)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from warden.storage.database import _alembic_config, migrate, session_factory
from warden.storage.tables import Base, Member, Organisation
from warden.storage.tables import Session as SessionRow

pytestmark = pytest.mark.db
NEW_TABLES = {"oidc_providers", "member_identities", "oidc_login_states", "throttle_counters"}


def test_down_to_0003_and_up_again(db_engine: Engine) -> None:
    now = datetime.now(UTC)
    with session_factory(db_engine).begin() as session:
        org = Organisation(slug="north", name="North Police")
        session.add(org)
        session.flush()
        member = Member(organisation_id=org.id, email="a@example.com", display_name="A")
        session.add(member)
        session.flush()
        session.add(SessionRow(id=uuid.uuid4().hex, organisation_id=org.id, member_id=member.id, created_at=now,
                               last_seen_at=now, authenticated_at=now, expires_at=now + timedelta(hours=1),
                               csrf_secret="x", method="oidc"))
    command.downgrade(_alembic_config(db_engine), "0003")
    names = set(inspect(db_engine).get_table_names())
    assert not names & NEW_TABLES
    assert "method" not in {c["name"] for c in inspect(db_engine).get_columns("sessions")}
    migrate(db_engine)
    assert set(inspect(db_engine).get_table_names()) >= NEW_TABLES
    with db_engine.connect() as connection:
        assert connection.execute(text("SELECT method FROM sessions")).scalar_one() == "password"
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
