"""`auditor rescreen`: a stored scan judged again as a new evaluation, on SQLite and PostgreSQL.

The scans are real scans (the AI-service collector and resolver read local files and the
shipped data: no request is made), saved, and then the scanned folder is deleted: a rescreen
that re-collected or re-resolved anything would find nothing.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.config import Config
from auditor.pipeline import run_scan
from auditor.policy.engine import load_policy
from auditor.policy.settings import PolicySettings
from auditor.portfolio import queries
from auditor.portfolio.db import StoreAccess
from auditor.render.json import scan_document
from auditor.rescreen import reattribute, rescreen_stored
from auditor.resolvers.publishers import load
from auditor.screening.lists import default_dir
from auditor.store import open_store
from auditor.store.codec import parse_time
from tests.conftest import Ran
from tests.servers.pypi import PyPIState, load_project
from tests.servers.webhook import WebhookState, serve

DATA = Path(__file__).parents[1] / "data" / "ai_services" / "py"
LISTED = "origin.listed-entity"
NEW_LIST = """\
id: test-ai-bans
title: A list update for the test
authority: Test authority
source: https://www.example.gov/list
version: "2026-12-08"
published: 2026-12-08
scope: Hosted AI services banned on government devices (test data).
entries:
  - name: Hangzhou DeepSeek Artificial Intelligence Basic Technology Research Co., Ltd.
    organisations: [deepseek]
"""


@pytest.fixture
def webhook() -> Iterator[tuple[WebhookState, str]]:
    """A loopback webhook receiver; yields (state, URL)."""
    state = WebhookState()
    yield from ((state, url) for url in serve(state))


def stored_scan(db_url: str, tmp_path: Path) -> str:
    """A real scan of a folder calling hosted AI services, saved; the folder then deleted."""
    project = tmp_path / "proj"
    project.mkdir()
    for name in ("deepseek_openai.py", "openai_default.py"):
        shutil.copy(DATA / name, project / name)
    scan = run_scan([str(project)], Config(offline=True))
    with open_store(db_url) as store:
        store.save_scan(scan)
    shutil.rmtree(project)  # nothing is left to collect
    return scan.id


def updated_lists(tmp_path: Path) -> Path:
    """The shipped lists plus one new list naming the DeepSeek organisation."""
    folder = tmp_path / "lists"
    shutil.copytree(default_dir(), folder)
    (folder / "test-ai-bans.yaml").write_text(NEW_LIST, encoding="utf-8")
    return folder


def test_a_list_update_finds_a_new_match_without_rescanning(db_url: str, tmp_path: Path) -> None:
    scan_id = stored_scan(db_url, tmp_path)
    with open_store(db_url) as store:
        original = store.load_scan(scan_id)
    # The scan recorded its own evaluation: the shipped lists, without the new one.
    assert original.evaluation is not None and original.evaluation.number == 1
    assert "test-ai-bans" not in {v.id for v in original.evaluation.lists}
    assert not [f for f in original.findings if "test-ai-bans" in f.message]

    config = Config(no_resolve=True, screening_lists=updated_lists(tmp_path))
    with StoreAccess.open(db_url) as access:
        [outcome] = rescreen_stored(access, config)
    assert outcome.stored
    new = [f for f in outcome.new if f.rule == LISTED]
    assert new and all(f.purl.startswith("pkg:generic/ai-service/openai/deepseek") for f in new)

    with open_store(db_url) as store:
        assert [s.id for s in store.list_scans()] == [scan_id]  # the same scan, none added
        latest = store.load_scan(scan_id)
        first = store.load_scan(scan_id, evaluation=1)
        [summary] = store.list_scans()
    assert first == original  # the scan's own evaluation is kept as it was
    assert latest.evaluation is not None and latest.evaluation.number == 2
    assert ("test-ai-bans", "2026-12-08") in {(v.id, v.version) for v in latest.evaluation.lists}
    assert latest.evaluation.knowledge_base.startswith("sha256:")
    assert latest.evaluation.new == len(outcome.new)
    assert set(latest.findings) == set(outcome.after.findings)
    assert summary.finding_count == len(latest.findings)  # history counts the newest
    assert latest.components == original.components


def test_an_unchanged_rescreen_adds_no_evaluation(db_url: str, tmp_path: Path) -> None:
    """The scan recorded what it was screened against (evaluation 1): judged again on the
    same knowledge base, lists and policy, nothing differs and nothing is added; a list
    update then adds evaluation 2, and the same update again adds nothing."""
    scan_id = stored_scan(db_url, tmp_path)
    config = Config(no_resolve=True)
    with StoreAccess.open(db_url) as access:
        [first] = rescreen_stored(access, config)
        updated = replace(config, screening_lists=updated_lists(tmp_path))
        [second] = rescreen_stored(access, updated)
        [again] = rescreen_stored(access, updated)
    assert not first.stored and not first.new and not first.cleared
    assert second.stored and second.new
    assert not again.stored and not again.new and not again.cleared
    with open_store(db_url) as store:
        evaluation = store.load_scan(scan_id).evaluation
    assert evaluation is not None and evaluation.number == 2


def test_a_policy_change_makes_a_new_evaluation(db_url: str, tmp_path: Path) -> None:
    scan_id = stored_scan(db_url, tmp_path)
    with open_store(db_url) as store:
        before = store.load_scan(scan_id)
    unvetted = [f for f in before.findings if f.rule == "service.unvetted"]
    assert unvetted
    policy = load_policy(PolicySettings(disable=("service.unvetted",)))
    with StoreAccess.open(db_url) as access:
        [outcome] = rescreen_stored(access, Config(no_resolve=True, policy=policy))
    assert {f.rule for f in outcome.cleared} == {"service.unvetted"}
    with open_store(db_url) as store:
        after = store.load_scan(scan_id)
    assert not [f for f in after.findings if f.rule == "service.unvetted"]
    assert after.policy_version == policy.version
    assert after.evaluation is not None and after.evaluation.cleared == len(unvetted)


def test_reattribution_of_a_fresh_scan_changes_nothing(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    for name in ("deepseek_openai.py", "volcengine_ark.py"):
        shutil.copy(DATA / name, project / name)
    scan = run_scan([str(project)], Config(offline=True))
    again, _ = reattribute(scan, load())
    assert again.origins == scan.origins


def test_report_json_and_portfolio_show_the_latest_evaluation(
    db_url: str, tmp_path: Path, validate: Callable[[str], dict[str, object]]
) -> None:
    scan_id = stored_scan(db_url, tmp_path)
    config = Config(no_resolve=True, screening_lists=updated_lists(tmp_path))
    with StoreAccess.open(db_url) as access:
        rescreen_stored(access, config)
        latest = access.store.load_scan(scan_id)
        with access.begin() as conn:
            hits = queries.findings(conn, LISTED, None)
            counts = queries.finding_counts(conn, None)
    doc = validate(json.dumps(scan_document(latest)))
    evaluation = doc["scan"]["evaluation"]  # type: ignore[index]
    assert evaluation["number"] == 2
    assert evaluation["summary"].startswith(f"evaluation 2 of scan {scan_id}, re-screened ")
    assert hits and {h.evaluation for h in hits} == {2}
    assert counts[scan_id][0] == sum(1 for f in latest.findings if not f.waived)


def test_cli_rescreen_notifies_only_new_findings_and_fails_on_new_blocking(
    auditor: Callable[..., Ran],
    db_url: str,
    tmp_path: Path,
    webhook: tuple[WebhookState, str],
) -> None:
    state, url = webhook
    scan_id = stored_scan(db_url, tmp_path)
    lists = updated_lists(tmp_path)
    policy = tmp_path / "auditor.toml"
    policy.write_text('[screening]\nblock = ["test-ai-bans"]\n', encoding="utf-8")

    ran = auditor("rescreen", "--lists", lists, "--notify", url, "--policy", policy)
    assert ran.code == 1, ran.stderr  # a new match on a blocking list
    assert scan_id[:8] in ran.stdout and "1 scans re-screened, 1 new evaluations" in ran.stdout
    [body] = state.delivered()
    assert body["scan"] == scan_id and body["evaluation"] == 2
    assert body["new_findings"] and {f["rule"] for f in body["new_findings"]} == {LISTED}
    assert body["added"] == [] and body["resolved_findings"] == []

    again = auditor("rescreen", "--lists", lists, "--notify", url, "--policy", policy)
    assert again.code == 0, again.stderr  # known matches do not fail a rescreen again
    assert len(state.delivered()) == 1  # nothing new: nothing sent

    report = auditor("report", scan_id, "--format", "table")
    assert f"evaluation 2 of scan {scan_id}" in report.stdout
    markdown = auditor("report", scan_id, "--format", "markdown")
    assert "| Evaluation | evaluation 2 of scan" in markdown.stdout
    diffed = auditor("diff", scan_id, scan_id)
    assert f"to: evaluation 2 of scan {scan_id}" in diffed.stdout
    original = auditor("report", scan_id, "--format", "json")
    assert json.loads(original.stdout)["scan"]["evaluation"]["number"] == 2
    first = auditor("history")
    assert scan_id in first.stdout
    page = tmp_path / "portfolio.html"
    assert auditor("portfolio", "report", "-o", page).code == 0
    assert "<small>evaluation 2</small>" in page.read_text(encoding="utf-8")
    findings = auditor("portfolio", "findings", "--rule", LISTED)
    assert "(evaluation 2)" in findings.stdout


def test_cli_rescreen_since_and_bad_dates(
    auditor: Callable[..., Ran], db_url: str, tmp_path: Path
) -> None:
    stored_scan(db_url, tmp_path)
    none = auditor("rescreen", "--since", "2999-01-01")
    assert none.code == 0 and "no stored scans to re-screen" in none.stdout
    bad = auditor("rescreen", "--since", "yesterday")
    assert bad.code == 2 and "--since yesterday: not a date" in bad.stderr


def test_pruning_a_scan_deletes_its_evaluations(db_url: str, tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    stored_scan(db_url, tmp_path)
    config = Config(no_resolve=True, screening_lists=updated_lists(tmp_path))
    with StoreAccess.open(db_url) as access:
        rescreen_stored(access, config)
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            # the scan's own evaluation (1) and the rescreen's (2)
            assert conn.execute(text("SELECT count(*) FROM evaluations")).scalar() == 2
            assert conn.execute(text("SELECT count(*) FROM evaluation_origins")).scalar() == 0
        with open_store(db_url) as store:
            assert len(store.prune(keep_last=0)) == 1
        with engine.connect() as conn:
            for table in ("evaluations", "evaluation_origins", "findings"):
                assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
    finally:
        engine.dispose()


def test_origins_an_evaluation_changed_are_stored_and_read_back(
    db_url: str, tmp_path: Path, pypi: tuple[PyPIState, str]
) -> None:
    # A knowledge-base update (the organisation behind `requests` given a parent) changes
    # that origin: only it is stored with the evaluation, and read back in its place.
    from dataclasses import replace

    from auditor.model import PARENT_FIELD
    from auditor.rescreen import current_basis, reevaluate
    from auditor.resolvers.publishers import KnowledgeBase, Parent

    state, url = pypi
    version = load_project("requests")["info"]["version"]
    (tmp_path / "requirements.txt").write_text(f"requests=={version}\nclick\n")
    scan = run_scan([str(tmp_path / "requirements.txt")], Config(pypi_url=url, store=False))
    [named] = [o for o in scan.origins if o.purl.startswith("pkg:pypi/requests@")]
    assert named.organisation is not None and not named.parents
    kb = load()
    child = next(o for o in kb.organisations if o.name == named.organisation.value)
    parent = next(o for o in kb.organisations if o.key != child.key and o.parent is None)
    page = "https://www.example.invalid/annual-report"
    adopted = replace(child, parent=Parent(parent.key, page, "2026-12-08"))
    updated = KnowledgeBase(
        tuple(adopted if o is child else o for o in kb.organisations),
        {k: adopted if v is child else v for k, v in kb.index.items()},
    )
    with open_store(db_url) as store:
        store.save_scan(scan)
        outcome = reevaluate(store.load_scan(scan.id), Config(no_resolve=True), current_basis(),
                             kb=updated)  # fmt: skip
        store.save_evaluation(outcome.after)
        after = store.load_scan(scan.id)
        first = store.load_scan(scan.id, evaluation=1)
    changed = [n for o, n in zip(scan.origins, after.origins, strict=True) if o != n]
    assert [o.purl for o in changed] == [named.purl]
    assert [(p.field, p.value, p.where) for p in changed[0].parents] == [
        (f"{PARENT_FIELD}{child.key}]", parent.name, page)
    ]
    assert after.origins == outcome.after.origins
    assert first == scan
    asked = len(state.log)
    assert asked  # the scan asked the loopback index
    with StoreAccess.open(db_url) as access:
        [rescreened] = rescreen_stored(access, Config(no_resolve=True))
    assert rescreened.after.id == scan.id
    assert len(state.log) == asked  # the rescreen asked nothing


def test_since_rescreens_every_scan_from_a_date(db_url: str, tmp_path: Path) -> None:
    first = stored_scan(db_url, tmp_path)
    second = stored_scan(db_url, tmp_path)  # the same folder again: the same target
    config = Config(no_resolve=True, screening_lists=updated_lists(tmp_path))
    with StoreAccess.open(db_url) as access:
        # without --since: the newest scan of each target only
        assert [o.after.id for o in rescreen_stored(access, config)] == [second]
        everything = rescreen_stored(access, config, since=parse_time("2000-01-01"))
    assert [o.after.id for o in everything] == [second, first]  # newest first
    assert [o.stored for o in everything] == [False, True]  # the newest was up to date
    with open_store(db_url) as store:
        numbers = [store.load_scan(i).evaluation for i in (first, second)]
    assert [n.number if n else None for n in numbers] == [2, 2]
