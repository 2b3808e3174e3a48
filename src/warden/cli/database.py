"""The database option shared by commands that use storage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from warden.storage.database import DEFAULT_URL

database_option: Callable[[Any], Any] = click.option(
    "--database", "database_url", envvar="WARDEN_DATABASE_URL", default=DEFAULT_URL, show_default=True,
    help="SQLAlchemy URL: sqlite:///file.sqlite3 or postgresql://user@host/db (env WARDEN_DATABASE_URL).")
