"""Scanning a whole fleet on Celery workers (issue 35).

- `targets`: reads a targets file (one target per line) into checked target refs;
- `state`: the fleet state table in the store (queued/running/done/failed per target);
- `app`: the Celery application, its reliability settings and the one task;
- `work`: what the task does: the same pipeline as `auditor scan`, saved once;
- `sources` and `remote`: lockfile URL targets, fetched only from configured sources;
- `liveness`: which running targets are stale (their worker gone), for `fleet status` and
  `fleet requeue --stale`.

Celery is an optional dependency (`pip install 'origin-auditor[fleet]'`): it is imported only
by `app`, which only `auditor worker` and `auditor fleet submit` load.
"""

from __future__ import annotations

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
"""The local Redis; `--broker` or AUDITOR_BROKER_URL name another."""
BROKER_ENV = "AUDITOR_BROKER_URL"
TASK_NAME = "auditor.fleet.scan_target"
QUEUE = "auditor-scans"
STATES = ("queued", "running", "done", "failed")
"""States stored in the fleet table (`stale` is judged when shown: `liveness`)."""


def broker_url(flag: str | None, environ: dict[str, str] | None = None) -> str:
    """`--broker` wins over AUDITOR_BROKER_URL; else the local Redis."""
    import os

    env = os.environ if environ is None else environ
    return flag or env.get(BROKER_ENV) or DEFAULT_BROKER
