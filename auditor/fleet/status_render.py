"""`fleet status` as a table or JSON."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from auditor.fleet import STATES
from auditor.fleet.state import JobTarget


def counts(rows: Sequence[JobTarget]) -> dict[str, int]:
    """Targets per state, every state named (0 included)."""
    found = Counter(r.state for r in rows)
    return {state: found.get(state, 0) for state in STATES}


def status_table(job_id: str, rows: Sequence[JobTarget]) -> str:
    """A summary line, then one line per target."""
    from auditor.escape import terminal

    summary = ", ".join(f"{n} {state}" for state, n in counts(rows).items())
    lines = [f"job {job_id}: {len(rows)} targets: {summary}", ""]
    table = [("STATE", "TRIES", "TARGET", "SCAN", "WORKER / ERROR")]
    for r in rows:
        note = r.error if r.error else (r.worker or "")
        table.append(
            (r.state, str(r.attempts), terminal(r.target), (r.scan_id or "")[:8], terminal(note))
        )
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:4])]
        lines.append("  ".join([*cells, row[4]]).rstrip())
    return "\n".join(lines) + "\n"


def jobs_table(jobs: Sequence[tuple[str, datetime, int]]) -> str:
    """`fleet status --jobs`: the newest jobs."""
    if not jobs:
        return "no fleet jobs yet\n"
    lines = ["JOB                       SUBMITTED                  TARGETS"]
    lines += [f"{j:<25} {_time(at):<26} {n}" for j, at, n in jobs]
    return "\n".join(lines) + "\n"


def status_json(job_id: str, rows: Sequence[JobTarget]) -> str:
    """The job as JSON (schema auditor/schema/portfolio-v1.json, fields in docs/json.md)."""
    import json

    doc = {
        "schema_version": 1,
        "job": job_id,
        "counts": counts(rows),
        "targets": [
            {
                "target": r.target,
                "line": r.line,
                "state": r.state,
                "attempts": r.attempts,
                "worker": r.worker,
                "scan_id": r.scan_id,
                "error": r.error,
                "submitted_at": _time(r.submitted_at),
                "started_at": _time(r.started_at),
                "finished_at": _time(r.finished_at),
            }
            for r in rows
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _time(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat(timespec="seconds")
