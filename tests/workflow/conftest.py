import pytest
from sqlalchemy import Engine

from workflow_org import Org, build_org


@pytest.fixture
def org(db_engine: Engine) -> Org:
    return build_org(db_engine, "north")
