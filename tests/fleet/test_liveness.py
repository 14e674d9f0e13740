"""Stale running targets, judged from the state rows and what the broker said, and how
`fleet status` shows them. (A real worker SIGKILLed on Redis: test_workers.py.)"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest

from auditor.fleet.liveness import Liveness, ask_workers, node_of, stale_after, stale_reasons
from auditor.fleet.state import JobTarget, open_fleet
from auditor.fleet.status_render import status_json, status_table
from auditor.fleet.targets import Line

NOW = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)
SCHEMA = json.loads((resources.files("auditor") / "schema" / "portfolio-v1.json").read_text())


def row(position: int, state: str, worker: str | None, started: timedelta | None) -> JobTarget:
    return JobTarget(
        job_id="20261207T210000Z-abc123",
        position=position,
        target=f"/srv/services/service-{position}/uv.lock",
        line=position + 1,
        state=state,
        attempts=1 if state != "queued" else 0,
        worker=worker,
        scan_id=None,
        error=None,
        submitted_at=NOW - timedelta(hours=2),
        started_at=None if started is None else NOW - started,
        finished_at=None,
    )


def test_node_names() -> None:
    assert node_of("auditor-4121@scan-3:4133") == "auditor-4121@scan-3"
    assert node_of("scan-3:4133") is None  # recorded without a Celery node name
    assert node_of("auditor-1@host:x") is None and node_of(None) is None


def test_stale_by_ping_or_by_time_and_only_then() -> None:
    rows = [
        row(0, "running", "auditor-1@a:11", timedelta(seconds=30)),  # its worker answers
        row(1, "running", "auditor-2@b:22", timedelta(seconds=30)),  # silent: gone
        row(2, "running", "auditor-1@a:12", timedelta(hours=2)),  # answers, but too old
        row(3, "running", "b:33", timedelta(seconds=30)),  # no node name: time only
        row(4, "done", "auditor-2@b:22", timedelta(hours=2)),
        row(5, "queued", None, None),
    ]
    asked = Liveness(frozenset({"auditor-1@a"}), "redis://127.0.0.1:6379/0")
    assert stale_reasons(rows, NOW, 3600, asked) == {
        1: "worker auditor-2@b does not answer on redis://127.0.0.1:6379/0",
        2: "running for 2 h 0 min, past the 3600 s time limit",
    }
    not_asked = Liveness(None, "redis://127.0.0.1:6379/0")  # the broker unreachable
    assert stale_reasons(rows, NOW, 3600, not_asked) == {
        2: "running for 2 h 0 min, past the 3600 s time limit"
    }
    # Past the Redis visibility timeout and one sweep, not before: a healthy scan is never
    # called stale while its worker may still be on it.
    edge = stale_after(3600)
    assert edge > 3600 + 30
    for age, stale in ((edge - 1, False), (edge + 1, True)):
        late = [row(0, "running", "h:1", timedelta(seconds=age))]
        assert bool(stale_reasons(late, NOW, 3600, not_asked)) is stale


def test_an_unreachable_broker_is_not_asked() -> None:
    """Nothing listens on port 9 of the loopback: judged by time alone, at once."""
    rows = [row(0, "running", "auditor-1@a:11", timedelta(seconds=5))]
    asked = ask_workers("redis://127.0.0.1:9/0", rows)
    assert asked.answering is None and asked.unasked == "broker redis://127.0.0.1:9/0 not reached"
    idle = ask_workers("redis://127.0.0.1:9/0", [row(0, "done", None, None)])
    assert idle.answering is None and idle.unasked is None  # nothing running: nobody asked


def test_status_at_80_columns_and_as_json() -> None:
    long_url = "https://git.example.test/api/v1/repos/platform/" + "x" * 80 + "/raw/uv.lock"
    rows = [
        row(0, "done", "auditor-1@scan-1:11", timedelta(minutes=5)),
        row(1, "running", "auditor-2@scan-2:22", timedelta(minutes=1)),
        replace(
            row(2, "failed", "auditor-1@scan-1:11", timedelta(minutes=5)),
            error="/srv/x: no such file or directory " * 4,
        ),
        replace(row(3, "running", "auditor-2@scan-2:23", None), target=long_url),
    ]
    stale = {1: "worker auditor-2@scan-2 does not answer on redis://127.0.0.1:6379/0"}
    text = status_table("20261207T210000Z-abc123", rows, stale, width=80)
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines), text
    assert lines[:2] == [
        "job 20261207T210000Z-abc123: 4 targets:",
        "  0 queued, 1 running, 1 stale, 1 done, 1 failed",
    ]
    assert any(line.startswith("stale    1") for line in lines)
    at = lines.index("running  1")  # too long to follow its state: on a line of its own
    assert lines[at + 1].startswith("  https://git.example.test/")  # the host kept
    assert lines[at + 1].endswith("xxx/raw/uv.lock") and "…" in lines[at + 1]
    assert "auditor fleet requeue --stale 20261207T210000Z-abc123" in " ".join(lines)
    doc = json.loads(status_json("20261207T210000Z-abc123", rows, stale))
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(doc)
    assert doc["counts"] == {"queued": 0, "running": 1, "stale": 1, "done": 1, "failed": 1}
    assert [t["stale_reason"] for t in doc["targets"]] == [None, stale[1], None, None]


def test_requeued_only_while_the_row_is_as_judged(tmp_path: Path) -> None:
    """`fleet requeue` marks a row queued only if nobody moved it since it was judged."""
    with open_fleet(f"sqlite:///{tmp_path / 'fleet.db'}") as fleet:
        fleet.add_job("job-1", [Line(1, "/srv/a"), Line(2, "/srv/b")])
        assert fleet.start("job-1", "/srv/a", "auditor-1@a:11")
        assert fleet.start("job-1", "/srv/b", "auditor-1@a:12")
        judged_a, judged_b = fleet.job("job-1")
        assert fleet.start("job-1", "/srv/b", "auditor-2@b:21")  # redelivered meanwhile
        assert fleet.requeued(judged_a, "requeued: worker auditor-1@a does not answer")
        assert not fleet.requeued(judged_b, "requeued: …")
        assert not fleet.requeued(judged_a, "requeued: …")  # already queued: idempotent
        a, b = fleet.job("job-1")
    assert (a.state, a.error) == ("queued", "requeued: worker auditor-1@a does not answer")
    assert b.started_at is not None and b.started_at.tzinfo is not None  # SQLite's too
    assert (b.state, b.worker) == ("running", "auditor-2@b:21")


@pytest.mark.parametrize("width", [60, 80, 120])
def test_every_line_fits(width: int) -> None:
    rows = [row(i, "running", f"auditor-{i}@host-{i}:{i}", timedelta(hours=3)) for i in range(3)]
    stale = stale_reasons(rows, NOW, 60, Liveness(None, "amqp://rabbit.example.test//"))
    assert len(stale) == 3
    assert all(len(line) <= width for line in status_table("j", rows, stale, width).splitlines())
