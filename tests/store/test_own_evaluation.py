"""A scan records what its own evaluation (1) was screened against, so the attestation of a
release scanned once names the list versions; on SQLite and PostgreSQL.

Real scans through the CLI (`auditor scan`, then `report --format attestation`, `rescreen`):
the AI-service folder is read from local files and the shipped service data (no request);
the lockfile-only scan uses `--no-resolve`.
"""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from auditor.config import Config
from auditor.pipeline import run_scan
from auditor.rescreen import current_basis
from auditor.screening.lists import load_lists
from auditor.store import open_store
from tests.conftest import DATA, Ran
from tests.store.test_rescreen import DATA as SERVICES
from tests.store.test_rescreen import updated_lists

Auditor = Callable[..., Ran]
LOCK = DATA / "python" / "uvlock" / "project"


def _project(tmp_path: Path) -> Path:
    """A folder calling hosted AI services (one is DeepSeek's)."""
    project = tmp_path / "proj"
    project.mkdir()
    for name in ("deepseek_openai.py", "openai_default.py"):
        shutil.copy(SERVICES / name, project / name)
    return project


def _scanned(auditor: Auditor, validate: Callable[[str], dict[str, Any]], *args: Any) -> Any:
    ran = auditor("scan", *args, "--format", "json")
    assert ran.code in (0, 1), ran.stderr
    return validate(ran.stdout)


def _statement(page: str) -> str:
    """The attestation's sentence saying which evaluation the findings are, unescaped."""
    start = page.index('<p data-field="evaluation">')
    return html.unescape(page[start : page.index("</p>", start)].partition(">")[2])


def _named(lists: Any) -> str:
    return ", ".join(f"{v.id} “{v.version}”" for v in lists)


def test_a_scan_screened_once_is_attested_against_named_list_versions(
    auditor: Auditor, tmp_path: Path, validate: Callable[[str], dict[str, Any]]
) -> None:
    doc = _scanned(auditor, validate, _project(tmp_path), "--offline")
    scan_id = doc["scan"]["id"]
    shipped = load_lists()
    evaluation = doc["scan"]["evaluation"]
    assert evaluation["number"] == 1
    assert evaluation["lists"] == [{"id": s.id, "version": s.version} for s in shipped]
    assert evaluation["knowledge_base"] == current_basis().knowledge_base
    assert evaluation["new_findings"] == evaluation["cleared_findings"] == 0
    screened = evaluation["evaluated_at"][:10]
    assert evaluation["summary"] == (
        f"evaluation 1 of scan {scan_id}, screened when it ran on {screened} against lists "
        f"{_named(shipped)}; knowledge base {evaluation['knowledge_base']}"
    )

    page = auditor("report", scan_id, "--format", "attestation").stdout
    assert _statement(page) == f"These are the findings of {evaluation['summary']}."
    assert "were not recorded" not in page
    assert "not screened against" not in page  # every list row at the version recorded
    for s in shipped:
        assert f'<tr data-list="{s.id}">' in page and html.escape(s.version) in page
    assert f'On <b data-field="screened">{screened}</b>' in page

    # The other views mention an evaluation only once the scan was re-screened.
    assert "evaluation 1" not in auditor("report", scan_id, "--format", "table").stdout
    assert "| Evaluation |" not in auditor("report", scan_id, "--format", "markdown").stdout
    assert 'data-metric="evaluation"' not in auditor("report", scan_id, "--format", "html").stdout


def test_a_rescreen_after_still_numbers_evaluation_2(
    auditor: Auditor, tmp_path: Path, db_url: str, validate: Callable[[str], dict[str, Any]]
) -> None:
    scan_id = _scanned(auditor, validate, _project(tmp_path), "--offline")["scan"]["id"]
    same = auditor("rescreen")  # the same knowledge base, lists and policy: nothing to add
    assert same.code == 0, same.stderr
    assert "1 scans re-screened, 0 new evaluations" in same.stdout

    lists = updated_lists(tmp_path)
    ran = auditor("rescreen", "--lists", lists)
    assert ran.code == 0, ran.stderr
    assert "1 scans re-screened, 1 new evaluations" in ran.stdout
    with open_store(db_url) as store:
        latest, first = store.load_scan(scan_id), store.load_scan(scan_id, evaluation=1)
    assert latest.evaluation is not None and latest.evaluation.number == 2
    assert "test-ai-bans" in {v.id for v in latest.evaluation.lists}
    assert first.evaluation is not None and first.evaluation.number == 1  # kept as recorded
    assert "test-ai-bans" not in {v.id for v in first.evaluation.lists}

    # Printed with the lists the rescreen used: the statement is evaluation 2's.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AUDITOR_SCREENING_LISTS", str(lists))
        page = auditor("report", scan_id, "--format", "attestation").stdout
    assert _statement(page).startswith(f"These are the findings of evaluation 2 of scan {scan_id}")
    assert "test-ai-bans “2026-12-08”" in _statement(page)
    report = auditor("report", scan_id, "--format", "json")
    assert validate(report.stdout)["scan"]["evaluation"]["number"] == 2


def test_the_lists_named_by_the_environment_are_the_ones_recorded(
    auditor: Auditor,
    tmp_path: Path,
    validate: Callable[[str], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lists = updated_lists(tmp_path)
    monkeypatch.setenv("AUDITOR_SCREENING_LISTS", str(lists))
    doc = _scanned(auditor, validate, _project(tmp_path), "--offline")
    recorded = {(v["id"], v["version"]) for v in doc["scan"]["evaluation"]["lists"]}
    assert ("test-ai-bans", "2026-12-08") in recorded
    assert recorded == {(s.id, s.version) for s in load_lists(lists)}
    # and the new list matched on the scan itself: no rescreen needed
    assert any("test-ai-bans" in f["message"] for f in doc["findings"])
    page = auditor("report", doc["scan"]["id"], "--format", "attestation").stdout
    assert "not screened against" not in page


def test_a_lockfile_only_scan_records_the_lists_though_nothing_could_match(
    auditor: Auditor, tmp_path: Path, validate: Callable[[str], dict[str, Any]]
) -> None:
    target = tmp_path / "project"
    shutil.copytree(LOCK, target)
    doc = _scanned(auditor, validate, target, "--no-resolve")
    evaluation = doc["scan"]["evaluation"]
    assert [v["id"] for v in evaluation["lists"]] == [s.id for s in load_lists()]
    assert not [f for f in doc["findings"] if f["rule"] == "origin.listed-entity"]
    page = auditor("report", doc["scan"]["id"], "--format", "attestation").stdout
    assert _statement(page) == f"These are the findings of {evaluation['summary']}."
    # every component counted as not screenable: nothing was attributed
    components = len(doc["components"])
    assert f"{components} components could not be screened" in html.unescape(page)


def test_a_scan_stored_before_evaluation_1_was_recorded(db_url: str, tmp_path: Path) -> None:
    """As an older origin-auditor stored it: no basis; the attestation says so, and the first
    rescreen adds evaluation 2 as before."""
    from auditor.portfolio.db import StoreAccess
    from auditor.render import renderer
    from auditor.rescreen import rescreen_stored

    made = run_scan([str(_project(tmp_path))], Config(offline=True))
    assert made.evaluation is not None
    old = replace(made, evaluation=None)
    with open_store(db_url) as store:
        store.save_scan(old)
        assert store.load_scan(old.id) == old
    page = renderer("attestation").render(old)
    assert "the list versions it used were not recorded" in _statement(page)
    with StoreAccess.open(db_url) as access:
        [outcome] = rescreen_stored(access, Config(no_resolve=True))
    assert outcome.stored  # nothing recorded to compare with: the basis is recorded now
    assert outcome.after.evaluation is not None and outcome.after.evaluation.number == 2


def test_json_of_a_scan_round_trips_its_evaluation(
    auditor: Auditor, tmp_path: Path, validate: Callable[[str], dict[str, Any]]
) -> None:
    """`scan --format json` and `report --format json` of the stored scan say the same."""
    doc = _scanned(auditor, validate, _project(tmp_path), "--offline")
    again = validate(auditor("report", doc["scan"]["id"], "--format", "json").stdout)
    assert again["scan"]["evaluation"] == doc["scan"]["evaluation"]
    assert json.dumps(again["findings"], sort_keys=True) == json.dumps(
        doc["findings"], sort_keys=True
    )


@pytest.mark.parametrize("content", [b"id: [unclosed\n", b"id: caf\xe9\n"])
def test_an_unusable_lists_folder_is_named_not_a_traceback(
    auditor: Auditor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    """Every scan reads the lists' versions: a broken file in the folder the environment
    names stops it with exit 2 and the file's name (as when the check itself reads it)."""
    folder = tmp_path / "lists"
    folder.mkdir()
    (folder / "broken.yaml").write_bytes(content)
    monkeypatch.setenv("AUDITOR_SCREENING_LISTS", str(folder))
    target = tmp_path / "project"
    shutil.copytree(LOCK, target)
    ran = auditor("scan", target, "--no-resolve", "--no-store", "--format", "json")
    assert ran.code == 2
    assert str(folder / "broken.yaml") in ran.stderr and "Traceback" not in ran.stderr
