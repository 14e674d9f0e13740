"""The targets file: one target per line, every bad line named, nothing else raised."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.errors import UsageError
from auditor.fleet.sources import configured_sources
from auditor.fleet.targets import read_targets


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "targets.txt"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_lines_comments_prefixes_and_relative_paths(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "# nightly\n\nservices/api/uv.lock\n  /srv/web  \nimage:images/app.tar\nhf-cache:\n"
        "dir:~/models\n",
    )
    lines = read_targets(path)
    assert [(line.number, line.target) for line in lines] == [
        (3, str(tmp_path / "services" / "api" / "uv.lock")),
        (4, "/srv/web"),
        (5, f"image:{tmp_path / 'images' / 'app.tar'}"),
        (6, "hf-cache:"),
        (7, f"dir:{Path('~/models').expanduser()}"),
    ]


def test_every_bad_line_is_named(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "/srv/a\nftp:somewhere\nhttps://example.invalid/uv.lock\n/srv/a\nlockfile:\n"
        "/srv/b\x1b[31m\n",
    )
    with pytest.raises(UsageError) as caught:
        read_targets(path)
    message = caught.value.message.splitlines()
    assert message == [
        f"{path}:2: unknown target kind 'ftp' (one of lockfile, dir, env, image, hf-cache, "
        "modelscope)",
        f"{path}:3: https://example.invalid/uv.lock: no source is configured "
        "(AUDITOR_FLEET_SOURCES or --allow-source URL_PREFIX)",
        f"{path}:4: '/srv/a' is already on line 1",
        f"{path}:5: 'lockfile:' needs a path after it",
        f"{path}:6: control character in the line",
    ]


def test_lockfile_urls_under_a_configured_source(tmp_path: Path) -> None:
    sources = configured_sources(["https://git.example.test/raw/team-a/"], {})
    path = write(
        tmp_path,
        "services/api/uv.lock\n"
        "https://ci:tok@GIT.example.test/raw/team-a/api/uv.lock\n"
        "https://git.example.test/raw/team-a/web/package-lock.json?ref=main\n",
    )
    lines = read_targets(path, sources)
    assert [(line.target, line.credentials_stripped) for line in lines] == [
        (str(tmp_path / "services" / "api" / "uv.lock"), False),
        ("https://git.example.test/raw/team-a/api/uv.lock", True),  # never stored with them
        ("https://git.example.test/raw/team-a/web/package-lock.json?ref=main", False),
    ]


def test_urls_outside_the_sources_are_named_and_nothing_is_read(tmp_path: Path) -> None:
    sources = configured_sources(["https://git.example.test/raw/team-a/"], {})
    path = write(
        tmp_path,
        "https://git.example.test/raw/team-a/api/uv.lock\n"
        "https://git.example.test/raw/team-b/uv.lock\n"
        "https://git.example.test/raw/team-a/../team-b/uv.lock\n"
        "https://git.example.test/raw/team-a/README.md\n"
        "https://user:hunter2@git.example.test/raw/team-a/api/uv.lock\n"
        "lockfile:https://git.example.test/raw/team-a/x/uv.lock\n"
        "oci://registry.example.test/app:1\n",
    )
    with pytest.raises(UsageError) as caught:
        read_targets(path, sources)
    assert caught.value.message.splitlines() == [
        f"{path}:2: https://git.example.test/raw/team-b/uv.lock: not under a configured source "
        "(https://git.example.test/raw/team-a/)",
        f"{path}:3: https://git.example.test/raw/team-a/../team-b/uv.lock: a '..' segment in "
        "the path",
        f"{path}:4: https://git.example.test/raw/team-a/README.md: README.md is no file the "
        "scanner recognises by name (uv.lock, poetry.lock, requirements.txt, "
        "package-lock.json, …)",
        f"{path}:5: 'https://git.example.test/raw/team-a/api/uv.lock' is already on line 1",
        f"{path}:6: 'lockfile:' takes a path; give a lockfile URL alone on its line",
        f"{path}:7: oci://registry.example.test/app:1: registry images are not supported yet; "
        "give an image archive the workers can read",
    ]
    assert "hunter2" not in caught.value.message


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, b"/srv/a\n/srv/\xff\n")
    with pytest.raises(UsageError, match=r"targets.txt:2: not UTF-8 text"):
        read_targets(path)


def test_an_empty_or_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no targets"):
        read_targets(write(tmp_path, "# nothing yet\n\n"))
    with pytest.raises(UsageError, match="cannot be read"):
        read_targets(tmp_path / "absent.txt")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "replace")))
def test_any_bytes_give_targets_or_a_usage_error(tmp_path_factory: pytest.TempPathFactory,
                                                 data: bytes) -> None:  # fmt: skip
    path = tmp_path_factory.mktemp("t") / "targets.txt"
    path.write_bytes(data)
    try:
        lines = read_targets(path)
    except UsageError as exc:
        assert exc.message
    else:
        assert lines and all(line.target and "\n" not in line.target for line in lines)


def test_submit_names_a_url_not_allowed_and_queues_nothing(tmp_path: Path) -> None:
    """As a user runs it: exit 2, the line named, no job recorded (the broker is never
    reached: nothing listens on port 9 of the loopback)."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parent.parent.parent
    path = write(tmp_path, "/srv/api\nhttps://git.example.test/raw/team-b/uv.lock\n")
    db = tmp_path / "fleet.db"
    ran = subprocess.run(
        [sys.executable, "-m", "auditor", "fleet", "submit", str(path),
         "--allow-source", "https://git.example.test/raw/team-a/",
         "--broker", "redis://127.0.0.1:9/0", "--db", f"sqlite:///{db}"],
        env={**os.environ, "PYTHONPATH": str(repo), "AUDITOR_FLEET_SOURCES": ""},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.startswith(
        f"error: {path}:2: https://git.example.test/raw/team-b/uv.lock: not under a "
        "configured source (https://git.example.test/raw/team-a/)"
    )
    assert "Traceback" not in ran.stderr and ran.stdout == ""
    assert not db.exists()
