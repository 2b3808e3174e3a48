"""Migration 0008 (the hashed client address group of a pending single sign-on) goes down and up again;
a sign-in pending from before it keeps no address (NULL) and is not counted against anyone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, select

from warden.storage.database import _alembic_config, migrate, session_factory
from warden.storage.tables import Base, OidcLoginState, Organisation

pytestmark = pytest.mark.db


def columns(engine: Engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("oidc_login_states")}


def test_down_to_0007_and_up_again(db_engine: Engine) -> None:
    command.downgrade(_alembic_config(db_engine), "0007")
    assert "address_hash" not in columns(db_engine)
    now = datetime.now(UTC)
    with session_factory(db_engine).begin() as session:
        org = Organisation(slug="north", name="North Police")
        session.add(org)
        session.flush()
        session.execute(insert(OidcLoginState).values(
            id="a" * 64, organisation_id=org.id, purpose="sign_in", session_id=None, browser_hash="b" * 64,
            login=b"sealed", return_to="/", created_at=now, expires_at=now + timedelta(minutes=10)))
    migrate(db_engine)
    assert "address_hash" in columns(db_engine)
    with session_factory(db_engine)() as session:
        assert session.execute(select(OidcLoginState.address_hash)).scalar_one() is None
    with db_engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
