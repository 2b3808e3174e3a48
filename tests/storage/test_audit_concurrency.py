"""Concurrent writers in one organisation on PostgreSQL: every workflow action inserts rows that reference
the organisation (taking FOR KEY SHARE on its row) and then locks that row to append to the audit chain.
With ``FOR UPDATE`` two such transactions deadlock; ``FOR NO KEY UPDATE`` serialises them without it
(found by benchmarks/api_latency.py: 500s and 10-second writes at 50 clients)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select

from warden.auth.passwords import Argon2Parameters, PasswordHasher
from warden.storage.database import session_factory
from warden.storage.tables import Draft, SocialAccount
from warden.workflow import drafts, organisations
from warden.workflow.loading import member_principal

pytestmark = pytest.mark.db
HASHER = PasswordHasher(Argon2Parameters(time_cost=1, memory_cost_kib=64, parallelism=1, allow_below_minimum=True))


def test_concurrent_drafts_in_one_organisation_do_not_deadlock(db_engine: Engine) -> None:
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes the database's write lock first (BEGIN IMMEDIATE): no row locks to deadlock on")
    sessions = session_factory(db_engine)
    org_id, admin_id = organisations.create_organisation(
        sessions, name="North Police", slug="north", admin_email="admin@north.example.com", admin_name="Ada",
        admin_password="Quartz-Lantern-Meadow-9172", hasher=HASHER)
    with sessions() as session:
        admin = member_principal(session, admin_id)
    team = organisations.create_team(sessions, admin, "Comms")
    writers = []
    signed_in = replace(admin, authenticated_at=datetime.now(UTC))
    for n in range(8):
        member_id = organisations.add_member(sessions, signed_in, email=f"w{n}@north.example.com", display_name=f"W{n}",
                                             password=None, roles={team: ["contributor"]}, hasher=HASHER)
        with sessions() as session:
            writers.append(replace(member_principal(session, member_id), authenticated_at=datetime.now(UTC)))
    with sessions.begin() as session:
        account = SocialAccount(organisation_id=org_id, team_id=team, network="replay", handle="north",
                                account_type="corporate")
        session.add(account)
        session.flush()
        account_id = account.id
    failures: list[BaseException] = []
    start = threading.Barrier(len(writers))

    def write(principal: object) -> None:
        start.wait()
        try:
            for _ in range(6):
                drafts.create_draft(sessions, principal, team_id=team, account_ids=[account_id],  # type: ignore[arg-type]
                                    text="Road closed on the A64.")
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(p,)) for p in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[0]
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(Draft)).scalar_one() == 48
