"""Resolution through the CLI: snapshots, offline equality, show, doctor, secrets."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import Ran, write_files
from tests.servers.pypi import PyPIState

Auditor = Callable[..., Ran]
Validate = Callable[[str], dict[str, Any]]


def _origins(doc: dict[str, Any]) -> dict[str, Any]:
    return {c["purl"]: c["origin"] for c in doc["components"]}


def test_snapshot_round_trip_gives_offline_what_online_gave(
    auditor: Auditor, validate: Validate, pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    state, base = pypi
    app = write_files(tmp_path / "app", {"requirements.txt": "click==8.5.1\nrequests==2.34.2\n"})
    online = validate(auditor("scan", app, "-f", "json", "--pypi-url", base).stdout)
    assert {o["status"] for o in _origins(online).values()} == {"resolved"}
    snapshot = tmp_path / "snap.jsonl"
    assert auditor("cache", "export", snapshot).code == 0
    header = json.loads(snapshot.read_text().splitlines()[0])
    assert header["format"] == "origin-auditor-http-cache" and header["version"] == 1
    assert "127.0.0.1" not in snapshot.read_text()  # keys are role + path, never hosts
    other = f"sqlite:///{tmp_path / 'airgapped.db'}"
    assert auditor("cache", "import", snapshot, "--db", other).code == 0
    sent = len(state.log)
    offline = validate(
        auditor("scan", app, "-f", "json", "--offline", "--db", other,
                "--pypi-url", "http://127.0.0.1:9").stdout
    )  # fmt: skip
    assert len(state.log) == sent
    assert _origins(offline) == _origins(online)


def test_bad_snapshot_is_exit_2_with_line(auditor: Auditor, tmp_path: Path) -> None:
    snap = tmp_path / "s.jsonl"
    snap.write_text('{"format": "origin-auditor-http-cache", "version": 1}\n{"key": 3}\n')
    ran = auditor("cache", "import", snap)
    assert ran.code == 2 and f"{snap}:2:" in ran.stderr and "Traceback" not in ran.stderr


def test_show_prints_every_piece_of_evidence(
    auditor: Auditor, validate: Validate, pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    app = write_files(tmp_path / "app", {"requirements.txt": "click==8.5.1\n"})
    doc = validate(auditor("scan", app, "-f", "json", "--pypi-url", pypi[1]).stdout)
    ran = auditor("show", doc["scan"]["id"], "click")
    assert ran.code == 0, ran.stderr
    evidence = doc["components"][0]["origin"]["evidence"]
    for e in evidence:
        assert e["field"] in ran.stdout
    assert "publisher     pallets [registry]" in ran.stdout
    missing = auditor("show", doc["scan"]["id"], "pkg:pypi/clik@8.5.1")
    assert missing.code == 2 and "did you mean pkg:pypi/click@8.5.1" in missing.stderr


def test_doctor_reports_endpoint_and_store(auditor: Auditor, pypi: tuple[PyPIState, str]) -> None:
    base = pypi[1]
    ran = auditor("doctor", "--pypi-url", base, "--npm-registry", base)
    assert ran.code == 0, ran.stdout
    assert f"ok   npm    {base}  (--npm-registry): HTTP 404" in ran.stdout
    assert f"ok   pypi   {base}  (--pypi-url): HTTP 404" in ran.stdout  # pip is not served here
    assert "ok   store" in ran.stdout
    down = auditor("doctor", "--pypi-url", "http://127.0.0.1:9")
    assert down.code == 1 and "FAIL pypi" in down.stdout


def test_secrets_never_reach_output_store_or_logs(
    auditor: Auditor, pypi: tuple[PyPIState, str], tmp_path: Path, db_url: str
) -> None:
    state, base = pypi
    state.credentials = ("ci-user", "s3cr3t-t0ken-value")
    with_auth = base.replace("http://", "http://ci-user:s3cr3t-t0ken-value@")
    app = write_files(tmp_path / "app", {"requirements.txt": "click==8.5.1\n"})
    outputs = [
        auditor("--debug", "scan", app, "-f", fmt, "--pypi-url", with_auth)
        for fmt in ("json", "table", "markdown")
    ]
    assert '"status": "resolved"' in outputs[0].stdout  # the credentials were used…
    snapshot = tmp_path / "snap.jsonl"
    auditor("cache", "export", snapshot)
    doctor = auditor("doctor", "--pypi-url", with_auth)
    texts = [r.stdout + r.stderr for r in [*outputs, doctor]] + [snapshot.read_text()]
    database = Path(db_url.removeprefix("sqlite:///")).read_bytes()
    for text in texts:  # …and appear nowhere
        assert "s3cr3t" not in text
    assert b"s3cr3t" not in database
