"""Checks (and where possible starts) what the tests need from the machine.

Outside CI a missing prerequisite is announced loudly and its tests skip; with CI=true it
fails the run, so a green CI never hides a skipped database test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

PG_URL = os.environ.get("AUDITOR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_ready() -> str | None:
    """None when PostgreSQL answers, else why not."""
    import psycopg

    try:
        with psycopg.connect(PG_URL, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def try_start_postgres() -> None:
    """This machine kind starts PostgreSQL before the session; restart it if it stopped."""
    if shutil.which("pg_ctlcluster") and os.path.isdir("/etc/postgresql"):
        for version in os.listdir("/etc/postgresql"):
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                check=False,
                capture_output=True,
            )


def main() -> int:
    """Exit 1 only under CI=true with something missing."""
    problem = postgres_ready()
    if problem is not None:
        try_start_postgres()
        problem = postgres_ready()
    if problem is None:
        print("prereqs: PostgreSQL at 127.0.0.1:5432 answers")
        return 0
    banner = "!" * 72
    print(f"{banner}\nprereqs: PostgreSQL unreachable ({problem})", file=sys.stderr)
    if os.environ.get("CI") == "true":
        print(f"prereqs: CI=true, so this fails the run\n{banner}", file=sys.stderr)
        return 1
    print(f"prereqs: the PostgreSQL store tests will be SKIPPED\n{banner}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
