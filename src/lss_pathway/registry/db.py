"""Opening a registry database: the default SQLite file, its pragmas, and Alembic migrations.

SQLite runs in WAL mode with ``synchronous=FULL`` (a committed write survives a crash of the process and
of the machine), foreign keys on, and write transactions (``writer(engine)``) that start with ``BEGIN
IMMEDIATE`` so two writers queue on the busy timeout instead of failing on a lock upgrade; reads begin
deferred and never wait for writers. PostgreSQL is used as configured.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def default_path() -> Path:
    """``$XDG_DATA_HOME/lss-pathway/registry.sqlite3`` (``~/.local/share`` when XDG_DATA_HOME is unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "lss-pathway" / "registry.sqlite3"


def default_url() -> str:
    return f"sqlite:///{default_path()}"


def resolve_url(url: str | None) -> str:
    """The URL to use: the one given, ``LSS_REGISTRY_DB``, or the default SQLite file (its folder created)."""
    chosen = url or os.environ.get("LSS_REGISTRY_DB") or default_url()
    if chosen.startswith("sqlite:///") and chosen != "sqlite:///:memory:":
        Path(chosen.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return chosen


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event below issues BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    immediate = connection.get_execution_options().get("registry_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The same engine, marked so that its SQLite transactions take the write lock at BEGIN.

    Reads stay deferred, so a report never waits for (or blocks) the writers.
    """
    return engine.execution_options(registry_write=True)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (see ``resolve_url``) with the registry's SQLite settings applied."""
    engine = create_engine(resolve_url(url), **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None
    return head


def is_initialised(engine: Engine) -> bool:
    return "subjects" in inspect(engine).get_table_names()
