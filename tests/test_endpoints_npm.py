"""Where the npm, GitHub and deps.dev endpoints come from: flag, environment, .npmrc files
(project > user > global, scoped registries), npm's own `config get`, never a constant."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.endpoints import _parse_npmrc, depsdev, github, npm, npm_scopes
from auditor.errors import ConfigError


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    # Empty HOME, a global config path of our own and no npm on PATH: nothing leaks in.
    return {"HOME": str(tmp_path / "home"), "PATH": str(tmp_path / "bin"),
            "npm_config_globalconfig": str(tmp_path / "global-npmrc")} | extra  # fmt: skip


def test_precedence(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "global-npmrc").write_text("registry=https://global.invalid/\n")
    env = _env(tmp_path)
    assert npm(None, env, project).url == "https://global.invalid"
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".npmrc").write_text("; comment\nregistry = https://user.invalid/\n")
    assert npm(None, env, project).url == "https://user.invalid"
    (tmp_path / "home" / ".npmrc").write_text("registry = ${MIRROR}/npm/\n")
    env["MIRROR"] = "https://user-mirror.invalid"
    assert npm(None, env, project).url == "https://user-mirror.invalid/npm"
    (project / ".npmrc").write_text("registry=https://project.invalid/npm/\n")
    assert npm(None, env).url == "https://user-mirror.invalid/npm"  # not trusted: not read
    found = npm(None, env, project)
    assert (found.url, found.source) == (
        "https://project.invalid/npm",
        f"npmrc {project / '.npmrc'}",
    )
    env["npm_config_registry"] = "https://npm-env.invalid/"
    assert npm(None, env, project).source == "npm_config_registry"
    env["AUDITOR_NPM_REGISTRY"] = "https://auditor-env.invalid"
    assert npm(None, env, project).url == "https://auditor-env.invalid"
    assert npm("http://127.0.0.1:1/", env, project).url == "http://127.0.0.1:1"


def test_scoped_registries(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".npmrc").write_text(
        "@corp:registry=https://user-corp.invalid/\n@other:registry=https://other.invalid\n"
        "//user-corp.invalid/:_authToken=secret\n"
    )
    (project / ".npmrc").write_text("@corp:registry=https://project-corp.invalid/\n")
    scopes = npm_scopes(_env(tmp_path), project)
    assert {s: e.url for s, e in scopes.items()} == {
        "@corp": "https://project-corp.invalid",
        "@other": "https://other.invalid",
    }
    assert scopes["@corp"].role == "npm-corp"


def test_npm_default_comes_from_the_installed_npm(tmp_path: Path) -> None:
    """A stand-in `npm` on PATH answers `config get registry` the way npm does."""
    tool = tmp_path / "bin" / "npm"
    tool.parent.mkdir()
    tool.write_text(
        "#!/bin/sh\n[ \"$1 $2 $3\" = 'config get registry' ] && echo https://default.invalid/\n"
    )
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    found = npm(None, _env(tmp_path), tmp_path)
    assert (found.url, found.source) == ("https://default.invalid", "npm config get registry")


def test_no_registry_at_all_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        npm(None, _env(tmp_path), tmp_path)
    assert "no registry configured" in caught.value.message
    assert "AUDITOR_NPM_REGISTRY" in (caught.value.hint or "")


def test_github_and_depsdev_only_from_the_environment() -> None:
    assert github({}) is None
    hub = github({"GITHUB_API_URL": "https://ghe.invalid/api/v3/"})
    assert hub is not None and hub.url == "https://ghe.invalid/api/v3"
    assert depsdev({"AUDITOR_DEPSDEV_URL": "http://127.0.0.1:1/"}).url == "http://127.0.0.1:1"
    with pytest.raises(ConfigError):
        depsdev({})
    assert os.environ.get("GITHUB_API_URL") is None  # conftest keeps tests off real hosts


@given(st.text(max_size=300))
def test_npmrc_parser_never_fails(text: str) -> None:
    settings = _parse_npmrc(text, {"HOME": "/nowhere"})
    for key, value in settings.items():
        assert "\n" not in key and "\n" not in value
        assert key == key.strip() and not key.startswith(("#", ";"))


KEYS = st.from_regex(r"@?[a-z][a-z0-9:_-]{0,20}", fullmatch=True)
VALUES = st.from_regex(r"[a-z0-9:/._-]{0,30}", fullmatch=True)


@given(st.dictionaries(KEYS, VALUES, max_size=5))
def test_npmrc_round_trip(settings: dict[str, str]) -> None:
    text = "".join(f"{key} = {value}\n" for key, value in settings.items())
    assert _parse_npmrc(text, {}) == settings
