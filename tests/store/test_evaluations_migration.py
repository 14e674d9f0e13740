"""Migration 0009: every finding stored before it is its scan's own evaluation (1)."""

from __future__ import annotations

from importlib.resources import as_file, files

from sqlalchemy import create_engine, text

from auditor.store import SCHEMA_HEAD, open_store, upgrade


def test_findings_stored_before_0009_are_evaluation_one(db_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    engine = create_engine(db_url)
    with as_file(files("auditor.store") / "migrations") as location, engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(location))
        config.attributes["connection"] = conn
        command.upgrade(config, "0008")
        conn.execute(
            text(
                "INSERT INTO scans (id, started_at, finished_at, status, tool_version, extra) "
                "VALUES ('s-0008', '2026-12-01T00:00:00.000Z', '2026-12-01T00:00:01.000Z', "
                "'complete', '0.1', '{}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO findings (scan_id, position, rule, severity, action, purl, message,"
                " evidence) VALUES ('s-0008', 0, 'package.unpinned', 'medium', 'report',"
                " 'pkg:pypi/x@1', 'x is not pinned', '[]')"
            )
        )
    engine.dispose()
    assert upgrade(db_url) == SCHEMA_HEAD
    with open_store(db_url) as store:
        scan = store.load_scan("s-0008")
        [summary] = store.list_scans()
    assert scan.evaluation is None
    assert [f.rule for f in scan.findings] == ["package.unpinned"]
    assert summary.finding_count == 1
