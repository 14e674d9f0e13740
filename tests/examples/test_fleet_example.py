"""examples/fleet: the compose file is valid by the compose specification's JSON schema
(check-jsonschema's vendored copy of compose-spec.json), and what it runs is real: every
auditor command line parses as `auditor` would parse it, the scheduler's targets file reads."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from auditor.fleet.sources import configured_sources
from auditor.fleet.targets import read_targets
from tests.test_docs import parse

FLEET = Path(__file__).resolve().parents[2] / "examples" / "fleet"
COMPOSE = FLEET / "compose.yaml"
BIN = Path(sys.executable).parent


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def _compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return doc


def test_compose_file_is_valid() -> None:
    ran = _validate(COMPOSE)
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_the_schema_check_can_fail(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text().replace("stop_grace_period:", "stop_grace:"))
    assert _validate(broken).returncode == 1


def test_it_runs_a_broker_a_database_workers_and_a_scheduler() -> None:
    services = _compose()["services"]
    assert {"broker", "db", "migrate", "worker", "scheduler"} <= set(services)
    worker = services["worker"]
    assert worker["deploy"]["replicas"] >= 2
    env = worker["environment"]
    assert env["AUDITOR_BROKER_URL"].startswith("redis://broker:")
    assert "@db:" in env["AUDITOR_DB"] and "PASSWORD" not in env["AUDITOR_DB"].upper()
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def _auditor_lines() -> list[list[str]]:
    services = _compose()["services"]
    lines = []
    for service in services.values():
        command = service.get("command")
        if isinstance(command, list) and command and command[0] == "auditor":
            lines.append(command)
        elif isinstance(command, list):  # a shell script: its auditor lines
            for text in command:
                for line in str(text).splitlines():
                    words = shlex.split(line.strip().split("||")[0])
                    if words[:1] == ["auditor"]:
                        lines.append(words)
    return lines


def test_every_auditor_command_parses() -> None:
    lines = _auditor_lines()
    assert ["auditor", "fleet", "submit", "/etc/auditor/targets.txt"] in lines
    assert any(line[:2] == ["auditor", "worker"] for line in lines)
    for words in lines:
        parse(words[1:])  # raises click's usage error for an unknown command or option


def test_the_scheduled_targets_file_reads() -> None:
    scheduler = _compose()["services"]["scheduler"]
    assert "./targets.txt:/etc/auditor/targets.txt:ro" in scheduler["volumes"]
    sources = configured_sources([], _compose()["x-auditor"]["environment"])
    lines = read_targets(FLEET / "targets.txt", sources)
    assert len(lines) == 6 and lines[3].target == "image:/srv/images/api.tar"
    assert lines[5].target.startswith("https://git.example.test/")
