import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm.exc import StaleDataError

from warden.domain.errors import ConfigurationError
from warden.storage.database import make_engine, migrate, session_factory
from warden.storage.tables import Base, Draft, Member, Message, Organisation, SocialAccount, Team

pytestmark = pytest.mark.db


def seed(engine: Engine) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID]:
    with session_factory(engine).begin() as session:
        org = Organisation(slug="north", name="North Police")
        session.add(org)
        session.flush()
        team = Team(organisation_id=org.id, name="Corporate comms")
        member = Member(organisation_id=org.id, email="a@example.com", display_name="A")
        session.add_all([team, member])
        session.flush()
        account = SocialAccount(organisation_id=org.id, team_id=team.id, network="replay", handle="north",
                                account_type="corporate")
        session.add(account)
        session.flush()
        return org.id, team.id, member.id, account.id


def test_migrations_match_the_tables_and_are_idempotent(db_engine: Engine) -> None:
    migrate(db_engine)
    with db_engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_datetimes_are_utc_aware_both_ways(db_engine: Engine) -> None:
    org_id, *_ = seed(db_engine)
    plus_two = datetime(2026, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    with session_factory(db_engine).begin() as session:
        org = session.get(Organisation, org_id)
        assert org is not None
        org.created_at = plus_two
    with session_factory(db_engine)() as session:
        stored = session.scalars(select(Organisation.created_at)).one()
    assert stored == plus_two and stored.tzinfo == UTC and stored.hour == 12


def test_naive_datetimes_are_refused(db_engine: Engine) -> None:
    org_id, *_ = seed(db_engine)
    with pytest.raises(StatementError, match="naive datetime"), session_factory(db_engine).begin() as session:
        org = session.get(Organisation, org_id)
        assert org is not None
        org.created_at = datetime(2026, 1, 1)  # naive on purpose


def test_inbound_messages_deduplicate_on_account_and_network_id(db_engine: Engine) -> None:
    org_id, _, _, account_id = seed(db_engine)

    def message() -> Message:
        return Message(organisation_id=org_id, account_id=account_id, network_id="n-1", thread_key="t",
                       kind="reply", author_handle="@x", text="hi", sent_at=datetime.now(UTC))

    with session_factory(db_engine).begin() as session:
        session.add(message())
    with pytest.raises(IntegrityError), session_factory(db_engine).begin() as session:
        session.add(message())


def test_optimistic_locking_rejects_stale_writes(db_engine: Engine) -> None:
    if db_engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE); stale versions across requests are tested in "
                    "the workflow tests")
    org_id, team_id, member_id, account_id = seed(db_engine)
    factory = session_factory(db_engine)
    with factory.begin() as session:
        draft = Draft(organisation_id=org_id, team_id=team_id, author_id=member_id, account_ids=[str(account_id)],
                      text="hello", state="draft")
        session.add(draft)
    first, second = factory(), factory()
    a, b = first.get(Draft, draft.id), second.get(Draft, draft.id)
    assert a is not None and b is not None
    a.text = "edit one"
    first.commit()
    b.text = "edit two"
    with pytest.raises(StaleDataError):
        second.commit()
    first.close()
    second.close()


def test_unsupported_or_bad_urls() -> None:
    with pytest.raises(ConfigurationError, match="unsupported database"):
        make_engine("mysql://x@localhost/db")
    with pytest.raises(ConfigurationError, match="invalid database URL"):
        make_engine("::not a url::")
