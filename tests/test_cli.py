"""The command-line contract: exit codes, error messages, formats and the store round trip."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, Ran, purls, write_files

EXAMPLE = REPO / "examples" / "python-app"
Validate = Callable[[str], dict[str, Any]]
Auditor = Callable[..., Ran]


def test_scan_example_json_is_valid_and_complete(auditor: Auditor, validate: Validate) -> None:
    ran = auditor("scan", "--no-resolve", EXAMPLE, "--format", "json")
    assert ran.code == 0, ran.stderr
    doc = validate(ran.stdout)
    assert doc["scan"]["status"] == "complete"
    names = {c["name"].lower() for c in doc["components"]}
    assert {"requests", "click", "jinja2", "pyyaml", "certifi"} <= names
    # The project itself is the graph's root, never an inventory entry.
    assert "example-app" not in names
    assert any(d["from"].startswith("pkg:pypi/example-app@") for d in doc["dependencies"])
    requests = next(c for c in doc["components"] if c["name"].lower() == "requests")
    assert requests["direct"] is True
    assert requests["origin"]["status"] == "skipped"
    assert {loc["path"] for loc in requests["locations"]} == {"requirements.txt", "uv.lock"}
    [target] = doc["scan"]["targets"]
    assert target["kind"] == "directory"
    assert target["identity"] == f"directory:{EXAMPLE.as_posix()}"


def test_target_digest_changes_exactly_when_inputs_change(
    auditor: Auditor, validate: Validate, tmp_path: Path
) -> None:
    write_files(tmp_path, {"requirements.txt": "click==8.1.7\n", "notes.txt": "x"})

    def digest() -> str:
        doc = validate(auditor("scan", "--no-resolve", tmp_path, "--format", "json").stdout)
        return str(doc["scan"]["targets"][0]["digest"])

    first = digest()
    (tmp_path / "notes.txt").write_text("not an input")
    assert digest() == first
    (tmp_path / "requirements.txt").write_text("click==8.1.8\n")
    assert digest() != first


def test_missing_target_exits_2_naming_it(auditor: Auditor, tmp_path: Path) -> None:
    ran = auditor("scan", "--no-resolve", tmp_path / "nope.txt")
    assert ran.code == 2
    assert f"{tmp_path / 'nope.txt'}: no such file or directory" in ran.stderr
    assert "Traceback" not in ran.stderr + ran.stdout


def test_every_unusable_target_is_reported_before_exit_2(auditor: Auditor, tmp_path: Path) -> None:
    write_files(tmp_path, {"photo.jpg": b"\xff\xd8\xff\xe0binary", "requirements.txt": "a==1\n"})
    ran = auditor(
        "scan",
        "--no-resolve",
        tmp_path / "photo.jpg",
        tmp_path / "gone",
        tmp_path / "requirements.txt",
    )
    assert ran.code == 2
    assert "photo.jpg: not a lockfile" in ran.stderr
    assert "gone: no such file or directory" in ran.stderr
    assert ran.stdout == ""  # nothing was scanned or stored


def test_malformed_named_lockfile_exits_2_with_file_and_line(
    auditor: Auditor, tmp_path: Path
) -> None:
    write_files(tmp_path, {"requirements.txt": "click==8.1.7\nthis is not ! a requirement\n"})
    ran = auditor("scan", "--no-resolve", tmp_path / "requirements.txt")
    assert ran.code == 2
    assert "requirements.txt:2:" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_malformed_discovered_file_is_a_diagnostic_and_partial(
    auditor: Auditor, validate: Validate, tmp_path: Path
) -> None:
    write_files(
        tmp_path,
        {"good/requirements.txt": "click==8.1.7\n", "bad/uv.lock": "version = [unclosed\n"},
    )
    ran = auditor("scan", "--no-resolve", tmp_path, "--format", "json")
    assert ran.code == 0, ran.stderr
    doc = validate(ran.stdout)
    assert doc["scan"]["status"] == "partial"
    assert purls(doc) == ["pkg:pypi/click@8.1.7"]
    [diag] = doc["diagnostics"]
    assert diag["location"].startswith("bad/uv.lock")
    assert auditor("scan", "--no-resolve", tmp_path, "--strict").code == 3
    table = auditor("scan", "--no-resolve", tmp_path).stdout
    assert "1 diagnostics" in table and "bad/uv.lock" in table


def test_fail_on_threshold(auditor: Auditor, tmp_path: Path) -> None:
    write_files(tmp_path, {"requirements.txt": "click>=8\n"})
    assert auditor("scan", "--no-resolve", tmp_path, "--fail-on", "high").code == 0
    assert auditor("scan", "--no-resolve", tmp_path, "--fail-on", "low").code == 1
    # policy failure wins over a partial scan under --strict
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "uv.lock").write_text("[[package]\n")
    assert auditor("scan", "--no-resolve", tmp_path, "--fail-on", "low", "--strict").code == 1


def test_exclude_skips_matching_paths(auditor: Auditor, validate: Validate, tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {"app/requirements.txt": "click==8.1.7\n", "vendor/requirements.txt": "six==1.16.0\n"},
    )
    doc = validate(
        auditor("scan", "--no-resolve", tmp_path, "--exclude", "vendor", "--format", "json").stdout
    )
    assert purls(doc) == ["pkg:pypi/click@8.1.7"]


def test_prefix_forces_kind(auditor: Auditor, validate: Validate, tmp_path: Path) -> None:
    write_files(tmp_path, {"deps.pinned": "click==8.1.7\n"})
    unforced = auditor("scan", "--no-resolve", tmp_path / "deps.pinned")
    assert unforced.code == 0  # recognised by content
    doc = validate(
        auditor("scan", "--no-resolve", f"lockfile:{tmp_path / 'deps.pinned'}", "-f", "json").stdout
    )
    assert doc["scan"]["targets"][0]["kind"] == "lockfile"
    ran = auditor("scan", "--no-resolve", f"image:{tmp_path / 'x.tar'}")
    assert ran.code == 2 and "no such file or directory" in ran.stderr
    ran = auditor("scan", "--no-resolve", f"image:{tmp_path / 'deps.pinned'}")
    assert ran.code == 2 and "not a readable tar archive" in ran.stderr


def test_report_renders_the_stored_scan_identically(auditor: Auditor, validate: Validate) -> None:
    scanned = auditor("scan", "--no-resolve", EXAMPLE, "--format", "json")
    doc = validate(scanned.stdout)
    again = auditor("report", doc["scan"]["id"], "--format", "json")
    assert again.code == 0, again.stderr
    assert again.stdout == scanned.stdout
    prefix = auditor("report", doc["scan"]["id"][:8], "--format", "markdown")
    assert prefix.code == 0 and "# Origin Auditor report" in prefix.stdout


def test_report_unknown_scan_exits_2(auditor: Auditor) -> None:
    auditor("db", "upgrade")
    ran = auditor("report", "0123456789abcdef")
    assert ran.code == 2 and "0123456789abcdef" in ran.stderr


def test_store_failure_still_writes_the_report(
    auditor: Auditor, validate: Validate, tmp_path: Path
) -> None:
    out = tmp_path / "scan.json"
    ran = auditor(
        "scan", "--no-resolve", EXAMPLE, "-f", "json", "-o", out, "--db", "sqlite:////proc/x/y.db"
    )
    assert ran.code == 2
    assert "error:" in ran.stderr
    validate(out.read_text())


def test_output_file_and_summary_line(auditor: Auditor, validate: Validate, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "scan.json"
    ran = auditor("scan", "--no-resolve", EXAMPLE, "--format", "json", "--output", out)
    assert ran.code == 0 and ran.stdout == ""
    assert "json written to" in ran.stderr
    validate(out.read_text())


def test_rules_list_shows_builtin_rules(auditor: Auditor) -> None:
    ran = auditor("rules", "list")
    assert ran.code == 0
    assert "package.unpinned" in ran.stdout


@pytest.mark.parametrize("args", [["scan"], ["scan", "--format", "xml", "."], ["nonsense"]])
def test_usage_errors_exit_2(auditor: Auditor, args: list[str]) -> None:
    assert auditor(*args).code == 2


def test_real_process_has_no_traceback(tmp_path: Path) -> None:
    bad = write_files(tmp_path, {"requirements.txt": "--no-such-option\n"}) / "requirements.txt"
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "scan", str(bad), "--no-store"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert "requirements.txt:1" in proc.stderr
    assert "Traceback" not in proc.stderr
