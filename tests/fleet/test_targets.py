"""The targets file: one target per line, every bad line named, nothing else raised."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.errors import UsageError
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
        f"{path}:3: https://example.invalid/uv.lock: remote targets are not supported yet; "
        "give a path the workers can read",
        f"{path}:4: '/srv/a' is already on line 1",
        f"{path}:5: 'lockfile:' needs a path after it",
        f"{path}:6: control character in the line",
    ]


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
