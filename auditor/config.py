"""Run configuration from flags and environment, and where shipped data lives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from auditor.errors import ConfigError
from auditor.http import HttpSettings
from auditor.model import Severity

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
    platform: str | None = None
    """`--platform os/arch[/variant]`: which image of a multi-platform index is scanned."""
    fail_on: Severity | None = None
    strict: bool = False
    store: bool = True
    """False with `--no-store`: nothing is written (one-off checks, read-only media)."""
    pypi_url: str | None = None
    """`--pypi-url`; None: AUDITOR_PYPI_URL, then pip's own configuration (endpoints.py)."""
    concurrency: int = 16
    """Components resolved at once (threads)."""
    http: HttpSettings | None = None
    """Timeouts, retries, TTL and per-host limits; None: HttpSettings' defaults."""


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
