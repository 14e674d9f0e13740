"""Where each registry is: always the user's own client configuration, never a hard-coded host.

PyPI: `--pypi-url` / AUDITOR_PYPI_URL, else pip's configured index (PIP_INDEX_URL, then pip's
configuration files in pip's own order), else pip's default constant. A configured index
may carry credentials; they are used for requests and never stored (cache keys and evidence
name a registry by role and path only).
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import ConfigError

PYPI_ENV = "AUDITOR_PYPI_URL"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A registry base URL and which setting chose it (for `auditor doctor`)."""

    role: str
    url: str
    source: str


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
