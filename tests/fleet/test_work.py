"""One fleet task, run in this process on a real store: the scan is recorded once whatever
is redelivered, and outcomes land in the state table. (The broker path: test_workers.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.fleet.app import backoff, hard_limit, visibility_timeout
from auditor.fleet.state import open_fleet, scan_id_for
from auditor.fleet.targets import Line
from auditor.fleet.work import Permanent, WorkerSettings, scan_target

REPO = Path(__file__).resolve().parent.parent.parent
APP = REPO / "examples" / "python-app"


@pytest.fixture
def settings(tmp_path: Path) -> WorkerSettings:
    return WorkerSettings(db_url=f"sqlite:///{tmp_path / 'fleet.db'}", offline=True)


def submitted(settings: WorkerSettings, *targets: str) -> str:
    with open_fleet(settings.db_url) as fleet:
        fleet.add_job("job-1", [Line(i + 1, t) for i, t in enumerate(targets)])
    return "job-1"


def test_a_redelivered_task_scans_and_records_once(settings: WorkerSettings) -> None:
    job = submitted(settings, str(APP))
    first = scan_target(settings, job, str(APP))
    assert first.state == "done" and first.scan_id == scan_id_for(job, str(APP))
    again = scan_target(settings, job, str(APP))  # the broker hands it out a second time
    assert again.state == "skipped"
    with open_fleet(settings.db_url) as fleet:
        (row,) = fleet.job(job)
        assert (row.state, row.attempts, row.scan_id) == ("done", 1, first.scan_id)
        assert [s.id for s in fleet.store.list_scans()] == [first.scan_id]


def test_killed_after_the_commit_the_retry_only_marks_it_done(settings: WorkerSettings) -> None:
    """The worker died after saving the scan but before marking it done: the state row says
    running; the redelivery finds the scan under its id and scans nothing."""
    job = submitted(settings, str(APP))
    scan_target(settings, job, str(APP))
    with open_fleet(settings.db_url) as fleet, fleet.begin() as conn:
        from sqlalchemy import update

        from auditor.store.models import fleet_jobs as t

        conn.execute(update(t).values(state="running", scan_id=None))
        before = fleet.store.list_scans()
    outcome = scan_target(settings, job, str(APP))
    with open_fleet(settings.db_url) as fleet:
        (row,) = fleet.job(job)
        assert (row.state, row.attempts) == ("done", 2)
        assert fleet.store.list_scans() == before
    assert outcome.scan_id == row.scan_id == before[0].id


def test_a_missing_target_fails_for_good(settings: WorkerSettings, tmp_path: Path) -> None:
    gone = str(tmp_path / "gone")
    job = submitted(settings, gone)
    with pytest.raises(Permanent, match="no such file or directory"):
        scan_target(settings, job, gone)
    with open_fleet(settings.db_url) as fleet:
        (row,) = fleet.job(job)
    assert row.state == "failed" and row.error == f"{gone}: no such file or directory"
    assert scan_target(settings, job, gone).state == "skipped"  # failed stays failed


def test_a_target_not_in_the_job_is_skipped(settings: WorkerSettings) -> None:
    job = submitted(settings, str(APP))
    assert scan_target(settings, job, "/elsewhere").state == "skipped"


def test_limits_and_back_off() -> None:
    assert [backoff(n) for n in range(10)] == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    for limit in (10, 60, 3600, 86400):
        # Redis must never hand out a scan a healthy worker is still allowed to run.
        assert limit < hard_limit(limit) < visibility_timeout(limit)
    assert (hard_limit(3600), visibility_timeout(3600)) == (3630, 3690)


def test_an_unreachable_store_is_transient(tmp_path: Path) -> None:
    """The database away is what a retry with back-off can get past (nothing listens on
    port 9 of the loopback)."""
    from auditor.fleet.work import Transient

    settings = WorkerSettings(db_url="postgresql://nobody@127.0.0.1:9/none", offline=True)
    with pytest.raises(Transient, match=r"127\.0\.0\.1"):
        scan_target(settings, "job-1", str(APP))


def test_the_store_lost_before_the_outcome_is_recorded_is_transient(
    settings: WorkerSettings,
) -> None:
    """The scan is saved, then recording `done` fails (the database itself errs: a trigger
    whose body overflows an integer when a row turns done): a retry, not an acknowledged
    task leaving the target `running`. The retry finds the scan saved and only marks it."""
    from sqlalchemy import text

    from auditor.fleet.work import Transient

    job = submitted(settings, str(APP))
    with open_fleet(settings.db_url) as fleet, fleet.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER refuse_done BEFORE UPDATE ON fleet_jobs "
                "WHEN NEW.state = 'done' BEGIN SELECT abs(-9223372036854775808); END"
            )
        )
    with pytest.raises(Transient, match="integer overflow"):
        scan_target(settings, job, str(APP))
    with open_fleet(settings.db_url) as fleet:
        (row,) = fleet.job(job)
        assert row.state == "running" and len(fleet.store.list_scans()) == 1
        with fleet.begin() as conn:
            conn.execute(text("DROP TRIGGER refuse_done"))
    again = scan_target(settings, job, str(APP))
    with open_fleet(settings.db_url) as fleet:
        (row,) = fleet.job(job)
        assert (row.state, row.attempts, row.scan_id) == ("done", 2, again.scan_id)
        assert [s.id for s in fleet.store.list_scans()] == [scan_id_for(job, str(APP))]
