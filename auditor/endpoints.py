"""Where each registry is: always the user's own client configuration, never a hard-coded host.

PyPI: `--pypi-url` / AUDITOR_PYPI_URL, else pip's configured index (PIP_INDEX_URL, then pip's
configuration files in pip's own order), else pip's default constant. A configured index
may carry credentials; they are used for requests and never stored (cache keys and evidence
name a registry by role and path only).
"""

from __future__ import annotations

import configparser
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import ConfigError

log = logging.getLogger(__name__)

PYPI_ENV = "AUDITOR_PYPI_URL"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A registry base URL and which setting chose it (for `auditor doctor`)."""

    role: str
    url: str
    source: str
    shown: str = ""
    """The URL as configured, `${VAR}` unexpanded (what `auditor doctor` prints); "": `url`."""


def pypi(flag: str | None, environ: Mapping[str, str]) -> Endpoint:
    """The PyPI base URL (without `/simple`), from the most specific setting present."""
    for source, value in (
        ("--pypi-url", flag),
        (PYPI_ENV, environ.get(PYPI_ENV)),
        ("PIP_INDEX_URL", environ.get("PIP_INDEX_URL")),
    ):
        if value:
            return Endpoint("pypi", _strip_simple(value), source)
    configured = _pip_config(environ)
    if configured is not None:
        return Endpoint("pypi", _strip_simple(configured[1]), f"pip config {configured[0]}")
    return Endpoint("pypi", _strip_simple(_pip_default()), "pip's default index")


def _strip_simple(url: str) -> str:
    url = url.strip().rstrip("/")
    return url.removesuffix("/simple").rstrip("/")


def _pip_config_files(environ: Mapping[str, str]) -> list[Path]:
    """pip's configuration files, lowest priority first (pip's `configuration.py` order)."""
    if environ.get("PIP_CONFIG_FILE") == os.devnull:
        return []
    xdg_dirs = environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)
    home = Path(environ.get("HOME", str(Path.home())))
    xdg_home = Path(environ.get("XDG_CONFIG_HOME", str(home / ".config")))
    files = [Path(d) / "pip" / "pip.conf" for d in reversed(xdg_dirs) if d]
    files += [Path("/etc/pip.conf"), home / ".pip" / "pip.conf", xdg_home / "pip" / "pip.conf"]
    if venv := environ.get("VIRTUAL_ENV"):
        files.append(Path(venv) / "pip.conf")
    if explicit := environ.get("PIP_CONFIG_FILE"):
        files.append(Path(explicit))
    return files


def _pip_config(environ: Mapping[str, str]) -> tuple[Path, str] | None:
    """(file, `index-url`) from pip's files: the later file and the `install` section win."""
    found: tuple[Path, str] | None = None
    for path in _pip_config_files(environ):
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: unreadable pip configuration: {exc}") from None
        for section in ("global", "install"):
            if parser.has_option(section, "index-url"):
                found = (path, parser.get(section, "index-url"))
    return found


def _pip_default() -> str:
    try:
        from pip._internal.models.index import PyPI
    except ImportError:
        raise ConfigError(
            "PyPI: no index configured and pip is not installed to say where its default is",
            hint=f"pass --pypi-url or set {PYPI_ENV}",
        ) from None
    return str(PyPI.url)


NPM_ENV = "AUDITOR_NPM_REGISTRY"
GITHUB_ENV = "GITHUB_API_URL"
DEPSDEV_ENV = "AUDITOR_DEPSDEV_URL"
NPM_HINT = (
    f"pass --npm-registry, set {NPM_ENV}, or set `registry=` in an .npmrc"
    " (or install npm, whose `npm config get registry` says where its default is)"
)


def npm(flag: str | None, environ: Mapping[str, str], project: Path | None = None) -> Endpoint:
    """The npm registry base URL, in npm's own order of precedence: flag, our variable,
    npm's `npm_config_registry`, the project / user / global .npmrc, else npm's default
    as `npm config get registry` reports it. ConfigError (with the hint) when none is known.
    """
    for source, value in (
        ("--npm-registry", flag),
        (NPM_ENV, environ.get(NPM_ENV)),
        ("npm_config_registry", environ.get("npm_config_registry")),
        ("NPM_CONFIG_REGISTRY", environ.get("NPM_CONFIG_REGISTRY")),
    ):
        if value:
            return Endpoint("npm", value.strip().rstrip("/"), source)
    for rc in reversed(_npmrc_files(environ, project)):
        if rc.settings.get("registry"):
            return Endpoint(
                "npm", rc.settings["registry"].rstrip("/"), f"npmrc {rc.path}", rc.raw["registry"]
            )
    default = _npm_default(environ)
    if default is None:
        raise ConfigError("npm: no registry configured and npm is not installed", hint=NPM_HINT)
    return Endpoint("npm", default.rstrip("/"), "npm config get registry")


def npm_scopes(environ: Mapping[str, str], project: Path | None = None) -> dict[str, Endpoint]:
    """`@scope:registry=` settings from the .npmrc files: scope -> its own registry."""
    found: dict[str, Endpoint] = {}
    # Quiet: `npm` reads the same files and says what it refused.
    for rc in _npmrc_files(environ, project, quiet=True):  # later (more specific) files win
        for key, value in rc.settings.items():
            scope, _, tail = key.partition(":")
            if scope.startswith("@") and tail == "registry" and value:
                found[scope] = Endpoint(
                    npm_role(scope), value.rstrip("/"), f"npmrc {rc.path}", rc.raw[key]
                )
    return found


def npm_role(scope: str | None) -> str:
    """The Http role of a scope's own registry (`npm` for the default one)."""
    return f"npm-{scope.lstrip('@')}" if scope else "npm"


@dataclass(frozen=True, slots=True)
class Npmrc:
    """One .npmrc: its settings as used (`${VAR}` expanded where allowed) and as written."""

    path: Path
    settings: dict[str, str]
    raw: dict[str, str]


def _npmrc_files(
    environ: Mapping[str, str], project: Path | None, quiet: bool = False
) -> list[Npmrc]:
    """The global and user .npmrc, then the project's only when `project` is given
    (`--trust-target-config`): lowest priority first (npm's order: project > user > global).

    A scanned project is untrusted: its .npmrc could point the registry anywhere, with the
    CI's environment expanded into the URL."""
    home = Path(environ.get("HOME", str(Path.home())))
    prefix = environ.get("npm_config_prefix") or environ.get("PREFIX")
    candidates = [
        Path(environ["npm_config_globalconfig"])
        if environ.get("npm_config_globalconfig")
        else Path(prefix or "/usr/local") / "etc" / "npmrc",
        Path(environ.get("npm_config_userconfig") or environ.get("NPM_CONFIG_USERCONFIG")
             or home / ".npmrc"),
    ]  # fmt: skip
    if project is not None:
        candidates.append(project / ".npmrc")
    found = []
    for path in candidates:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # absent or unreadable: npm itself carries on without it
        raw = _parse_npmrc(text, environ, expand=False)
        from_project = project is not None and path == project / ".npmrc"
        settings: dict[str, str] = {}
        for key, value in raw.items():
            if key == "registry" or key.endswith(":registry"):
                used = _expand_url(value, environ, f"{path}: {key}", from_project, quiet)
                if used is not None:
                    settings[key] = used
            else:
                settings[key] = _expand(value, environ)
        found.append(Npmrc(path, settings, raw))
    return found


def _parse_npmrc(text: str, environ: Mapping[str, str], expand: bool = True) -> dict[str, str]:
    """ini-style `key = value` lines; `${VAR}` expanded as npm does; comments dropped."""
    settings: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        settings[key.strip()] = (_expand(value, environ) if expand else value).strip().strip("\"'")
    return settings


# `[^{}]`, not `[^}]`: a line of `${${${…` made each `${` rescan the rest (n²).
_VARIABLE = re.compile(r"\$\{([^{}]+)\}")
_USERINFO = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^@/?#]*@")


def _expand(value: str, environ: Mapping[str, str]) -> str:
    return _VARIABLE.sub(lambda m: environ.get(m.group(1), ""), value)


def _expand_url(
    raw: str, environ: Mapping[str, str], where: str, untrusted: bool, quiet: bool = False
) -> str | None:
    """A registry URL with `${VAR}` expanded, unless the value could leave this machine:
    refused from a project's .npmrc (any part of the URL: its host, path or the
    `user:password@` sent to it), said on stderr from the user's or machine's own when a
    variable chooses the scheme, host or path (credentials in `user:password@` only
    authenticate to the host the user's file names, as npm intends)."""
    if "${" not in raw:
        return raw
    expanded = _expand(raw, environ)
    names = ", ".join(sorted({f"${{{m.group(1)}}}" for m in _VARIABLE.finditer(raw)}))
    say = log.debug if quiet else log.warning
    if untrusted:  # even a loopback URL: a local proxy forwards it anywhere
        say(
            "%s: refused: %s would carry this machine's environment to another host (a "
            "scanned project's .npmrc); set the registry in your own configuration",
            where,
            names,
        )
        return None
    if _loopback(expanded):
        return expanded
    userinfo = _USERINFO.match(raw)
    if _VARIABLE.search(raw[userinfo.end() :] if userinfo else raw):
        say("%s: %s expanded into the registry URL's host or path: its value is "
                    "sent to that host", where, names)  # fmt: skip
    return expanded


def _loopback(url: str) -> bool:
    import ipaddress
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _npm_default(environ: Mapping[str, str]) -> str | None:
    """What the installed npm says (its default lives in npm's config definitions)."""
    import shutil
    import subprocess
    import tempfile

    npm_bin = shutil.which("npm", path=environ.get("PATH"))
    if npm_bin is None:
        return None
    try:
        # In an empty folder: npm reads the .npmrc of the project it runs in, and the
        # working directory may be the scanned repository (expanding ${VAR} as it goes).
        with tempfile.TemporaryDirectory(prefix="auditor-npm-") as neutral:
            done = subprocess.run(
                [npm_bin, "config", "get", "registry"],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
                cwd=neutral,
            )
    except (OSError, subprocess.SubprocessError):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value.startswith(("http://", "https://")) else None


def github(environ: Mapping[str, str]) -> Endpoint | None:
    """GitHub's REST API base from GITHUB_API_URL (GitHub Actions sets it; GitHub Enterprise
    users set theirs); None means GitHub lookups are skipped, not guessed."""
    value = environ.get(GITHUB_ENV, "").strip()
    return Endpoint("github", value.rstrip("/"), GITHUB_ENV) if value else None


GITLAB_ENV = "CI_API_V4_URL"
GITLAB_OWN_ENV = "AUDITOR_GITLAB_API_URL"


def gitlab(environ: Mapping[str, str]) -> Endpoint | None:
    """GitLab's REST API v4 root: AUDITOR_GITLAB_API_URL, else CI_API_V4_URL (GitLab CI sets
    it); None means GitLab lookups are skipped."""
    for name in (GITLAB_OWN_ENV, GITLAB_ENV):
        value = environ.get(name, "").strip()
        if value:
            return Endpoint("gitlab", value.rstrip("/"), name)
    return None


def depsdev(environ: Mapping[str, str]) -> Endpoint:
    """The deps.dev API base (for `--deps-dev`): only ever from AUDITOR_DEPSDEV_URL."""
    value = environ.get(DEPSDEV_ENV, "").strip()
    if not value:
        raise ConfigError(
            "--deps-dev: no deps.dev endpoint configured",
            hint=f"set {DEPSDEV_ENV} to the deps.dev API base URL (without /v3)",
        )
    return Endpoint("depsdev", value.rstrip("/"), DEPSDEV_ENV)


HF_ENV = "HF_ENDPOINT"


def huggingface(environ: Mapping[str, str]) -> Endpoint:
    """The Hub base URL: HF_ENDPOINT (a mirror or a private hub) as huggingface_hub reads it,
    else huggingface_hub's own default constant."""
    configured = environ.get(HF_ENV)
    if configured:
        return Endpoint("huggingface", configured.strip().rstrip("/"), HF_ENV)
    from huggingface_hub import constants

    # constants.ENDPOINT was read from the environment when huggingface_hub was imported;
    # the environment given here is the one in effect now, so only the default is taken.
    default = getattr(constants, "_HF_DEFAULT_ENDPOINT", constants.ENDPOINT)
    return Endpoint("huggingface", str(default).rstrip("/"), "huggingface_hub's default")


def huggingface_token(environ: Mapping[str, str]) -> str | None:
    """The Hub token as huggingface_hub finds it (HF_TOKEN, then its token file); used for
    requests only, never logged or stored."""
    token = environ.get("HF_TOKEN") or environ.get("HUGGING_FACE_HUB_TOKEN")
    if token:
        return token.strip() or None
    if environ.get("HF_HUB_DISABLE_IMPLICIT_TOKEN"):
        return None
    home = environ.get("HF_HOME") or os.path.join(
        environ.get("XDG_CACHE_HOME", os.path.join(str(Path.home()), ".cache")), "huggingface"
    )
    path = Path(environ.get("HF_TOKEN_PATH") or os.path.join(home, "token"))
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
