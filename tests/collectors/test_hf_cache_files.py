"""The cache's small files: refs, trees/<commit>.json and repo folder names (property tests)."""

from __future__ import annotations

import json
import string

import pytest
from huggingface_hub._tree_cache import TreeCacheEntry, write_tree_cache
from huggingface_hub.errors import HFValidationError
from huggingface_hub.file_download import repo_folder_name
from huggingface_hub.utils import validate_repo_id
from hypothesis import assume, given
from hypothesis import strategies as st

from auditor.collectors.hf_cache_files import (
    ListedFile,
    RepoFolder,
    parse_ref,
    parse_tree_listing,
    repo_folder,
)
from auditor.errors import ParseError

HEX = "0123456789abcdef"
commits = st.text(HEX, min_size=40, max_size=40)
sha256s = st.text(HEX, min_size=64, max_size=64)
id_parts = st.text(string.ascii_letters + string.digits + "_.-", min_size=1, max_size=20).filter(
    lambda p: (
        p not in (".", "..") and "--" not in p and not p.startswith("-") and not p.endswith("-")
    )
)


@given(commits, st.sampled_from(["", "\n", " \n"]))
def test_ref_round_trip(commit: str, trailer: str) -> None:
    assert parse_ref("refs/main", (commit + trailer).encode()) == commit


@given(st.binary(max_size=80))
def test_ref_never_crashes(data: bytes) -> None:
    try:
        parse_ref("refs/main", data)
    except ParseError as exc:
        assert exc.message.startswith("refs/main: ")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "expected a 40-hex"),
        (b"main", "'main'"),
        (b"\xff", "not ASCII"),
        (b"A" * 40, "40-hex"),
    ],
)
def test_bad_refs(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_ref("refs/main", data)


@given(st.sampled_from(["model", "dataset", "space"]), id_parts, st.none() | id_parts)
def test_repo_folder_inverts_huggingface_hubs_naming(
    repo_type: str, name: str, ns: str | None
) -> None:
    repo_id = f"{ns}/{name}" if ns else name
    try:  # only ids the Hub accepts (huggingface_hub's own rule)
        validate_repo_id(repo_id)
    except HFValidationError:
        assume(False)
    assert repo_folder(repo_folder_name(repo_id=repo_id, repo_type=repo_type)) == RepoFolder(
        repo_type, repo_id
    )


@pytest.mark.parametrize(
    "name", ["models", "models--", "checkpoints--a--b", "models--a--b--c", "models--..", ".locks"]
)
def test_not_repo_folders(name: str) -> None:
    assert repo_folder(name) is None


listed_files = st.builds(
    TreeCacheEntry,
    size=st.integers(0, 2**40),
    blob_id=commits,
    lfs_sha256=st.none() | sha256s,
    lfs_size=st.integers(0, 2**40),
)


@given(st.dictionaries(st.text(min_size=1, max_size=30), listed_files, max_size=8), commits)
def test_tree_listing_as_huggingface_hub_writes_it(
    entries: dict[str, TreeCacheEntry], commit: str
) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        write_tree_cache(folder, commit, entries)
        data = (Path(folder) / "trees" / f"{commit}.json").read_bytes()
    parsed = parse_tree_listing("trees/x.json", data)
    assert parsed == {
        path: ListedFile(
            e.size, e.blob_id, e.lfs_sha256, e.lfs_size if e.lfs_sha256 is not None else None
        )
        for path, e in entries.items()
    }


@given(
    st.binary(max_size=200)
    | st.recursive(
        st.none() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=10,
    ).map(lambda v: json.dumps({"format_version": 1, "files": v}).encode())
)
def test_tree_listing_never_crashes(data: bytes) -> None:
    try:
        parse_tree_listing("trees/x.json", data)
    except ParseError as exc:
        assert exc.message.startswith("trees/x.json: ")


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"format_version": 2, "files": {}}, "format_version 2"),
        ({"format_version": 1}, "'files' is not an object"),
        ({"format_version": 1, "files": {"a": {"size": -1, "blob_id": "0" * 40}}}, "needs a size"),
        ({"format_version": 1, "files": {"a": {"size": 1, "blob_id": "x"}}}, "40-hex"),
        (
            {
                "format_version": 1,
                "files": {"a": {"size": 1, "blob_id": "0" * 40, "lfs_sha256": "z"}},
            },
            "64 hex",
        ),
    ],
)
def test_bad_tree_listings(doc: object, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_tree_listing("trees/x.json", json.dumps(doc).encode())
