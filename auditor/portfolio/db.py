"""The store plus the engine under it, for the tables `Store` has no methods for (the
portfolio roll-ups here, the fleet state in `auditor.fleet.state`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from auditor.store import Store


class StoreAccess:
    """An open store and its engine; close it (or use `with`) when done."""

    def __init__(self, engine: Engine, store: Store) -> None:
        self.engine = engine
        self.store = store

    @classmethod
    def open(cls, url: str | None) -> Self:
        """The store at `url`, migrated on first use as every command does."""
        from auditor.store import connect, finish_opening

        engine, current = connect(url)
        return cls(engine, finish_opening(engine, current))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.store.close()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in a transaction; database errors as StoreError."""
        from auditor.store.engine import errors

        with errors(self.engine), self.engine.connect() as conn, conn.begin():
            yield conn
