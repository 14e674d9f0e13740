"""Each portfolio test on SQLite and on a fresh PostgreSQL database (tests/store/conftest.py)."""

from __future__ import annotations

from tests.store.conftest import db_url, pg_url, postgres_server  # noqa: F401 (fixtures)
