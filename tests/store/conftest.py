"""Databases for the store tests: a file per test on SQLite, a fresh database per test on
PostgreSQL (created on the server named by AUDITOR_TEST_PG_URL and dropped afterwards).

When PostgreSQL is unreachable the PostgreSQL tests are skipped with the reason, except
under CI=true, where they fail: CI must not go green without them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from auditor.store import Store, open_store

PG_DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class PostgresServer:
    """Creates and drops uniquely named databases on one server."""

    def __init__(self, admin: Engine) -> None:
        self.admin = admin
        self.created: list[str] = []

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        name = f"auditor_test_{secrets.token_hex(6)}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Drop the database at `url`, closing whatever is still connected to it."""
        name = make_url(url).database
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if name in self.created:
            self.created.remove(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The test server, or a skip (a failure under CI=true) when it cannot be reached."""
    url = make_url(os.environ.get("AUDITOR_TEST_PG_URL", PG_DEFAULT_URL))
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    admin = create_engine(
        url, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"connect_timeout": 5}
    )
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        reason = f"PostgreSQL at {url.render_as_string()} unreachable: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the PostgreSQL store tests must run)", pytrace=False)
        pytest.skip(reason)
    server = PostgresServer(admin)
    yield server
    for name in list(server.created):
        server.drop(admin.url.set(database=name).render_as_string(hide_password=False))
    admin.dispose()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    url = postgres_server.new_database()
    yield url
    postgres_server.drop(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An empty database of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('store') / 'auditor.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An open store on an empty database of each backend."""
    with open_store(db_url) as opened:
        yield opened
