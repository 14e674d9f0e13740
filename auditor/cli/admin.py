"""Looking after the machinery: `db upgrade`, `cache export|import`, `doctor`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from auditor.cli.common import echo
from auditor.cli.options import db_option, fail
from auditor.config import db_url
from auditor.errors import AuditorError


@click.group()
def db() -> None:
    """The scan store."""


@db.command("upgrade")
@db_option
@click.pass_obj
def db_upgrade(debug: bool, db: str | None) -> None:
    """Create the schema or apply pending migrations."""
    from auditor.store import upgrade

    try:
        revision = upgrade(db_url(db, os.environ))
    except AuditorError as exc:
        fail(exc, debug)
    echo(f"schema at revision {revision}")


@click.group()
def cache() -> None:
    """The registry metadata cache: snapshots for air-gapped machines."""


@cache.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@click.pass_obj
def cache_export(debug: bool, file: Path, db: str | None) -> None:
    """Write every cached registry answer to FILE (versioned JSON lines)."""
    from auditor import snapshot
    from auditor.store import open_store

    try:
        with open_store(db_url(db, os.environ)) as store, file.open("w", encoding="utf-8") as out:
            count = snapshot.write(out, store.http_cache().entries())
    except OSError as exc:
        fail(AuditorError(f"{file}: cannot write: {exc.strerror}"), debug)
    except AuditorError as exc:
        fail(exc, debug)
    echo(f"exported {count} cached answers to {file}", err=True)


@cache.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@click.pass_obj
def cache_import(debug: bool, file: Path, db: str | None) -> None:
    """Load a snapshot made by `auditor cache export` (newer answers are kept)."""
    from auditor import snapshot
    from auditor.store import open_store

    try:
        with file.open(encoding="utf-8") as lines:
            entries = list(snapshot.read(str(file), lines))
        with open_store(db_url(db, os.environ)) as store:
            count = store.http_cache().put_many(entries)
    except (OSError, UnicodeDecodeError) as exc:
        fail(AuditorError(f"{file}: cannot read: {exc}"), debug)
    except AuditorError as exc:
        fail(exc, debug)
    echo(f"imported {count} cached answers from {file}", err=True)


@click.command()
@click.option("--pypi-url", metavar="URL", help="Check this PyPI base URL instead.")
@click.option("--npm-registry", metavar="URL", help="Check this npm registry instead.")
@db_option
@click.pass_obj
def doctor(debug: bool, pypi_url: str | None, npm_registry: str | None, db: str | None) -> None:
    """The endpoints and store in effect, and whether each answers (exit 1 if not)."""
    from auditor import endpoints
    from auditor.http import Http, HttpSettings
    from auditor.store import open_store
    from auditor.urls import redact

    healthy = True
    try:
        pypi = endpoints.pypi(pypi_url, os.environ)
    except AuditorError as exc:
        fail(exc, debug)
    http = Http({"pypi": pypi.url}, settings=HttpSettings(attempts=1, read_timeout=10))
    answered, detail = http.probe("pypi", "/pypi/pip/json")
    healthy &= answered
    mark = "ok  " if answered else "FAIL"
    echo(f"{mark} pypi   {redact(pypi.url)}  ({pypi.source}): {detail}")
    healthy &= _doctor_npm(npm_registry)
    url = db_url(db, os.environ)
    try:
        with open_store(url):
            echo(f"ok   store  {redact(url or 'sqlite (user data dir)')}: schema current")
    except AuditorError as exc:
        healthy = False
        echo(f"FAIL store  {exc.message}")
    sys.exit(0 if healthy else 1)


def _doctor_npm(flag: str | None) -> bool:
    """The npm registry, GitHub and GitLab: a missing endpoint is reported (npm's with its
    hint), not fatal, since only scans that need one use it; a configured one must answer."""
    from auditor import endpoints
    from auditor.http import Http, HttpSettings
    from auditor.urls import redact

    try:
        npm = endpoints.npm(flag, os.environ)
    except AuditorError as exc:  # only scans with npm components need one
        echo(f"skip npm    {exc.message} ({exc.hint})")
        npm = None
    probes = [("npm", npm, "/npm")] if npm is not None else []
    if (hub := endpoints.github(os.environ)) is not None:
        probes.append(("github", hub, "/rate_limit"))
    else:
        echo(f"skip github {endpoints.GITHUB_ENV} is not set: owner lookups are skipped")
    if (lab := endpoints.gitlab(os.environ)) is not None:
        probes.append(("gitlab", lab, "/version"))
    else:
        echo(f"skip gitlab {endpoints.GITLAB_ENV} is not set: owner lookups are skipped")
    healthy = True
    for role, endpoint, path in probes:
        http = Http({role: endpoint.url}, settings=HttpSettings(attempts=1, read_timeout=10))
        answered, detail = http.probe(role, path)
        healthy &= answered
        mark = "ok  " if answered else "FAIL"
        shown = redact(endpoint.shown or endpoint.url)  # `${VAR}` as written, never its value
        echo(f"{mark} {role:<6} {shown}  ({endpoint.source}): {detail}")
    return healthy
