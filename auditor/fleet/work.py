"""One target of a fleet job, scanned by a worker: the same pipeline as `auditor scan`,
saved to the shared store once, whatever the broker redelivers.

Exactly once: the scan is saved under `scan_id_for(job, target)`, so a task redelivered
after its scan was committed (a worker killed between the commit and the acknowledgement)
finds the id taken and only marks the target done; a task redelivered before the commit
scans again and saves the one scan. The fleet state row is moved by guarded UPDATEs.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from auditor.errors import AuditorError, StoreError, TargetError, UsageError
from auditor.fleet.sources import Sources, is_url
from auditor.fleet.state import FleetStore, open_fleet, scan_id_for
from auditor.http_fetch import UrlFetchError

if TYPE_CHECKING:
    from auditor.model import Scan
    from auditor.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """What `auditor worker` was started with (every task of the worker uses it)."""

    db_url: str | None
    offline: bool = False
    no_resolve: bool = False
    pypi_url: str | None = None
    npm_registry: str | None = None
    time_limit: int = 3600
    """Seconds one target may take; the broker's visibility timeout is set above it."""
    sources: Sources = field(default_factory=Sources)
    """Where lockfile URL targets may be fetched from (this worker's own list)."""


class Permanent(Exception):
    """A target that no retry can help (missing, unreadable, malformed): it fails at once."""


class Transient(Exception):
    """Trouble a later attempt may get past (the database unreachable, a lost connection)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt did."""

    state: str  # done | skipped (already done)
    scan_id: str | None


def scan_target(
    settings: WorkerSettings, job_id: str, target: str, node: str | None = None
) -> Outcome:
    """Scan `target` for `job_id` and record it; Permanent or Transient when it cannot be.

    A target the state table no longer holds as queued or running (already done, failed
    for good, or never submitted) is skipped: a redelivered duplicate does nothing. `node`
    is the Celery worker's name (`auditor-PID@HOST`): recorded with the pool process id, so
    `fleet status` can ask the broker whether that worker still answers.
    """
    try:
        fleet = open_fleet(settings.db_url)
    except StoreError as exc:
        raise Transient(_message(exc)) from exc
    with fleet:
        try:
            worker = f"{node or socket.gethostname()}:{os.getpid()}"
            if not fleet.start(job_id, target, worker=worker):
                return Outcome("skipped", None)
        except StoreError as exc:
            raise Transient(_message(exc)) from exc
        scan_id = scan_id_for(job_id, target)
        try:
            reason = _failure(fleet, settings, target, scan_id)
            # Recording the outcome needs the database too: lost here, it is a retry (which
            # finds the scan saved), never a target left `running` with its task acknowledged.
            if reason is not None:
                fleet.finish(job_id, target, "failed", None, reason)
                raise Permanent(reason)
            fleet.finish(job_id, target, "done", scan_id, None)
        except StoreError as exc:
            raise Transient(_message(exc)) from exc
        return Outcome("done", scan_id)


def _failure(fleet: FleetStore, settings: WorkerSettings, target: str, scan_id: str) -> str | None:
    """Scan and save; why the target failed for good, or None. Transient trouble (the
    database: StoreError; a server answering 5xx) is raised."""
    try:
        _scan_once(fleet, settings, target, scan_id)
    except (TargetError, UsageError) as exc:
        return exc.message  # alone: the pipeline's hint speaks of a command line's targets
    except UrlFetchError as exc:
        if exc.transient:
            raise Transient(exc.reason) from exc
        return exc.reason
    except StoreError:
        raise
    except AuditorError as exc:
        return _message(exc)
    return None


def fail_target(settings: WorkerSettings, job_id: str, target: str, error: str) -> None:
    """Record a target as failed for good (retries spent, time limit); never raises."""
    try:
        with open_fleet(settings.db_url) as fleet:
            fleet.finish(job_id, target, "failed", None, error)
    except AuditorError as exc:
        log.error("%s: could not record the failure (%s): %s", target, error, exc.message)


def requeue_target(settings: WorkerSettings, job_id: str, target: str, error: str) -> None:
    """Show a target waiting for its retry as queued again, with why; never raises."""
    try:
        with open_fleet(settings.db_url) as fleet:
            fleet.finish(job_id, target, "queued", None, error)
    except AuditorError as exc:
        log.warning("%s: could not record the retry: %s", target, exc.message)


def _scan_once(fleet: FleetStore, settings: WorkerSettings, target: str, scan_id: str) -> None:
    """Scan and save under `scan_id`, unless a scan with that id is already stored."""
    store = fleet.store
    if _stored(fleet, scan_id):
        log.info("%s: scan %s already stored (a redelivery); not scanned again", target, scan_id)
        _index(fleet, store, scan_id)
        return
    result = _run(settings, store, target)
    result = replace(result, id=scan_id)
    try:
        store.save_scan(result)
    except StoreError:
        if not _stored(fleet, scan_id):  # not a concurrent duplicate: real trouble
            raise
        log.info("%s: scan %s was saved meanwhile by another delivery", target, scan_id)
    _index(fleet, store, scan_id, result)


def _run(settings: WorkerSettings, store: Store, target: str) -> Scan:
    """`auditor scan TARGET` with the worker's options and the shared store; a URL target
    is fetched first and its scan recorded under the URL (`auditor.fleet.remote`)."""
    if not is_url(target):
        return _run_local(settings, store, target, lambda identity: identity)
    from auditor.fleet.remote import fetched, local_identity, relabel, url_identity

    with fetched(target, settings.sources) as path:
        local = local_identity(path)

        def stored_as(identity: str) -> str:
            return url_identity(target) if identity == local else identity

        scan = _run_local(settings, store, str(path), stored_as)
    return relabel(scan, str(path), target)


def _run_local(
    settings: WorkerSettings, store: Store, target: str, stored_as: Callable[[str], str]
) -> Scan:
    """The scan of a local target; `stored_as` maps the pipeline's target identity to the
    one earlier scans are stored under (a fetched file's to its URL's)."""
    from pathlib import Path

    from auditor.config import Config, discover_policy_file
    from auditor.pipeline import run_scan
    from auditor.policy.engine import load_policy
    from auditor.policy.precedence import explicit_policy, settings_in_effect

    found = discover_policy_file((target,), Path.cwd())
    policy = load_policy(settings_in_effect(found, explicit_policy(None, os.environ)))
    config = Config(
        db_url=settings.db_url,
        offline=settings.offline,
        no_resolve=settings.no_resolve,
        pypi_url=settings.pypi_url,
        npm_registry=settings.npm_registry,
        policy=policy,
    )
    cache = store.http_cache() if not settings.no_resolve else None

    def previous(identity: str) -> Scan | None:
        try:
            found = store.latest_scan(stored_as(identity))
            if found is None:
                return None
            earlier = store.load_scan(found, detail=False)
        except AuditorError as exc:
            log.warning("previous scan unreadable: %s", exc.message)
            return None
        if stored_as(identity) == identity:
            return earlier
        # Seen by the pipeline under the fetched file's identity (target_history matches it).
        retargeted = tuple(
            replace(t, identity=identity) if t.identity == stored_as(identity) else t
            for t in earlier.targets
        )
        return replace(earlier, targets=retargeted)

    return run_scan((target,), config, cache, None, previous, store.digest_memo())


def _stored(fleet: FleetStore, scan_id: str) -> bool:
    """Whether a scan with exactly this id is committed (one indexed lookup)."""
    from sqlalchemy import select

    from auditor.store.models import scans

    with fleet.begin() as conn:
        return conn.execute(select(scans.c.id).where(scans.c.id == scan_id)).first() is not None


def _index(fleet: FleetStore, store: Store, scan_id: str, scan: Scan | None = None) -> None:
    """Write the scan's portfolio roll-up (once the scan is committed; idempotent)."""
    from auditor.portfolio.index import rollup_rows, write_rollup

    stored = scan if scan is not None else store.load_scan(scan_id, detail=False)
    rows = rollup_rows(stored)
    with fleet.begin() as conn:
        write_rollup(conn, rows, scan_id)


def _message(exc: AuditorError) -> str:
    return exc.message + (f" ({exc.hint})" if exc.hint else "")
