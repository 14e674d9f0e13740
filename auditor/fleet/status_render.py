"""`fleet status` as a table or JSON.

`stale` is not stored: it is a `running` row whose worker is gone (`auditor.fleet.liveness`),
shown as its own state so a dead worker's target is never read as work in progress.

The table fits the screen's width: each target after its state (a long one on a line of its
own, shortened in the middle past the whole width), its worker or error below it, wrapped.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

from auditor.fleet.state import JobTarget

SHOWN = ("queued", "running", "stale", "done", "failed")
"""States as shown: the stored ones, and `stale` (running, its worker gone)."""
_HEAD = ("STATE", "TRIES", "SCAN")
_WIDTHS = (7, 5, 8)
_INDENT = sum(_WIDTHS) + 2 * len(_WIDTHS)


def shown_state(row: JobTarget, stale: Mapping[int, str]) -> str:
    return "stale" if row.position in stale else row.state


def counts(rows: Sequence[JobTarget], stale: Mapping[int, str] | None = None) -> dict[str, int]:
    """Targets per shown state, every state named (0 included)."""
    found = Counter(shown_state(r, stale or {}) for r in rows)
    return {state: found.get(state, 0) for state in SHOWN}


def status_table(
    job_id: str,
    rows: Sequence[JobTarget],
    stale: Mapping[int, str] | None = None,
    width: int = 80,
    note: str | None = None,
) -> str:
    """A summary line, then two lines per target: state, tries, scan and target; then its
    worker, or its error or why it is stale."""
    from auditor.escape import terminal

    stale = stale or {}
    summary = ", ".join(f"{n} {state}" for state, n in counts(rows, stale).items())
    head = f"job {job_id}: {len(rows)} targets:"
    lines = [f"{head} {summary}"] if len(head) + len(summary) < width else [head, f"  {summary}"]
    if note:
        lines += textwrap.wrap(f"note: {note}", width, subsequent_indent="  ")
    lines += ["", _cells(*_HEAD, "TARGET")]
    room = max(20, width - _INDENT)
    for r in rows:
        cells = (shown_state(r, stale), str(r.attempts), (r.scan_id or "")[:8])
        target = terminal(r.target)
        if len(target) <= room:
            lines.append(_cells(*cells, target))
        else:  # on a line of its own, shortened only past the whole width
            lines += [_cells(*cells, ""), "  " + _middle(target, width - 2)]
        detail = stale.get(r.position) or r.error or r.worker or ""
        if detail:
            lines += textwrap.wrap(
                terminal(detail), width, initial_indent=" " * _INDENT,
                subsequent_indent=" " * (_INDENT + 2), break_on_hyphens=False,
            )  # fmt: skip
    if stale:
        hint = (
            f"hint: {len(stale)} target(s) stale (the worker gone, or past the time limit): "
            f"`auditor fleet requeue --stale {job_id}` sends them again (each is still "
            "recorded once)."
        )
        lines += ["", *textwrap.wrap(hint, width, break_on_hyphens=False)]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _cells(state: str, tries: str, scan: str, target: str) -> str:
    head = "  ".join(cell.ljust(w) for cell, w in zip((state, tries, scan), _WIDTHS, strict=True))
    return f"{head}  {target}"


def _middle(text: str, room: int) -> str:
    """`text` in at most `room` characters: its start and its end (the file name)."""
    if len(text) <= room:
        return text
    tail = room * 2 // 3
    return text[: room - tail - 1] + "…" + text[-tail:]


def jobs_table(jobs: Sequence[tuple[str, datetime, int]]) -> str:
    """`fleet status --jobs`: the newest jobs."""
    if not jobs:
        return "no fleet jobs yet\n"
    lines = ["JOB                       SUBMITTED                  TARGETS"]
    lines += [f"{j:<25} {_time(at):<26} {n}" for j, at, n in jobs]
    return "\n".join(lines) + "\n"


def status_json(
    job_id: str, rows: Sequence[JobTarget], stale: Mapping[int, str] | None = None
) -> str:
    """The job as JSON (schema auditor/schema/portfolio-v1.json, fields in docs/json.md)."""
    import json

    stale = stale or {}
    doc = {
        "schema_version": 1,
        "job": job_id,
        "counts": counts(rows, stale),
        "targets": [
            {
                "target": r.target,
                "line": r.line,
                "state": shown_state(r, stale),
                "attempts": r.attempts,
                "worker": r.worker,
                "scan_id": r.scan_id,
                "error": r.error,
                "stale_reason": stale.get(r.position),
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
