"""Run Warden (API and console) under uvicorn for the browser tests.

``python console_server.py DATABASE_URL PORT``; keys come from WARDEN_* in the
environment. Password hashing is cheap here: these tests are about the pages.
"""

from __future__ import annotations

import sys

import uvicorn

from warden.auth.passwords import Argon2Parameters, PasswordHasher
from warden.settings import Settings
from warden.storage.database import make_engine
from warden.web.app import create_app

CHEAP = PasswordHasher(Argon2Parameters(time_cost=1, memory_cost_kib=64, parallelism=1, allow_below_minimum=True))


def main() -> None:
    database, port = sys.argv[1], int(sys.argv[2])
    settings = Settings().model_copy(update={"database_url": database})
    app = create_app(settings, make_engine(database), hasher=CHEAP)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", server_header=False, access_log=False)


if __name__ == "__main__":
    main()
