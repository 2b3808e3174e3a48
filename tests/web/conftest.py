from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from web_org import Tenant, Web, api_settings, build_tenant


@pytest.fixture
def web(db_engine: Engine) -> Iterator[Web]:
    harness = Web(db_engine, api_settings())
    yield harness
    harness.close()


@pytest.fixture
def north(db_engine: Engine) -> Tenant:
    return build_tenant(db_engine, "north")


@pytest.fixture
def south(db_engine: Engine) -> Tenant:
    return build_tenant(db_engine, "south")
