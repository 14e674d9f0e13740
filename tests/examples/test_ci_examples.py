"""examples/ci: every scheduling and CI example is checked by its own tool's validator, and
the auditor command lines it runs are executed here against examples/ inputs (the install
lines are the only ones left out: the auditor under test is already installed).

A loopback PyPI answers the scans, so they resolve origins as they would in production.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.servers.pypi import PyPIState

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "examples" / "ci"
APP = ROOT / "examples" / "python-app"
BIN = Path(sys.executable).parent
AUDITOR = str(BIN / "auditor")


def _env(pypi_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUDITOR_", "GITHUB_"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", AUDITOR_PYPI_URL=pypi_url)
    env.update(extra)
    return env


def _app(tmp_path: Path) -> Path:
    """A copy of the example service to scan, so nothing is written into the checkout."""
    return Path(shutil.copytree(APP, tmp_path / "workspace"))


def _scan_doc(path: Path, validate: Any) -> dict[str, Any]:
    doc: dict[str, Any] = validate(path.read_text())
    names = {c["name"] for c in doc["components"]}
    assert {"requests", "click"} <= names  # the example app's dependencies were scanned
    assert any(c["origin"]["status"] == "resolved" for c in doc["components"])
    return doc


def _check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


# --- GitHub Actions ---------------------------------------------------------------------


def test_github_workflow_is_valid() -> None:
    ran = _check_jsonschema("vendor.github-workflows", CI / "github-actions.yml")
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_github_workflow_schema_check_can_fail(tmp_path: Path) -> None:
    broken = tmp_path / "wf.yml"
    broken.write_text((CI / "github-actions.yml").read_text().replace("runs-on:", "runs_on:"))
    assert _check_jsonschema("vendor.github-workflows", broken).returncode == 1


def _github_steps() -> dict[str, dict[str, Any]]:
    doc = yaml.safe_load((CI / "github-actions.yml").read_text())
    steps = doc["jobs"]["audit"]["steps"]
    return {s["name"]: s for s in steps if "name" in s}


def test_github_workflow_runs_here(
    tmp_path: Path, pypi: tuple[PyPIState, str], validate: Any
) -> None:
    workspace = _app(tmp_path)
    summary = tmp_path / "summary.md"
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text())
    db = workflow["jobs"]["audit"]["env"]["AUDITOR_DB"].replace(
        "${{ github.workspace }}", str(workspace)
    )
    env = _env(pypi[1], AUDITOR_DB=db, GITHUB_STEP_SUMMARY=str(summary))
    steps = _github_steps()
    for name in ("Scan", "Report"):
        # GitHub runs `run:` with `bash --noprofile --norc -eo pipefail`.
        ran = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", steps[name]["run"]],
            cwd=workspace, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert ran.returncode == 0, f"{name}: {ran.stdout}{ran.stderr}"
    _scan_doc(workspace / ".auditor" / "scan.json", validate)
    sarif = json.loads((workspace / "auditor.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert steps["Upload SARIF"]["with"]["sarif_file"] == "auditor.sarif"
    assert "requests" in summary.read_text()
    assert (workspace / ".auditor" / "scans.db").is_file()  # what actions/cache keeps


def test_github_scan_step_fails_the_job_on_a_high_finding(
    tmp_path: Path, pypi: tuple[PyPIState, str]
) -> None:
    """`--fail-on high` stops the job, and the report steps (if: always()) still have the
    scan to work from."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    # A locked file whose digest is not the one the index serves: pypi.hash-mismatch, high.
    (workspace / "poetry.lock").write_text(
        '[[package]]\nname = "click"\nversion = "8.5.1"\ndescription = ""\noptional = false\n'
        'python-versions = ">=3.10"\nfiles = [\n'
        f'    {{file = "click-8.5.1-py3-none-any.whl", hash = "sha256:{"0" * 64}"}},\n]\n'
        '\n[metadata]\nlock-version = "2.1"\npython-versions = ">=3.11"\ncontent-hash = "0"\n'
    )
    env = _env(pypi[1], AUDITOR_DB=f"sqlite:///{tmp_path / 'db.sqlite'}")
    ran = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", _github_steps()["Scan"]["run"]],
        cwd=workspace, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ran.returncode == 1, ran.stdout + ran.stderr
    doc = json.loads((workspace / ".auditor" / "scan.json").read_text())
    assert any(f["rule"] == "pypi.hash-mismatch" for f in doc["findings"])


# --- GitLab CI --------------------------------------------------------------------------


def test_gitlab_job_is_valid() -> None:
    ran = _check_jsonschema("vendor.gitlab-ci", CI / "gitlab-ci.yml")
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_gitlab_schema_check_can_fail(tmp_path: Path) -> None:
    broken = tmp_path / "gl.yml"
    broken.write_text((CI / "gitlab-ci.yml").read_text().replace("when: always", "when: often"))
    assert _check_jsonschema("vendor.gitlab-ci", broken).returncode == 1


def test_gitlab_job_runs_here(tmp_path: Path, pypi: tuple[PyPIState, str], validate: Any) -> None:
    workspace = _app(tmp_path)
    job = yaml.safe_load((CI / "gitlab-ci.yml").read_text())["origin-audit"]
    db = job["variables"]["AUDITOR_DB"].replace("$CI_PROJECT_DIR", str(workspace))
    script = [line for line in job["script"] if "pip install" not in line]
    ran = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", "\n".join(script)],
        cwd=workspace, env=_env(pypi[1], AUDITOR_DB=db, CI_PROJECT_DIR=str(workspace)),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    _scan_doc(workspace / ".auditor" / "scan.json", validate)
    for artifact in job["artifacts"]["paths"] + job["artifacts"]["reports"]["cyclonedx"]:
        assert (workspace / artifact).is_file(), artifact
    bom = json.loads((workspace / job["artifacts"]["reports"]["cyclonedx"][0]).read_text())
    assert bom["bomFormat"] == "CycloneDX"


# --- cron -------------------------------------------------------------------------------

_CRON_FIELDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def _cron_field_ok(text: str, low: int, high: int) -> bool:
    for part in text.split(","):
        body, _, step = part.partition("/")
        if step and not step.isdigit():
            return False
        if body == "*":
            continue
        bounds = body.split("-")
        if len(bounds) > 2 or not all(b.isdigit() and low <= int(b) <= high for b in bounds):
            return False
    return True


def _crontab() -> tuple[dict[str, str], list[tuple[list[str], str]]]:
    variables: dict[str, str] = {}
    jobs: list[tuple[list[str], str]] = []
    for line in (CI / "crontab").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if re.match(r"^[A-Z_]+=", line):
            key, _, value = line.partition("=")
            variables[key] = value
            continue
        fields = line.split(None, 5)
        jobs.append((fields[:5], fields[5]))
    return variables, jobs


def test_crontab_schedule_is_valid() -> None:
    variables, jobs = _crontab()
    assert jobs and variables["SHELL"] == "/bin/sh"
    for schedule, command in jobs:
        assert all(
            _cron_field_ok(f, lo, hi) for f, (lo, hi) in zip(schedule, _CRON_FIELDS, strict=True)
        )
        assert command.startswith("auditor scan ")
    assert not _cron_field_ok("61", 0, 59) and not _cron_field_ok("*/x", 0, 59)


def test_crontab_command_runs_here(
    tmp_path: Path, pypi: tuple[PyPIState, str], validate: Any
) -> None:
    variables, jobs = _crontab()
    workspace = _app(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    command = jobs[0][1].replace("/srv/app", str(workspace)).replace("/var/lib/auditor", str(state))
    env = _env(pypi[1], AUDITOR_DB=f"sqlite:///{tmp_path / 'cron.db'}")
    assert variables["AUDITOR_DB"].startswith("postgresql+psycopg://")  # replaced here only
    ran = subprocess.run(
        [variables["SHELL"], "-c", command], env=env, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr  # --strict: 0 means complete
    _scan_doc(state / "latest.json", validate)


# --- systemd ----------------------------------------------------------------------------


def _unit(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (CI / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


@pytest.fixture(scope="session")
def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        reason = "systemd-analyze not found (Debian package systemd)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the systemd unit checks must run)", pytrace=False)
        pytest.skip(reason)
    return found


def _verify(systemd_analyze: str, folder: Path) -> subprocess.CompletedProcess[str]:
    units = sorted(str(p) for p in folder.iterdir())
    return subprocess.run(
        [systemd_analyze, "verify", "--man=no", *units],
        capture_output=True, text=True, check=False, cwd=folder,
    )  # fmt: skip


def _units_here(tmp_path: Path, edit: str = "") -> Path:
    """The two units with ExecStart pointing at the auditor under test (verify checks that
    the program exists and is executable)."""
    folder = tmp_path / "units"
    folder.mkdir()
    for name in ("origin-auditor.service", "origin-auditor.timer"):
        text = (CI / name).read_text().replace("/usr/local/bin/auditor", AUDITOR)
        (folder / name).write_text(text + edit if name.endswith(".service") else text)
    return folder


def test_systemd_units_verify(tmp_path: Path, systemd_analyze: str) -> None:
    ran = _verify(systemd_analyze, _units_here(tmp_path))
    assert ran.returncode == 0 and not ran.stderr.strip(), ran.stderr


def test_systemd_verify_can_fail(tmp_path: Path, systemd_analyze: str) -> None:
    ran = _verify(systemd_analyze, _units_here(tmp_path, "NoSuchKey=yes\n"))
    assert "Unknown key" in ran.stderr


def test_systemd_timer_calendar(systemd_analyze: str) -> None:
    (calendar,) = _unit("origin-auditor.timer")["OnCalendar"]
    ran = subprocess.run(
        [systemd_analyze, "calendar", calendar], capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0 and "Next elapse" in ran.stdout, ran.stderr


def test_systemd_exec_start_runs_here(
    tmp_path: Path, pypi: tuple[PyPIState, str], validate: Any
) -> None:
    unit = _unit("origin-auditor.service")
    environment = dict(e.split("=", 1) for e in unit["Environment"])
    workspace = _app(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    environment.update(AUDITOR_TARGET=str(workspace), AUDITOR_DB=f"sqlite:///{state / 's.db'}")
    (exec_start,) = unit["ExecStart"]
    # systemd splits ExecStart itself (no shell) and expands ${VAR} from Environment=.
    argv = [
        re.sub(r"\$\{(\w+)\}", lambda m: environment[m.group(1)], word)
        .replace("/usr/local/bin/auditor", AUDITOR)
        .replace("/var/lib/origin-auditor", str(state))
        for word in shlex.split(exec_start)
    ]
    ran = subprocess.run(
        argv, env=_env(pypi[1], **environment), capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    _scan_doc(state / "latest.json", validate)


# --- Kubernetes -------------------------------------------------------------------------


def _cronjob() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((CI / "k8s-cronjob.yaml").read_text())
    return doc


def test_k8s_cronjob_shape() -> None:
    doc = _cronjob()
    assert (doc["apiVersion"], doc["kind"]) == ("batch/v1", "CronJob")
    schedule = doc["spec"]["schedule"].split()
    assert all(
        _cron_field_ok(f, lo, hi) for f, (lo, hi) in zip(schedule, _CRON_FIELDS, strict=True)
    )
    pod = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["restartPolicy"] in ("Never", "OnFailure")
    (container,) = pod["containers"]
    assert container["image"] and container["command"] == ["auditor"]
    db = {e["name"]: e for e in container["env"]}["AUDITOR_DB"]["valueFrom"]["secretKeyRef"]
    assert db["name"] and db["key"]
    volumes = {v["name"] for v in pod["volumes"]}
    assert {m["name"] for m in container["volumeMounts"]} <= volumes
    assert "Image expected:" in (CI / "k8s-cronjob.yaml").read_text()


def test_k8s_cronjob_command_runs_here_against_postgresql(
    tmp_path: Path, pypi: tuple[PyPIState, str], validate: Any, pg_url: str
) -> None:
    container = _cronjob()["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    workspace = _app(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    mounts = {"/srv/app": str(workspace), "/tmp/scan.json": str(out / "scan.json")}
    argv = [mounts.get(a, a) for a in container["command"] + container["args"]]
    argv[0] = AUDITOR
    ran = subprocess.run(
        argv, env=_env(pypi[1], AUDITOR_DB=pg_url), capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    doc = _scan_doc(out / "scan.json", validate)
    history = subprocess.run(
        [AUDITOR, "history", "--format", "json", "--db", pg_url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert [s["id"] for s in json.loads(history.stdout)["scans"]] == [doc["scan"]["id"]]
