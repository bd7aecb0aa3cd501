"""The registry suite runs on both engines: SQLite in a temporary file and a real PostgreSQL server that
the session starts (and stops) itself; the PostgreSQL half skips with the reason when it cannot start."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy", reason="the registry extra is not installed (pip install -e '.[registry]')")

from sqlalchemy import Engine
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
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()  # before the schema is dropped


def _initialise(url: str) -> None:
    eng = make_engine(url)
    upgrade(eng)
    Registry(eng).install_schedules()
    eng.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file with the schedules installed; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "registry.sqlite3"
    _initialise(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(pg: pg_server.PgServer) -> str:
    """One migrated PostgreSQL database; each test gets ``CREATE DATABASE ... TEMPLATE`` of it."""
    _initialise(pg.create_database("registry_template"))
    return "registry_template"


@pytest.fixture(params=ENGINES)
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on each engine, already migrated to head with the packaged schedules."""
    if request.param == "sqlite":
        path = tmp_path / "registry.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server: pg_server.PgServer = request.getfixturevalue("pg")
    template = request.getfixturevalue("pg_template")
    name = f"registry_{next(_names)}"
    server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield server.url(name)
    server.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def registry(registry_url: str) -> Iterator[Registry]:
    eng = make_engine(registry_url)
    yield Registry(eng)
    eng.dispose()
