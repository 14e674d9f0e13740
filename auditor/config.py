"""Run configuration from flags and environment, and where shipped data lives.

The lowest layer of the run: the policy, signature checks, resolvers and renderers read it,
and it imports none of them. What a Config carries of theirs is declared here: the policy
as the `RunPolicy` shape (`auditor.policy.engine.Policy` has it), and `SignatureTrust`
itself (`auditor.signatures` builds it from flags and environment and re-exports it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from auditor.errors import ConfigError
from auditor.model import Severity

if TYPE_CHECKING:  # not at run time: a lockfile scan never makes a request (issue 36)
    from importlib.resources.abc import Traversable

    from auditor.http import HttpSettings

DB_ENV = "AUDITOR_DB"
SCREENING_ENV = "AUDITOR_SCREENING_LISTS"
"""A folder of screening lists to use instead of the shipped ones (Config.screening_lists)."""


class RunPolicy(Protocol):
    """What the run configuration knows of a policy: `auditor.policy.engine.Policy`, the
    only implementation, declared by shape so this layer does not import the policy."""

    def remediation(self, rule_id: str) -> str:
        """How to fix what the rule found."""
        ...


@dataclass(frozen=True, slots=True)
class SignatureTrust:
    """What a signature must chain to before we believe it (nothing is trusted by default)."""

    keys: tuple[Path, ...] = ()
    """PEM public keys (EC P-256/384/521): model signatures and cosign key-based signatures."""
    certificate_chains: tuple[Path, ...] = ()
    """PEM CA certificates a signing certificate must chain to."""
    identities: tuple[str, ...] = ()
    """Sigstore (keyless) signer identities accepted: an email or a workflow URI."""
    issuer: str | None = None
    """The OIDC issuer those identities must come from."""
    trust_config: Path | None = None
    """A Sigstore ClientTrustConfig JSON (private Sigstore deployments); None: the public one."""

    @property
    def configured(self) -> bool:
        """True when anything at all is trusted."""
        return bool(self.keys or self.certificate_chains or self.identities)


SBOM_PROFILES = ("bsi-tr-03183-2", "ntia-2021")
"""The minimum-elements profiles an SBOM can be checked against (auditor/sbom/profiles.py)."""


@dataclass(frozen=True, slots=True)
class Config:
    """Everything a scan needs to know that is not a target."""

    db_url: str | None = None
    """SQLAlchemy URL; None means SQLite in the user data dir."""
    offline: bool = False
    no_resolve: bool = False
    sbom_profiles: tuple[str, ...] = ()
    """`--sbom-profile`: minimum-elements profiles SBOMs are checked against (`sbom_profiles`
    of the policy configuration adds its own)."""
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
    npm_registry: str | None = None
    """`--npm-registry`; None: AUDITOR_NPM_REGISTRY, then npm's own configuration."""
    npm_project: Path | None = None
    """The scanned folder whose `.npmrc` is read too (`--trust-target-config`); None: only
    the user's and machine's npm configuration (a scanned repository is untrusted)."""
    deps_dev: bool = False
    """`--deps-dev`: ask deps.dev (AUDITOR_DEPSDEV_URL) for a second opinion on repositories."""
    concurrency: int = 16
    """Components resolved at once (threads)."""
    http: HttpSettings | None = None
    """Timeouts, retries, TTL and per-host limits; None: HttpSettings' defaults."""
    policy: RunPolicy | None = None
    """Rule packs, settings and waivers (a policy/engine.py Policy); None: the default."""
    today: date | None = None
    """The day waivers and release ages are judged on; None: today (UTC)."""
    signatures: SignatureTrust = field(default_factory=SignatureTrust)
    """`--signature-*`: what model and image signatures are verified against."""
    max_inflated_bytes: int = 64 << 30
    """`--max-inflated-bytes`: what an image's compressed layers may inflate to in all
    while they are indexed; a layer still inflating past it is a diagnostic, not read."""
    max_image_entries: int = 500_000
    """`--max-image-entries`: how many files and folders an image's layers may list in all;
    a layer listing past it is a diagnostic, not read (the scan's memory stays bounded)."""
    screening_lists: Path | None = None
    """`rescreen --lists` / AUDITOR_SCREENING_LISTS: a folder of screening lists used
    instead of the shipped rules/screening/ (a list update tried before it ships)."""


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
    package = _package_folder()
    packaged = package / "_data" / kind
    if packaged.is_dir():
        return packaged
    checkout = Path(str(package)).parent / kind
    if checkout.is_dir():
        return checkout
    raise ConfigError(
        f"{kind}/: not found in the installed package",
        hint="reinstall origin-auditor; the wheel ships rules/ and templates/",
    )


def user_cache_folder() -> Path:
    """The tool's folder in the user's cache: on Linux and the BSDs `$XDG_CACHE_HOME`, else
    `~/.cache`, then `origin-auditor` (what platformdirs answers there, without its ~10 ms
    import on every start); elsewhere platformdirs' answer."""
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        base = os.environ.get("XDG_CACHE_HOME", "").strip()
        return Path(base or os.path.expanduser("~/.cache")) / "origin-auditor"
    import platformdirs

    return platformdirs.user_cache_path("origin-auditor")


def _package_folder() -> Traversable:
    """The `auditor` package's folder: on a file system the folder itself (what
    importlib.resources answers there too, without its ~5 ms import on every start,
    issue 36); otherwise (a zip) importlib.resources' view of it."""
    import auditor

    init = auditor.__file__
    if init is not None and os.path.isfile(init):
        return Path(init).parent
    from importlib import resources

    return resources.files("auditor")


POLICY_FILE = "auditor.toml"
PYPROJECT = "pyproject.toml"


def has_tool_auditor(pyproject: Path) -> bool:
    """True when a pyproject.toml holds a `[tool.auditor]` table."""
    from auditor.bounded import load_toml

    try:
        doc = load_toml(pyproject.read_text(encoding="utf-8"))  # a project's: nesting checked
    except (OSError, ValueError) as exc:  # UnicodeDecodeError, TOMLDecodeError, TooDeep
        raise ConfigError(f"{pyproject}: unreadable: {exc}") from None
    tool = doc.get("tool")
    return isinstance(tool, dict) and "auditor" in tool


def target_folder(targets: tuple[str, ...]) -> Path | None:
    """The folder of the first target (itself, or a file's parent), when it is a path."""
    for ref in targets[:1]:
        raw = ref.partition(":")[2] if ":" in ref and not Path(ref).exists() else ref
        path = Path(raw).expanduser()
        if path.exists():
            path = path.resolve()
            return path if path.is_dir() else path.parent
    return None


def discover_policy_file(targets: tuple[str, ...], cwd: Path) -> Path | None:
    """The configuration nearest to the first target, else nearest to `cwd`.

    In each directory from the target upward: `auditor.toml` first, then a pyproject.toml
    with a `[tool.auditor]` table; the first found wins.
    """
    first = target_folder(targets)
    starts = [first] if first is not None else []
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


def screening_lists(flag: Path | None, environ: Mapping[str, str]) -> Path | None:
    """`--lists` wins over AUDITOR_SCREENING_LISTS; None means the shipped lists."""
    if flag is not None:
        return flag
    named = environ.get(SCREENING_ENV, "").strip()
    return Path(named) if named else None
