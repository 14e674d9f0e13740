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
            # (the report ends with its closing summary line)
            assert " components; " in out.rstrip().splitlines()[-1], err
        else:
            assert proc.returncode in (0, 130), err
        assert "Traceback" not in err
        _store_is_consistent(db)
    assert 130 in codes


# --- the small list --------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["lockfile:", "dir:", "env:", "image:"])
def test_a_kind_prefix_alone_is_a_usage_error(auditor: Auditor, prefix: str) -> None:
    ran = auditor("scan", "--no-resolve", prefix)
    assert ran.code == 2
    assert f"'{prefix}': a path must follow the prefix" in ran.stderr
    assert "hf-cache" in ran.stderr  # the hint says which prefixes stand alone


def test_cache_prefixes_alone_still_mean_the_default_cache(
    auditor: Auditor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "none-here"))
    ran = auditor("scan", "--no-resolve", "hf-cache:")
    assert ran.code == 2 and "no such file or directory" in ran.stderr


def _fifo(path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    os.mkfifo(path)
    return path


def test_a_fifo_named_as_a_target_is_refused_without_reading_it(
    auditor: Auditor, tmp_path: Path
) -> None:
    # Reading it would block for ever: no writer ever opens it.
    fifo = _fifo(tmp_path / "requirements.txt")
    for target in (str(fifo), f"lockfile:{fifo}", f"dir:{fifo}", f"image:{fifo}"):
        ran = auditor("scan", "--no-resolve", target)
        assert ran.code == 2
        assert f"{target}: a FIFO, not a file or directory; not read" in ran.stderr


def test_a_device_named_as_a_target_is_refused(auditor: Auditor) -> None:
    ran = auditor("scan", "--no-resolve", os.devnull)
    assert ran.code == 2 and "a device, not a file or directory" in ran.stderr


def test_a_fifo_met_while_walking_is_a_diagnostic_never_opened(
    auditor: Auditor, tmp_path: Path
) -> None:
    (tmp_path / "requirements.txt").write_text("click==8.1.7\n")
    _fifo(tmp_path / "poetry.lock")
    (tmp_path / "sub").mkdir()
    _fifo(tmp_path / "sub" / "package-lock.json")
    ran = auditor("scan", "--no-resolve", tmp_path, "--format", "json")
    assert ran.code == 0
    import json

    doc = json.loads(ran.stdout)
    assert doc["scan"]["status"] == "partial"
    assert [c["name"] for c in doc["components"]] == ["click"]
    found = {(d["location"], d["message"]) for d in doc["diagnostics"]}
    what = "a FIFO, not a regular file; skipped (never opened)"
    assert found == {("poetry.lock", what), ("sub/package-lock.json", what)}


def test_check_models_does_not_open_a_fifo(auditor: Auditor, tmp_path: Path) -> None:
    fifo = _fifo(tmp_path / "train.py")
    weights = _fifo(tmp_path / "model.safetensors")
    ran = auditor("check-models", fifo, weights)
    assert ran.code == 0
    assert f"warning: {fifo.as_posix()}: a FIFO, not a regular file; not read" in ran.stderr
    assert f"warning: {weights.as_posix()}: a FIFO" in ran.stderr


def test_an_empty_folder_says_nothing_found(auditor: Auditor, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    ran = auditor("scan", "--no-resolve", tmp_path / "empty", EXAMPLE)
    assert ran.code == 0
    notes = [line for line in ran.stderr.splitlines() if "nothing found" in line]
    assert notes == [f"warning: {tmp_path / 'empty'}: nothing found (no lockfile, environment, "
                     "package database, model or weight file this version reads)"]  # fmt: skip


@pytest.mark.parametrize("value", ["17", "0", "256"])
def test_concurrency_outside_1_to_16_is_a_usage_error(auditor: Auditor, value: str) -> None:
    ran = auditor("scan", "--no-resolve", "--concurrency", value, EXAMPLE)
    assert ran.code == 2 and "--concurrency" in ran.stderr and "1<=x<=16" in ran.stderr


def test_rules_validate_names_every_problem_in_one_run(auditor: Auditor, tmp_path: Path) -> None:
    (tmp_path / "auditor.toml").write_text(
        'young_release_days = "x"\nreview_countries = ["XX", "Germany", "DE"]\n'
        'disable = 5\nbogus = 1\n[severity]\n"release.young" = "extreme"\n'
        '[[waivers]]\nrule = "x"\n'
    )
    (tmp_path / "pack.yaml").write_text(
        "rules:\n  - id: a.b\n    severity: extreme\n    when: {nonsense: 1}\n"
        "  - id: C\n    action: explode\n"
    )
    ran = auditor("rules", "validate", tmp_path)
    assert ran.code == 2
    errors = [line for line in ran.stderr.splitlines() if line.startswith("error: ")]
    toml, pack = f"error: {tmp_path / 'auditor.toml'}", f"error: {tmp_path / 'pack.yaml'}"
    expected = [
        f"{toml}: unknown key 'bogus'",
        f"{toml}: disable: must be a list",
        f"{toml}: review_countries: 'XX', 'Germany' not ISO 3166-1 alpha-2 codes",
        f"{toml}: young_release_days: must be a whole number",
        f"{toml}: severity.release.young: 'extreme' is not one of",
        f"{toml} waivers[1]: waiver: missing approver, expires, purl, reason",
        f"{pack}:2: rule a.b without `title`, `action`, `message`",
        f"{pack}:3: severity: 'extreme' is not one of",
        f"{pack}:4: a condition needs exactly one of",
        f"{pack}:5: id 'C': lower-case words joined by dots",
        f"{pack}:5: rule C without `title`, `severity`, `when`, `message`",
        f"{pack}:6: action: 'explode' is not one of",
    ]
    for start in expected:
        assert any(e.startswith(start) for e in errors), (start, errors)
    assert len(errors) == len(expected), errors


def test_review_countries_take_only_iso_codes_on_a_scan_too(
    auditor: Auditor, tmp_path: Path
) -> None:
    policy = tmp_path / "auditor.toml"
    policy.write_text('review_countries = ["China"]\n')
    ran = auditor("scan", "--no-resolve", "--policy", policy, EXAMPLE)
    assert ran.code == 2
    assert ran.stderr.startswith(
        f"error: {policy}: review_countries: 'China' not ISO 3166-1 alpha-2 codes"
    )


def test_damaged_store_page_is_an_error_not_wrong_counts(auditor: Auditor, db_url: str) -> None:
    for _ in range(2):
        assert auditor("scan", "--no-resolve", EXAMPLE, "-o", os.devnull).code == 0
    assert "16 components" in auditor("history").stdout
    import sqlite3

    path = db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:  # everything into the main file, then damage it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_components_1'"
        ).fetchone()[0]
    conn.close()
    with open(path, "r+b") as fh:  # the index page history counts components with
        fh.seek((root - 1) * size + 8)
        fh.write(bytes(size - 8))
    ran = auditor("history")
    assert ran.code == 2
    assert ran.stdout == ""
    assert f"error: {db_url}: the database file is damaged (table components:" in ran.stderr


def test_unreadable_store_header_is_an_error(auditor: Auditor, db_url: str) -> None:
    assert auditor("scan", "--no-resolve", EXAMPLE, "-o", os.devnull).code == 0
    path = Path(db_url.removeprefix("sqlite:///"))
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # page 1: the schema
    path.write_bytes(bytes(data))
    for wal in path.parent.glob(path.name + "-*"):
        wal.unlink()
    ran = auditor("history")
    assert ran.code == 2 and "the database file is damaged" in ran.stderr
