"""The Celery application: its reliability settings and the one task, `scan_target`.

Why these settings (Celery's own guide, "Tasks: acks_late" and "Redis: visibility timeout"):
- `task_acks_late`: a task is acknowledged after it returns, i.e. after the scan and the
  state row are committed, so a worker lost mid-scan leaves the message with the broker;
- `task_reject_on_worker_lost`: when a pool process dies (SIGKILL, OOM) the worker hands the
  message back at once instead of acknowledging it as failed;
- `worker_prefetch_multiplier = 1`: a worker holds one message per process, so a killed
  worker strands at most its running scans and idle workers take the rest;
- a per-target time limit (soft: recorded as failed; hard: a little later, the pool
  process is killed) and, on Redis, a `visibility_timeout` above the hard limit: Redis hands an
  unacknowledged message to another worker once that long has passed, so it must never
  pass while a healthy worker is still scanning; RabbitMQ redelivers as soon as the dead
  worker's connection drops;
- retries with exponential back-off (capped) for transient failures: the database or the
  network away for a while.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from auditor.fleet import QUEUE, TASK_NAME
from auditor.fleet.work import (
    Permanent,
    Transient,
    WorkerSettings,
    fail_target,
    requeue_target,
    scan_target,
)

if TYPE_CHECKING:
    from celery import Celery

log = logging.getLogger(__name__)


def hard_limit(time_limit: int) -> int:
    """The hard time limit (the pool process is killed): a little after the soft one, where
    the target is recorded as failed (5 to 30 s later)."""
    return time_limit + min(30, max(5, time_limit // 10))


RESTORE_INTERVAL = 10
"""Seconds between Redis sweeps for messages a dead worker left unacknowledged."""
MAX_RETRIES = 5
"""Attempts after the first, for transient failures."""
BACKOFF_BASE = 2.0
BACKOFF_CAP = 300.0


def backoff(retries: int) -> float:
    """Seconds before retry number `retries` + 1: doubling from 2 s, at most 5 minutes."""
    return float(min(BACKOFF_CAP, BACKOFF_BASE * 2**retries))


def visibility_timeout(time_limit: int) -> int:
    """The Redis visibility timeout for a per-target time limit: above the hard limit (10 to
    60 s), so no healthy scan is handed out twice, and no longer, so a killed worker's
    target comes back as soon as that is safe."""
    return hard_limit(time_limit) + min(60, max(10, time_limit // 5))


def make_app(broker: str, settings: WorkerSettings | None = None) -> Celery:
    """A Celery app on `broker`; with `settings` (a worker) the task is registered."""
    try:
        from celery import Celery
    except ImportError as exc:
        from auditor.errors import ConfigError

        raise ConfigError(
            "the fleet needs Celery, which is not installed",
            hint="pip install 'origin-auditor[fleet]'",
        ) from exc
    time_limit = settings.time_limit if settings is not None else 3600
    app = Celery("auditor", broker=broker, set_as_current=False)
    app.conf.update(
        task_default_queue=QUEUE,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": visibility_timeout(time_limit),
            # kombu sweeps for messages past their visibility timeout every interval times
            # throttle seconds (10 times 10 by default): every 10 s, so a dead worker's target
            # is back within seconds of the timeout, not minutes.
            "unacked_restore_interval": RESTORE_INTERVAL,
            "unacked_restore_throttle": 1,
        },
        task_serializer="json",
        accept_content=["json"],
        enable_utc=True,
    )
    if settings is not None:
        _register(app, settings)
    return app


def _register(app: Celery, settings: WorkerSettings) -> None:
    from celery.exceptions import SoftTimeLimitExceeded

    @app.task(  # type: ignore[untyped-decorator,unused-ignore]
        name=TASK_NAME,
        bind=True,
        max_retries=MAX_RETRIES,
        soft_time_limit=settings.time_limit,
        time_limit=hard_limit(settings.time_limit),
    )
    def scan(self: Any, job_id: str, target: str) -> str:
        try:
            outcome = scan_target(settings, job_id, target, self.request.hostname)
        except Permanent as exc:
            log.warning("%s: failed: %s", target, exc)
            return "failed"
        except SoftTimeLimitExceeded:
            fail_target(
                settings, job_id, target, f"time limit: not done in {settings.time_limit} s"
            )
            return "failed"
        except Transient as exc:
            retries: int = self.request.retries
            if retries >= MAX_RETRIES:
                fail_target(settings, job_id, target, f"gave up after {retries + 1} tries: {exc}")
                return "failed"
            requeue_target(settings, job_id, target, f"retrying: {exc}")
            raise self.retry(exc=exc, countdown=backoff(retries)) from exc
        except Exception as exc:  # a bug: recorded, the worker goes on with the next target
            log.exception("%s: unexpected error", target)
            fail_target(settings, job_id, target, f"internal error: {type(exc).__name__}: {exc}")
            return "failed"
        return outcome.state
