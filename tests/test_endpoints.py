"""Where the PyPI endpoint comes from: flag, environment, pip's files, pip's default."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.endpoints import pypi
from auditor.errors import ConfigError


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    # An empty HOME and XDG dirs: the machine's own pip configuration must not leak in.
    return {"HOME": str(tmp_path), "XDG_CONFIG_DIRS": str(tmp_path / "xdg")} | extra


def test_precedence(tmp_path: Path) -> None:
    conf = tmp_path / ".config" / "pip" / "pip.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("[global]\nindex-url = https://mirror.invalid/pypi/simple/\n")
    env = _env(tmp_path)
    assert pypi(None, env).url == "https://mirror.invalid/pypi"
    assert pypi(None, env).source == f"pip config {conf}"
    env["PIP_INDEX_URL"] = "https://pip-env.invalid/simple"
    assert pypi(None, env).url == "https://pip-env.invalid"
    env["AUDITOR_PYPI_URL"] = "https://auditor-env.invalid"
    assert pypi(None, env).source == "AUDITOR_PYPI_URL"
    assert pypi("http://127.0.0.1:1/simple", env).url == "http://127.0.0.1:1"


def test_install_section_and_later_files_win(tmp_path: Path) -> None:
    site = tmp_path / "xdg" / "pip" / "pip.conf"
    site.parent.mkdir(parents=True)
    site.write_text("[global]\nindex-url = https://site.invalid/simple\n")
    user = tmp_path / ".pip" / "pip.conf"
    user.parent.mkdir(parents=True)
    user.write_text(
        "[global]\nindex-url = https://a.invalid/simple\n[install]\nindex-url = https://b.invalid/simple\n"
    )
    assert pypi(None, _env(tmp_path)).url == "https://b.invalid"


def test_devnull_config_means_pip_default(tmp_path: Path) -> None:
    from pip._internal.models.index import PyPI

    endpoint = pypi(None, _env(tmp_path, PIP_CONFIG_FILE=os.devnull))
    assert endpoint.url == PyPI.url.rstrip("/")
    assert endpoint.source == "pip's default index"


def test_unreadable_config_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.conf"
    bad.write_text("index-url without a section\n")
    with pytest.raises(ConfigError, match=r"bad\.conf"):
        pypi(None, _env(tmp_path, PIP_CONFIG_FILE=str(bad)))
