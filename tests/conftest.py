"""Shared fixtures. Database tests run on SQLite by default and on
PostgreSQL when WARDEN_TEST_DATABASE_URL names one (``make test`` does both)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from warden.storage.database import make_engine, migrate


def _postgres_engine(url: str) -> Iterator[Engine]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(str(make_url(url).set(query={"options": f"-csearch_path={schema}"})))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db_engine(tmp_path: Path) -> Iterator[Engine]:
    """A freshly migrated database for one test."""
    url = os.environ.get("WARDEN_TEST_DATABASE_URL")
    if url:
        for engine in _postgres_engine(url):
            migrate(engine)
            yield engine
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'warden.sqlite3'}")
    migrate(engine)
    yield engine
    engine.dispose()
