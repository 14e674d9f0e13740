"""Run configuration from flags and environment, and where shipped data lives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.errors import ConfigError
from auditor.http import HttpSettings
from auditor.model import Severity
from auditor.signatures import SignatureTrust

if TYPE_CHECKING:
    from auditor.policy.engine import Policy

DB_ENV = "AUDITOR_DB"


@dataclass(frozen=True, slots=True)
class Config:
    """Everything a scan needs to know that is not a target."""

    db_url: str | None = None
    """SQLAlchemy URL; None means SQLite in the user data dir."""
    offline: bool = False
    no_resolve: bool = False
    verify: bool = True
    """False with `--no-verify`: file contents are not hashed against their names/records."""
    excludes: tuple[str, ...] = ()
    fail_on: Severity | None = None
    strict: bool = False
    store: bool = True
    """False with `--no-store`: nothing is written (one-off checks, read-only media)."""
    pypi_url: str | None = None
    """`--pypi-url`; None: AUDITOR_PYPI_URL, then pip's own configuration (endpoints.py)."""
    npm_registry: str | None = None
    """`--npm-registry`; None: AUDITOR_NPM_REGISTRY, then npm's own configuration."""
    deps_dev: bool = False
    """`--deps-dev`: ask deps.dev (AUDITOR_DEPSDEV_URL) for a second opinion on repositories."""
    concurrency: int = 16
    """Components resolved at once (threads)."""
    http: HttpSettings | None = None
    """Timeouts, retries, TTL and per-host limits; None: HttpSettings' defaults."""
    policy: Policy | None = None
    """Rule packs, settings and waivers (policy/engine.py); None: the default policy."""
    today: date | None = None
    """The day waivers and release ages are judged on; None: today (UTC)."""
    signatures: SignatureTrust = field(default_factory=SignatureTrust)
    """`--signature-*`: what model and image signatures are verified against."""


def db_url(flag: str | None, environ: Mapping[str, str]) -> str | None:
    """`--db` wins over AUDITOR_DB; None means the default SQLite file."""
    return flag or environ.get(DB_ENV) or None


def data_path(kind: str) -> Traversable:
    """`rules` or `templates`: inside the installed package, else the checkout's top level.

    The wheel maps the top-level folders to `auditor/_data/`; an editable install of a
    checkout has no `_data`, so the folders next to the package are used instead.
    """
    if kind not in ("rules", "templates"):
        raise ValueError(kind)
    packaged = resources.files("auditor") / "_data" / kind
    if packaged.is_dir():
        return packaged
    checkout = Path(str(resources.files("auditor"))).parent / kind
    if checkout.is_dir():
        return checkout
    raise ConfigError(
        f"{kind}/: not found in the installed package",
        hint="reinstall origin-auditor; the wheel ships rules/ and templates/",
    )


POLICY_FILE = "auditor.toml"
PYPROJECT = "pyproject.toml"


def has_tool_auditor(pyproject: Path) -> bool:
    """True when a pyproject.toml holds a `[tool.auditor]` table."""
    import tomllib

    try:
        doc = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{pyproject}: unreadable: {exc}") from None
    tool = doc.get("tool")
    return isinstance(tool, dict) and "auditor" in tool


def discover_policy_file(targets: tuple[str, ...], cwd: Path) -> Path | None:
    """The configuration nearest to the first target, else nearest to `cwd`.

    In each directory from the target upward: `auditor.toml` first, then a pyproject.toml
    with a `[tool.auditor]` table; the first found wins.
    """
    starts: list[Path] = []
    for ref in targets[:1]:
        raw = ref.partition(":")[2] if ":" in ref and not Path(ref).exists() else ref
        path = Path(raw).expanduser()
        if path.exists():
            path = path.resolve()
            starts.append(path if path.is_dir() else path.parent)
    starts.append(cwd.resolve())
    for start in starts:
        for folder in (start, *start.parents):
            candidate = folder / POLICY_FILE
            if candidate.is_file():
                return candidate
            project = folder / PYPROJECT
            if project.is_file() and has_tool_auditor(project):
                return project
    return None
