"""Login throttling shared through the database: what one ``warden serve`` process counts, another
sees (``settings.throttle_store = "database"``, the default); ``"memory"`` keeps it per process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from web_org import HASHER, Tenant, Web, api_settings

from warden.auth.keys import generate_key
from warden.web.app import create_app

pytestmark = pytest.mark.db
API = "/api/v1"
#: The processes of one installation share its secret key (WARDEN_SECRET_KEY), which keys the stored counters' names.
SECRET = SecretStr(generate_key())


def process(engine: Engine, **settings: Any) -> Web:
    """One API process on the shared database, with the throttle store its settings choose."""
    harness = Web(engine, api_settings(secret_key=SECRET, **settings))
    harness.app = create_app(harness.settings, engine, hasher=HASHER, clock=harness.clock)
    return harness


@pytest.fixture
def processes(db_engine: Engine) -> Iterator[list[Web]]:
    made: list[Web] = []
    yield made
    for harness in made:
        harness.close()


def wrong(web: Web, tenant: Tenant) -> int:
    response = web.client().post(f"{API}/auth/login", json={"organisation": tenant.slug, "email":
                                                            tenant.email("publisher"),
                                                            "password": "Wrong-Password-123456"})
    return response.status_code


def test_failures_in_one_process_throttle_the_other(db_engine: Engine, north: Tenant,
                                                    processes: list[Web]) -> None:
    first, second = process(db_engine), process(db_engine)
    processes += [first, second]
    for web in (first, second, first, second, first, second):
        assert wrong(web, north) == 401
    throttled = first.client().login(north, "publisher")
    assert throttled.status_code == 429 and throttled.json()["error"]["code"] == "too_many_attempts"
    assert second.client().login(north, "publisher").status_code == 429


def test_the_memory_store_is_per_process(db_engine: Engine, north: Tenant, processes: list[Web]) -> None:
    first, second = process(db_engine, throttle_store="memory"), process(db_engine, throttle_store="memory")
    processes += [first, second]
    for _ in range(6):
        assert wrong(first, north) == 401
    assert first.client().login(north, "publisher").status_code == 429
    assert second.client().login(north, "publisher").status_code == 200
