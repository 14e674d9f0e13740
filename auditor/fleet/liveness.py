"""Stale `running` targets: their worker died and nothing has taken the target back yet.

A worker killed outright (SIGKILL, a lost machine) leaves its target `running` in the store.
RabbitMQ hands the message out again as soon as the connection drops; Redis only after the
visibility timeout (above the hard time limit: an hour and more by default), and only while
some worker is sweeping. Until then `fleet status` must not say `running` as if all were well.
A running target is **stale** when either holds:

- its worker (the Celery node name recorded with the row, `auditor-PID@HOST:POOLPID`) does not
  answer a ping on the broker within PING_WAIT seconds (the ping names those workers, so it
  ends as soon as all of them answer; only a silent one costs the whole wait, long enough for
  a busy machine not to be taken for a dead one);
- it started longer ago than the Redis visibility timeout plus one restore sweep for the time
  limit the workers run with: no healthy worker can still be on it (the hard limit has
  killed it) and a live fleet would have taken it back by then.

Staleness is judged when asked, never stored: the row stays `running`, and
`fleet requeue --stale` sends its task again (the scan id derived from job and target keeps
it recorded once, whichever delivery finishes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from auditor.fleet.state import JobTarget
from auditor.urls import redact

PING_WAIT = 5.0
"""Seconds a worker of a running target has to answer the ping."""


@dataclass(frozen=True, slots=True)
class Liveness:
    """What the broker said about the workers, when it was asked."""

    answering: frozenset[str] | None
    """Celery node names that answered; None: the broker was not asked or not reached."""
    broker: str
    """Where they were asked (redacted)."""
    unasked: str | None = None
    """Why running targets' workers could not be asked (None: asked, or nothing to ask)."""


def node_of(worker: str | None) -> str | None:
    """The Celery node name in a recorded worker (`auditor-12@scan-3:345` gives
    `auditor-12@scan-3`); None for a row recorded without one."""
    if not worker:
        return None
    node, sep, pid = worker.rpartition(":")
    return node if sep and pid.isdigit() and "@" in node else None


def stale_after(time_limit: int) -> int:
    """Seconds after its start a running target is stale whatever the broker says."""
    from auditor.fleet.app import RESTORE_INTERVAL, visibility_timeout

    return visibility_timeout(time_limit) + RESTORE_INTERVAL


def stale_reasons(
    rows: Sequence[JobTarget], now: datetime, time_limit: int, liveness: Liveness
) -> dict[int, str]:
    """Why each stale row (by position) is stale; running rows only."""
    found: dict[int, str] = {}
    limit = timedelta(seconds=stale_after(time_limit))
    for row in rows:
        if row.state != "running":
            continue
        node = node_of(row.worker)
        if liveness.answering is not None and node is not None and node not in liveness.answering:
            found[row.position] = f"worker {node} does not answer on {liveness.broker}"
        elif row.started_at is not None and now - row.started_at > limit:
            found[row.position] = (
                f"running for {_age(now - row.started_at)}, past the {time_limit} s time limit"
            )
    return found


def ask_workers(broker: str, rows: Sequence[JobTarget]) -> Liveness:
    """Ping the workers of the running rows (only when there are some); a broker that
    cannot be reached gives `answering=None` (staleness is then judged by time alone)."""
    nodes = {n for r in rows if r.state == "running" and (n := node_of(r.worker)) is not None}
    shown = redact(broker)
    if not nodes:
        return Liveness(None, shown)
    from auditor.errors import AuditorError
    from auditor.fleet.app import make_app

    try:
        app = make_app(broker)
    except AuditorError as exc:  # Celery not installed on this machine
        return Liveness(None, shown, exc.message)
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.5, timeout=3)
            # Addressed to these nodes, Celery stops collecting once each has answered.
            replies = app.control.ping(
                destination=sorted(nodes), timeout=PING_WAIT, connection=conn
            )
            answered = _pinged(replies)
    except Exception:  # kombu's OperationalError, socket errors: the broker is not there
        return Liveness(None, shown, f"broker {shown} not reached")
    finally:
        app.close()
    return Liveness(frozenset(answered), shown)


def _pinged(replies: object) -> set[str]:
    """Node names in Celery's ping replies (`[{node: {"ok": "pong"}}, …]`)."""
    names: set[str] = set()
    if isinstance(replies, list):
        for reply in replies:
            if isinstance(reply, Mapping):
                names.update(str(name) for name in reply)
    return names


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
