"""The fleet state table: one row per target of each submitted job.

Every transition is one guarded UPDATE, so two workers handed the same task (a redelivery
racing a slow worker) cannot both move a target: `start` refuses a target that is done, and
`finish` records the first outcome only.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from auditor.fleet.targets import Line
from auditor.portfolio.db import StoreAccess

SCAN_NAMESPACE = uuid.UUID("6f726967-696e-2d61-7564-69746f722d35")
"""uuid5 namespace of fleet scan ids: one id per (job, target), the idempotency key."""
MAX_ERROR = 2000
"""Characters of an error message kept in the table."""


def scan_id_for(job_id: str, target: str) -> str:
    """The id the scan of `target` in job `job_id` is saved under, whoever runs it."""
    return str(uuid.uuid5(SCAN_NAMESPACE, f"{job_id}\n{target}"))


def new_job_id() -> str:
    """A job id that sorts by submission time and is unique across submitters."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


@dataclass(frozen=True, slots=True)
class JobTarget:
    """One row of `fleet status`."""

    job_id: str
    position: int
    target: str
    line: int
    state: str
    attempts: int
    worker: str | None
    scan_id: str | None
    error: str | None
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class FleetStore(StoreAccess):
    """The store (scans, cache) and the fleet tables on one engine; `open_fleet` makes one."""

    def add_job(self, job_id: str, lines: Sequence[Line]) -> None:
        """Record every target of a new job as queued (one transaction)."""
        from auditor.store.models import fleet_jobs

        now = datetime.now(UTC)
        rows = [
            {
                "job_id": job_id,
                "position": i,
                "target": line.target,
                "line": line.number,
                "state": "queued",
                "attempts": 0,
                "submitted_at": now,
            }
            for i, line in enumerate(lines)
        ]
        with self.begin() as conn:
            conn.execute(fleet_jobs.insert(), rows)

    def start(self, job_id: str, target: str, worker: str) -> bool:
        """Mark a target running (another attempt); False when it is already done or failed
        for good, or not part of the job (then the task does nothing)."""
        from sqlalchemy import update

        from auditor.store.models import fleet_jobs as t

        with self.begin() as conn:
            done = conn.execute(
                update(t)
                .where(t.c.job_id == job_id, t.c.target == target)
                .where(t.c.state.in_(("queued", "running")))
                .values(
                    state="running",
                    attempts=t.c.attempts + 1,
                    worker=worker,
                    started_at=datetime.now(UTC),
                    error=None,
                )
            )
            return bool(done.rowcount)

    def finish(
        self, job_id: str, target: str, state: str, scan_id: str | None, error: str | None
    ) -> None:
        """Record the outcome (done or failed); a target already done stays done."""
        from sqlalchemy import update

        from auditor.store.models import fleet_jobs as t

        if state not in ("done", "failed", "queued"):
            raise ValueError(state)
        with self.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.job_id == job_id, t.c.target == target, t.c.state != "done")
                .values(
                    state=state,
                    scan_id=scan_id,
                    error=None if error is None else error[:MAX_ERROR],
                    finished_at=datetime.now(UTC) if state != "queued" else None,
                )
            )

    def requeued(self, row: JobTarget, why: str) -> bool:
        """Show a stale running target as queued again (its task was just sent again), unless
        it moved meanwhile (a redelivery started it, or it finished): False then."""
        from sqlalchemy import update

        from auditor.store.models import fleet_jobs as t

        with self.begin() as conn:
            done = conn.execute(
                update(t)
                .where(t.c.job_id == row.job_id, t.c.target == row.target)
                .where(t.c.state == "running", t.c.worker == row.worker)
                .where(t.c.started_at == row.started_at)
                .values(state="queued", error=why[:MAX_ERROR])
            )
            return bool(done.rowcount)

    def jobs(self, limit: int = 20) -> tuple[tuple[str, datetime, int], ...]:
        """The newest jobs: (job id, submitted at, targets), newest first."""
        from sqlalchemy import func, select

        from auditor.store.models import fleet_jobs as t

        query = (
            select(t.c.job_id, func.min(t.c.submitted_at), func.count())
            .group_by(t.c.job_id)
            .order_by(func.min(t.c.submitted_at).desc(), t.c.job_id.desc())
            .limit(limit)
        )
        with self.begin() as conn:
            return tuple((r[0], r[1], r[2]) for r in conn.execute(query))

    def job(self, job_id: str) -> tuple[JobTarget, ...]:
        """Every target of one job, in the file's order (empty: no such job)."""
        from sqlalchemy import select

        from auditor.store.models import fleet_jobs as t

        query = select(t).where(t.c.job_id == job_id).order_by(t.c.position)
        with self.begin() as conn:
            return tuple(JobTarget(**_aware(dict(row._mapping))) for row in conn.execute(query))

    def resolve_job(self, wanted: str | None) -> str | None:
        """`wanted` (a job id or unique prefix), or the newest job when None."""
        from sqlalchemy import select

        from auditor.errors import UsageError
        from auditor.store.models import fleet_jobs as t

        if wanted is None:
            newest = self.jobs(limit=1)
            return newest[0][0] if newest else None
        pattern = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = select(t.c.job_id).where(t.c.job_id.like(pattern, escape="\\")).distinct()
        with self.begin() as conn:
            found: list[str] = sorted(str(r[0]) for r in conn.execute(query.limit(3)))
        if not found:
            raise UsageError(f"no fleet job {wanted!r}", hint="`auditor fleet status --jobs`")
        if len(found) > 1:
            raise UsageError(f"{wanted!r} names several jobs: {', '.join(found)}")
        return found[0]


def _aware(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its times in UTC: SQLite hands back naive datetimes (stored as UTC)."""
    return {
        k: v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v
        for k, v in row.items()
    }


def open_fleet(url: str | None) -> FleetStore:
    """The store at `url` (migrated on first use, as every command does) with fleet access."""
    return FleetStore.open(url)
