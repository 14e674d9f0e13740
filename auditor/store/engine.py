"""Engines and schema: connection setup per backend, the version check, migrations.

Imported only once a store is opened, so `import auditor.store` stays free of SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import as_file, files
from typing import Any

import orjson
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    SQLAlchemyError,
)

from auditor.errors import StoreError
from auditor.store import SCHEMA_HEAD

WRITE = {"auditor_write": True}
"""Execution option marking a write transaction (SQLite then takes the write lock at BEGIN)."""

MIGRATION_LOCK = 0x6F726967696E  # PostgreSQL advisory lock key: "origin" in ASCII


def make_engine(url: str | None) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, WAL and real transactions."""
    if url is None:
        import platformdirs

        folder = platformdirs.user_data_path("origin-auditor")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{folder}: cannot create the data folder: {exc.strerror}") from exc
        url = f"sqlite:///{folder / 'auditor.db'}"
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"{url}: not a database URL",
            hint="use e.g. sqlite:///path/auditor.db or postgresql://user@host/db",
        ) from exc
    if parsed.drivername == "postgresql":
        # SQLAlchemy's default PostgreSQL driver is psycopg2; we ship psycopg 3.
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"{parsed.render_as_string()}: unsupported database {parsed.get_backend_name()!r}",
            hint="the store works with SQLite and PostgreSQL",
        )
    try:
        # orjson: a 100,000-component scan has ~600,000 JSON column values to (de)code, and
        # the stdlib's json was a quarter of loading one.
        engine = create_engine(parsed, json_serializer=_json_text, json_deserializer=orjson.loads)
    except (NoSuchModuleError, ImportError) as exc:
        raise StoreError(
            f"{parsed.render_as_string()}: database driver missing: {exc}",
            hint="install the PostgreSQL driver: pip install 'origin-auditor[postgres]'",
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode("utf-8")


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # sqlite3 would BEGIN lazily and never for DDL; take over so `_sqlite_begin` decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite, per connection
    cursor.execute("PRAGMA busy_timeout=10000")  # wait for another writer, do not fail
    # WAL: readers never block the writer. The mode is stored in the file, so only a new
    # database switches; the switch takes an exclusive lock without waiting on the busy
    # handler, so concurrent first uses retry it for a while.
    deadline = time.monotonic() + 10
    while cursor.execute("PRAGMA journal_mode").fetchone()[0] not in ("wal", "memory"):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers lock at BEGIN: a deferred transaction that upgrades to a write lock fails at
    # once with SQLITE_BUSY when another writer is active, whatever the busy timeout.
    immediate = conn.get_execution_options().get("auditor_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def read_versions(conn: Connection) -> tuple[str, ...]:
    """alembic_version's rows without importing alembic; () when the table is missing."""
    try:
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:  # no such table: a new database
        conn.rollback()
        return ()
    conn.rollback()
    return tuple(sorted(rows))


def migrate(engine: Engine) -> str:
    """Upgrade to the head revision under a lock, so concurrent first uses do it once."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    with as_file(files("auditor.store") / "migrations") as location, errors(engine):
        config = Config()
        config.set_main_option("script_location", str(location))
        script = ScriptDirectory.from_config(config)
        known = {rev.revision for rev in script.walk_revisions()}
        with engine.connect() as conn:
            conn.execution_options(**WRITE)
            with conn.begin():
                if conn.dialect.name == "postgresql":  # DDL is transactional there
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                current = MigrationContext.configure(conn).get_current_heads()
                if unknown := sorted(set(current) - known):
                    raise StoreError(
                        f"{engine.url.render_as_string()}: database schema {', '.join(unknown)}"
                        f" is newer than this origin-auditor knows ({SCHEMA_HEAD})",
                        hint="upgrade origin-auditor to use this database",
                    )
                config.attributes["connection"] = conn  # env.py migrates on our transaction
                try:
                    command.upgrade(config, "head")
                except CommandError as exc:  # alembic's own failures are not SQLAlchemy's
                    raise StoreError(
                        f"{engine.url.render_as_string()}: schema upgrade failed: {exc}",
                        hint="run `auditor db upgrade` to retry; report the error if it persists",
                    ) from exc
        head = script.get_current_head()
        assert head is not None, "migrations/versions holds no revision"
        return head


def first_line(exc: BaseException) -> str:
    """The driver's own message, first line only (SQLAlchemy appends a long background)."""
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().splitlines()[0]


@contextmanager
def errors(engine: Engine) -> Iterator[None]:
    """SQLAlchemy errors as StoreError, subject = the URL without its password."""
    try:
        yield
    except IntegrityError:
        raise  # the caller knows what a conflict means
    except (SQLAlchemyError, sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        # A damaged SQLite file fails anywhere, even in our connect hook (undecodable text).
        message = first_line(exc)
        if (
            isinstance(exc, UnicodeDecodeError)
            or "malformed" in message
            or "not a database" in message
        ):
            raise damaged(engine, message) from exc
        raise StoreError(
            f"{engine.url.render_as_string()}: {message}",
            hint="check that the database is reachable and the URL is right",
        ) from exc


def damaged(engine: Engine, detail: str) -> StoreError:
    """The error for a store file whose pages are damaged."""
    return StoreError(
        f"{engine.url.render_as_string()}: the database file is damaged ({detail})",
        hint="restore it from a backup, or move it away and start a new store "
        "(`sqlite3 FILE .recover` salvages what is readable)",
    )


CHECKED_TABLES = ("scans", "scan_targets", "targets", "components", "findings")
"""What `auditor history` counts: checked before it counts them (Store.list_scans)."""


def check_pages(conn: Connection) -> None:
    """StoreError when a page of a table history counts is damaged (SQLite only): such a page
    would otherwise give silently wrong counts. `quick_check` reads every page of the table
    and its indexes, never comparing rows, so it costs one pass over them."""
    if conn.dialect.name != "sqlite":
        return
    for table in CHECKED_TABLES:
        result = conn.exec_driver_sql(f"PRAGMA quick_check({table})").scalars().all()
        if result != ["ok"]:
            lines = [x for r in result for x in str(r).splitlines() if not x.startswith("***")]
            raise damaged(conn.engine, f"table {table}: {lines[0] if lines else result[0]}")


def dialect_insert(conn: Connection, table: Any) -> Any:
    """`INSERT … ON CONFLICT` for `table` in the dialect of `conn` (both dialects' Insert has
    `on_conflict_do_*`). Only that dialect is imported: PostgreSQL's pulls in asyncio and
    its drivers' modules, ~35 ms on every scan stored in SQLite."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)
