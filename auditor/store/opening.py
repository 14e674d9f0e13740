"""A store opened on a background thread while the targets are read.

Opening a store costs importing SQLAlchemy, connecting and one version query: a third of a
small stored scan. `OpeningStore` starts that (and warms the modules a save needs) when
the scan starts; the scan's collectors meanwhile read files and release the interpreter
lock while they wait on the disk. The registry-answer cache and the digest memo it hands
out are stand-ins that wait for the store on first use, so a scan that never needs them
never waits.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from auditor.errors import AuditorError
from auditor.hashing import DigestMemo, KnownFile, MemoKey

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from auditor.http import CachedResponse, HttpCache
    from auditor.store import Store


class OpeningStore:
    """`open_store(url)` under way; `result()` waits for it."""

    def __init__(self, url: str | None) -> None:
        self._connected: tuple[Engine, bool] | None = None
        self._store: Store | None = None
        self._error: AuditorError | None = None
        self._finished = False
        self._finishing = threading.Lock()  # first use may come from resolver threads
        self._thread = threading.Thread(target=self._open, args=(url,), name="auditor-store")
        self._thread.start()

    def _open(self, url: str | None) -> None:
        from auditor.store import connect

        try:
            self._connected = connect(url)
        except AuditorError as exc:
            self._error = exc
            return
        except BaseException as exc:  # re-raised on the caller's thread
            self._error = _Failed(exc)
            return
        # What saving and history read need, imported while the scan still collects.
        from auditor.store import codec, queries  # noqa: F401

    def result(self) -> tuple[Store | None, AuditorError | None]:
        """The open store (migrated here when its schema is not current), or why it could
        not be opened."""
        self._thread.join()
        if isinstance(self._error, _Failed):
            raise self._error.cause
        with self._finishing:
            if not self._finished and self._connected is not None:
                from auditor.store import finish_opening

                self._finished = True
                try:
                    self._store = finish_opening(*self._connected)
                except AuditorError as exc:
                    self._error = exc
        return self._store, self._error

    def http_cache(self) -> HttpCache:
        """The store's registry-answer cache, waited for on first use (none if the store
        could not be opened)."""
        return _LazyCache(self)

    def digest_memo(self) -> DigestMemo:
        """The store's digest memo, waited for on first use."""
        return _LazyMemo(self)


class _Failed(AuditorError):
    """An unexpected exception on the opening thread, carried to the caller's."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _LazyCache:
    def __init__(self, opening: OpeningStore) -> None:
        self._opening = opening
        self._inner: HttpCache | None = None
        self._resolved = False
        self._lock = threading.Lock()

    def _cache(self) -> HttpCache | None:
        with self._lock:
            if not self._resolved:
                store, _ = self._opening.result()
                self._inner = store.http_cache() if store is not None else None
                self._resolved = True
            return self._inner

    def get(self, key: str) -> CachedResponse | None:
        inner = self._cache()
        return inner.get(key) if inner is not None else None

    def put(self, key: str, response: CachedResponse) -> None:
        if (inner := self._cache()) is not None:
            inner.put(key, response)

    def flush(self) -> None:
        if (inner := self._cache()) is not None:
            inner.flush()

    def prefetch(self, keys: Iterable[str]) -> None:
        if (inner := self._cache()) is not None:
            inner.prefetch(keys)


class _LazyMemo(DigestMemo):
    def __init__(self, opening: OpeningStore) -> None:
        self._opening = opening
        self._inner: DigestMemo | None = None
        self._resolved = False
        self._lock = threading.Lock()

    def _memo(self) -> DigestMemo | None:
        with self._lock:
            if not self._resolved:
                store, _ = self._opening.result()
                self._inner = store.digest_memo() if store is not None else None
                self._resolved = True
            return self._inner

    def lookup(self, keys: Iterable[MemoKey]) -> dict[MemoKey, str]:
        inner = self._memo()
        return inner.lookup(keys) if inner is not None else {}

    def record(self, digests: Mapping[MemoKey, str]) -> None:
        if (inner := self._memo()) is not None:
            inner.record(digests)

    def known_files(self, digests: Iterable[str]) -> dict[str, tuple[KnownFile, ...]]:
        inner = self._memo()
        return inner.known_files(digests) if inner is not None else {}

    def record_files(self, files: Iterable[KnownFile]) -> None:
        if (inner := self._memo()) is not None:
            inner.record_files(files)
