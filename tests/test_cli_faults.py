"""Everyday faults end calmly: output that cannot be written, Ctrl-C, odd targets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from auditor.store import open_store
from tests.conftest import REPO, Ran
from tests.servers.pypi import PyPIState, load_project, serve

EXAMPLE = REPO / "examples" / "python-app"
FULL = Path("/dev/full")
Auditor = Callable[..., Ran]

needs_dev_full = pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")


def _one_error(ran: Ran) -> list[str]:
    assert "Traceback" not in ran.stderr + ran.stdout
    lines = [line for line in ran.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, ran.stderr
    return lines


@needs_dev_full
def test_scan_to_a_full_disk_is_an_error_and_the_scan_stays_stored(
    auditor: Auditor, db_url: str
) -> None:
    ran = auditor("scan", "--no-resolve", EXAMPLE, "--format", "json", "-o", FULL)
    assert ran.code == 2
    [line] = _one_error(ran)
    assert line == "error: /dev/full: cannot write: No space left on device"
    with open_store(db_url) as store:
        [stored] = store.list_scans()
    assert f"scan {stored.id} is stored" in ran.stderr
    assert f"auditor report {stored.id} --format json -o FILE" in ran.stderr
    # ... and the hint's command writes it.
    again = auditor("report", stored.id, "--format", "json")
    assert again.code == 0 and stored.id in again.stdout


@needs_dev_full
def test_no_store_scan_to_a_full_disk_says_it_was_not_stored(auditor: Auditor) -> None:
    ran = auditor("scan", "--no-resolve", "--no-store", EXAMPLE, "-o", FULL)
    assert ran.code == 2
    _one_error(ran)
    assert "was not stored" in ran.stderr


@needs_dev_full
@pytest.mark.parametrize(
    "command",
    [
        ("report", "{id}"),
        ("report", "{id}", "--format", "html"),
        ("origins", "{id}"),
        ("graph", "{id}"),
        ("diff", "{id}", "{id}"),
    ],
)
def test_views_to_a_full_disk_are_one_error(auditor: Auditor, command: tuple[str, ...]) -> None:
    assert auditor("scan", "--no-resolve", EXAMPLE, "-o", os.devnull).code == 0
    from auditor.store import open_store as opened

    with opened(os.environ["AUDITOR_DB"]) as store:
        scan_id = store.list_scans()[0].id
    ran = auditor(*(part.format(id=scan_id) for part in command), "-o", FULL)
    assert ran.code == 2
    assert _one_error(ran) == ["error: /dev/full: cannot write: No space left on device"]


@needs_dev_full
def test_stdout_on_a_full_disk_is_one_error(tmp_path: Path) -> None:
    """`auditor scan … > /dev/full`: Python's own exit-time flush must not add a second
    complaint."""
    env = dict(os.environ, AUDITOR_DB=f"sqlite:///{tmp_path / 'a.db'}", PYTHONPATH=str(REPO))
    with FULL.open("w") as full:
        ran = subprocess.run(
            [sys.executable, "-m", "auditor", "scan", "--no-resolve", str(EXAMPLE)],
            stdout=full, stderr=subprocess.PIPE, text=True, env=env, timeout=60,
        )  # fmt: skip
    assert ran.returncode == 2
    assert ran.stderr.splitlines()[0] == "error: stdout: cannot write: No space left on device"
    assert "Traceback" not in ran.stderr and "Exception ignored" not in ran.stderr


def test_output_into_a_missing_folder_creates_it(auditor: Auditor, tmp_path: Path) -> None:
    out = tmp_path / "new" / "deeper" / "scan.json"
    ran = auditor("scan", "--no-resolve", EXAMPLE, "--format", "json", "-o", out)
    assert ran.code == 0 and out.is_file()


def _store_is_consistent(db: str) -> int:
    """Every stored scan loads whole, with as many components as its summary counts."""
    with open_store(db) as store:
        summaries = store.list_scans()
        for summary in summaries:
            assert summary.status.value == "complete"
            assert len(store.load_scan(summary.id).components) == summary.component_count
    return len(summaries)


def _auditor(*args: str, db: str) -> subprocess.Popen[str]:
    env = dict(os.environ, AUDITOR_DB=db, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-m", "auditor", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def test_ctrl_c_while_a_registry_is_slow_exits_130_with_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    state = PyPIState(latency=30)
    state.add_project(load_project("requests"))
    for url in serve(state):
        proc = _auditor("scan", str(EXAMPLE / "requirements.txt"), "--pypi-url", url, db=db)
        deadline = time.monotonic() + 60
        while not state.log and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert state.log, "the scan never asked the registry"
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        assert time.monotonic() - started < 5  # not after the 30 s answer
    assert proc.returncode == 130
    assert err.splitlines() == ["interrupted: a scan not saved yet was not stored"]
    assert out == ""
    assert _store_is_consistent(db) == 0


def test_ctrl_c_at_any_moment_leaves_only_whole_scans(tmp_path: Path) -> None:
    """Interrupt real scans at spread-out moments (collecting, resolving, saving, rendering):
    the store always opens and holds only scans that load whole."""
    codes = set()
    for n, delay in enumerate((0.0, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0, 1.5)):
        path = tmp_path / f"{n}.db"
        db = f"sqlite:///{path}"
        proc = _auditor("scan", "--no-resolve", str(REPO / "examples"), db=db)
        # The command opens the store first: from then on our handler is in place (before
        # it, the interpreter is still starting up and SIGINT is Python's own).
        while not path.exists() and proc.poll() is None:
            time.sleep(0.005)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        codes.add(proc.returncode)
        if proc.returncode == -signal.SIGINT:
            # Python's finalisation restores the default handler: a scan that had finished
            # (its report printed) can still die of the signal while exiting; shells
            # report that as 130 too.
            assert out.rstrip().endswith("diagnostics"), err
        else:
            assert proc.returncode in (0, 130), err
        assert "Traceback" not in err
        _store_is_consistent(db)
    assert 130 in codes
