"""The registry suite runs on both engines: SQLite in a temporary file and a real PostgreSQL server that
the session starts (and stops) itself; the PostgreSQL half skips with the reason when it cannot start."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy", reason="the registry extra is not installed (pip install -e '.[registry]')")

from tests.registry import pg_server

from lss_pathway.registry.db import make_engine, upgrade
from lss_pathway.registry.store import Registry

ENGINES = ("sqlite", "postgresql")
_names = itertools.count()


@pytest.fixture(scope="session")
def pg() -> Iterator[pg_server.PgServer]:
    try:
        server = pg_server.start()
    except pg_server.Unavailable as exc:
        pytest.skip(f"PostgreSQL half skipped: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each engine (on PostgreSQL, a fresh schema in one database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.sqlite3'}"
        return
    server: pg_server.PgServer = request.getfixturevalue("pg")
    name = f"registry_{next(_names)}"
    yield server.create_schema(name)
    server.drop_schema(name)


@pytest.fixture
def engine(db_url: str) -> Iterator[object]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()  # before the schema is dropped


@pytest.fixture
def registry(engine: object) -> Registry:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    upgrade(engine)
    reg = Registry(engine)
    reg.install_schedules()
    return reg
