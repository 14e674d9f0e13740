"""Migration 0005: the digest memo gains ctime_ns and forgets rows memoised without it."""

from __future__ import annotations

from importlib.resources import as_file, files

from sqlalchemy import create_engine, inspect, text

from auditor.store import SCHEMA_HEAD, upgrade


def test_rows_without_ctime_are_forgotten(db_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    engine = create_engine(db_url)
    with as_file(files("auditor.store") / "migrations") as location, engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(location))
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        conn.execute(
            text(
                "INSERT INTO digest_memo (path, algorithm, stat, digest) VALUES "
                "('/cache/blobs/x', 'sha256', '10:1:2', :d)"
            ),
            {"d": "0" * 64},
        )
    assert upgrade(db_url) == SCHEMA_HEAD  # through 0005 to the newest
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM digest_memo")).scalar() == 0
    assert "ctime_ns" in {c["name"] for c in inspect(engine).get_columns("digest_memo")}
    engine.dispose()
