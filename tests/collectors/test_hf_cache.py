"""Hugging Face caches built by huggingface_hub itself (from a loopback Hub), read by the CLI.

huggingface_hub's own `scan_cache_dir` must agree with our inventory; corruptions a real cache
meets (a flipped byte in an LFS blob, a truncated git blob, a dangling link, a ref to a missing
snapshot, a garbled ref) become findings or diagnostics, never crashes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from huggingface_hub import hf_hub_download, scan_cache_dir, snapshot_download
from huggingface_hub.errors import EntryNotFoundError
from packageurl import PackageURL
from safetensors.numpy import save as save_safetensors

from auditor.collectors import CollectContext
from auditor.collectors.hf_cache import HuggingFaceCacheCollector
from auditor.sources import Entry, Tree
from auditor.sources.directory import DirectoryTree
from auditor.store import open_store
from tests.conftest import Ran
from tests.servers.hub_files import HubState, git_blob_id, serve

MAIN = "1" * 40
PR = "2" * 40
DETACHED = "3" * 40
# A real safetensors file (the weight checks read its header) of random tensor bytes.
WEIGHTS = save_safetensors({"w": np.frombuffer(os.urandom(300_000), dtype=np.uint8)})
MODEL_FILES = {
    "config.json": b'{"model_type": "bert"}',
    "model.safetensors": WEIGHTS,
    "tokenizer/vocab.txt": b"[PAD]\n[UNK]\n",
}
LFS = ("model.safetensors",)


def _hub() -> HubState:
    state = HubState()
    state.add("org/model", MAIN, MODEL_FILES, lfs=LFS)
    state.add("org/model", PR, {"config.json": b'{"model_type": "pr"}'}, refs=("refs/pr/1",))
    state.add("org/model", DETACHED, {"config.json": b"{}"}, refs=())
    state.add("gpt2", "4" * 40, {"config.json": b'{"n": 1}'})
    state.add("org/data", "5" * 40, {"train.csv": b"a,b\n1,2\n"}, repo_type="dataset")
    state.add("org/demo", "6" * 40, {"app.py": b"print(1)\n"}, repo_type="space")
    return state


@pytest.fixture(scope="module")
def built_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One cache, written by huggingface_hub's own download code."""
    cache = tmp_path_factory.mktemp("hf") / "hub"
    state = _hub()
    for url in serve(state):
        # snapshot_download: blobs, snapshots, refs/main and trees/<commit>.json
        snapshot_download("org/model", cache_dir=cache, endpoint=url)
        hf_hub_download(
            "org/model", "config.json", revision="refs/pr/1", cache_dir=cache, endpoint=url
        )
        hf_hub_download(
            "org/model", "config.json", revision=DETACHED, cache_dir=cache, endpoint=url
        )
        with pytest.raises(EntryNotFoundError):  # recorded under .no_exist/<commit>/
            hf_hub_download("org/model", "missing.bin", cache_dir=cache, endpoint=url)
        hf_hub_download("gpt2", "config.json", cache_dir=cache, endpoint=url)
        hf_hub_download("org/data", "train.csv", repo_type="dataset", cache_dir=cache, endpoint=url)
        hf_hub_download("org/demo", "app.py", repo_type="space", cache_dir=cache, endpoint=url)
    yield cache


@pytest.fixture
def cache(built_cache: Path, tmp_path: Path) -> Path:
    """A private copy each test may corrupt (links stay links)."""
    copy = tmp_path / "hub"
    shutil.copytree(built_cache, copy, symlinks=True)
    return copy


def _scan(
    auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]], *args: Any
) -> dict[str, Any]:
    ran = auditor("scan", *args, "--no-resolve", "--format", "json")
    assert ran.code in (0, 1), ran.stderr  # 1: a hash mismatch blocks (default pack)
    doc = validate(ran.stdout)
    # This collector's own findings: the default pack and the signature check add theirs.
    doc["findings"] = [f for f in doc["findings"] if f["rule"].startswith("weights.")]
    return doc


def _by_purl(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["purl"]: c for c in doc["components"]}


def test_inventory_agrees_with_scan_cache_dir(
    cache: Path, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    doc = _scan(auditor, validate, f"hf-cache:{cache}")
    assert doc["scan"]["status"] == "complete", doc["diagnostics"]
    assert doc["scan"]["targets"][0]["kind"] == "hf-cache"
    assert doc["findings"] == []
    ours = {}
    for c in doc["components"]:
        purl = PackageURL.from_string(c["purl"])
        repo_type = (purl.qualifiers or {}).get("repository_type", "model")
        repo_id = f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name
        refs = {e["value"] for e in c["origin"]["evidence"] if e["field"] == "ref"}
        files = {f["path"] for f in c["files"]}
        ours[(repo_type, repo_id, purl.version)] = (refs, files)
    theirs = {}
    info = scan_cache_dir(cache)
    assert not info.warnings
    for repo in info.repos:
        for rev in repo.revisions:
            files = {f.file_path.relative_to(rev.snapshot_path).as_posix() for f in rev.files}
            theirs[(repo.repo_type, repo.repo_id, rev.commit_hash)] = (set(rev.refs), files)
    assert ours == theirs
    # what huggingface_hub's scanner does not read, we do
    main = _by_purl(doc)[f"pkg:huggingface/org/model@{MAIN}"]
    fields = {(e["field"], e["value"]) for e in main["origin"]["evidence"]}
    assert ("no-exist", "missing.bin") in fields
    assert ("tree-listing", "3 files") in fields
    assert main["kind"] == "model"


def test_files_carry_content_digests(
    cache: Path, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    doc = _scan(auditor, validate, f"hf-cache:{cache}")
    components = _by_purl(doc)
    main = components[f"pkg:huggingface/org/model@{MAIN}"]
    files = {f["path"]: f for f in main["files"]}
    weights = files["model.safetensors"]
    assert weights["sha256"] == hashlib.sha256(WEIGHTS).hexdigest()
    assert weights["git_sha1"] is None
    assert weights["size"] == len(WEIGHTS)
    assert weights["location"] == f"models--org--model/snapshots/{MAIN}/model.safetensors"
    vocab = files["tokenizer/vocab.txt"]
    assert vocab["git_sha1"] == git_blob_id(MODEL_FILES["tokenizer/vocab.txt"])
    assert vocab["sha256"] is None
    # purl encodings: namespace-less, dataset and space
    assert f"pkg:huggingface/gpt2@{'4' * 40}" in components
    assert (
        components[f"pkg:huggingface/org/data@{'5' * 40}?repository_type=dataset"]["kind"]
        == "dataset"
    )
    assert f"pkg:huggingface/org/demo@{'6' * 40}?repository_type=space" in components
    detached = components[f"pkg:huggingface/org/model@{DETACHED}"]
    assert not [e for e in detached["origin"]["evidence"] if e["field"] == "ref"]
    pr = components[f"pkg:huggingface/org/model@{PR}"]
    assert {e["value"] for e in pr["origin"]["evidence"] if e["field"] == "ref"} == {"refs/pr/1"}


def test_default_location_and_detection(
    cache: Path,
    auditor: Callable[..., Ran],
    validate: Callable[[str], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    named = _scan(auditor, validate, "hf-cache:")
    assert named["scan"]["targets"][0]["kind"] == "hf-cache"
    detected = _scan(auditor, validate, cache)
    assert detected["scan"]["targets"][0]["kind"] == "hf-cache"
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("HF_HOME", str(cache.parent))  # HF_HOME/hub
    home = _scan(auditor, validate, "hf-cache:")
    # a folder holding a cache deeper down is a directory whose cache is still found
    inside = _scan(auditor, validate, cache.parent)
    assert inside["scan"]["targets"][0]["kind"] == "directory"
    expected = sorted(_by_purl(named))
    assert len(expected) == 6
    assert (
        sorted(_by_purl(detected)) == sorted(_by_purl(home)) == sorted(_by_purl(inside)) == expected
    )


def _blob(cache: Path, repo: str, snapshot_file: str) -> Path:
    return (cache / repo / "snapshots" / snapshot_file).resolve()


def test_flipped_byte_in_lfs_blob_is_a_high_finding(
    cache: Path, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    blob = _blob(cache, "models--org--model", f"{MAIN}/model.safetensors")
    data = bytearray(blob.read_bytes())
    data[1234] ^= 0x01
    blob.write_bytes(bytes(data))
    doc = _scan(auditor, validate, f"hf-cache:{cache}")
    [hit] = doc["findings"]
    assert (hit["rule"], hit["severity"]) == ("weights.hash-mismatch", "high")
    assert hit["purl"] == f"pkg:huggingface/org/model@{MAIN}"
    assert "model.safetensors" in hit["message"]
    weights = {f["path"]: f for f in _by_purl(doc)[hit["purl"]]["files"]}["model.safetensors"]
    assert weights["sha256"] == hashlib.sha256(bytes(data)).hexdigest()  # the bytes' truth
    # --no-verify reads nothing: no finding, the name stands
    ran = auditor("scan", f"hf-cache:{cache}", "--no-resolve", "--no-verify", "--format", "json")
    assert not [f for f in validate(ran.stdout)["findings"] if f["rule"].startswith("weights.")]
    # --fail-on high turns it into exit 1
    assert auditor("scan", f"hf-cache:{cache}", "--no-resolve", "--fail-on", "high").code == 1


def test_truncated_git_blob_is_a_finding(
    cache: Path, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    blob = _blob(cache, "models--gpt2", f"{'4' * 40}/config.json")
    blob.write_bytes(blob.read_bytes()[:3])
    doc = _scan(auditor, validate, f"hf-cache:{cache}")
    [hit] = doc["findings"]
    assert hit["rule"] == "weights.hash-mismatch"
    assert hit["purl"] == f"pkg:huggingface/gpt2@{'4' * 40}"
    assert "git id" in hit["message"]


def test_dangling_links_and_bad_refs_are_diagnostics(
    cache: Path, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    repo = cache / "models--org--model"
    _blob(cache, "models--org--model", f"{MAIN}/tokenizer/vocab.txt").unlink()
    (repo / "refs" / "dev").write_text("9" * 40)  # a ref to a snapshot that is not there
    (repo / "refs" / "broken").write_bytes(b"\xff\xfenot a commit")
    (repo / "blobs" / ("a" * 40 + ".incomplete")).write_bytes(b"partial")
    ran = auditor("scan", f"hf-cache:{cache}", "--no-resolve", "--format", "json", "--strict")
    assert ran.code == 3
    doc = validate(ran.stdout)
    assert doc["scan"]["status"] == "partial"
    messages = {d["location"]: d["message"] for d in doc["diagnostics"]}
    vocab = f"models--org--model/snapshots/{MAIN}/tokenizer/vocab.txt"
    assert "dangling" in messages[vocab]
    assert "no snapshot" in messages["models--org--model/refs/dev"]
    assert "unreadable ref" in messages["models--org--model/refs/broken"]
    assert "interrupted download" in messages[f"models--org--model/blobs/{'a' * 40}.incomplete"]
    files = {f["path"]: f for f in _by_purl(doc)[f"pkg:huggingface/org/model@{MAIN}"]["files"]}
    assert files["tokenizer/vocab.txt"]["location"] is None
    assert files["tokenizer/vocab.txt"]["size"] is None
    assert not [f for f in doc["findings"] if f["rule"].startswith("weights.")]


def test_listing_disagreeing_with_the_blob_is_a_finding(cache: Path) -> None:
    """trees/<commit>.json is the Hub's own listing: a snapshot linked elsewhere is caught."""
    repo = cache / "models--org--model"
    link = repo / "snapshots" / MAIN / "config.json"
    vocab_blob = os.readlink(repo / "snapshots" / MAIN / "tokenizer" / "vocab.txt")
    link.unlink()
    link.symlink_to(vocab_blob.removeprefix("../"))  # one folder shallower
    found = HuggingFaceCacheCollector().collect(DirectoryTree("t", cache), CollectContext())
    assert [f.rule for f in found.findings] == ["weights.hash-mismatch"]
    assert "listing records" in found.findings[0].message


def test_copied_files_without_symlinks_are_hashed(cache: Path) -> None:
    """No-symlink mode (Windows, HF_HUB_DISABLE_SYMLINKS): snapshots hold copies."""
    snapshot = cache / "models--org--model" / "snapshots" / MAIN
    for path in [p for p in snapshot.rglob("*") if p.is_symlink()]:
        data = path.read_bytes()
        path.unlink()
        path.write_bytes(data)
    shutil.rmtree(cache / "models--org--model" / "blobs")
    found = HuggingFaceCacheCollector().collect(DirectoryTree("t", cache), CollectContext())
    main = next(c for c in found.components if c.version == MAIN)
    files = {f.path: f for f in main.files}
    assert files["model.safetensors"].sha256 == hashlib.sha256(WEIGHTS).hexdigest()
    # the tree listing says vocab.txt is a git file, so its git id is computed as well
    assert files["tokenizer/vocab.txt"].git_sha1 == git_blob_id(MODEL_FILES["tokenizer/vocab.txt"])
    assert found.findings == ()


def test_rescan_uses_the_stored_memo(
    cache: Path,
    auditor: Callable[..., Ran],
    validate: Callable[[str], dict[str, Any]],
    db_url: str,
) -> None:
    """Digests are kept by (path, size, mtime_ns, inode, ctime_ns): an unchanged file is not
    reread, and a changed one always is, even with its mtime put back.

    Proven from the outside: a wrong digest planted in the memo for an unchanged file is
    believed (the file was not reread); bytes changed in place with the mtime restored are
    caught (ctime moved on: tests/trust/test_digest_memo.py tries more ways).
    """
    first = _scan(auditor, validate, f"hf-cache:{cache}")
    assert first["findings"] == []
    blob = _blob(cache, "models--org--model", f"{MAIN}/model.safetensors")
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as conn:
        planted = conn.execute(
            text("UPDATE digest_memo SET digest = :d WHERE path = :p AND algorithm = 'sha256'"),
            {"d": "0" * 64, "p": str(blob)},
        )
        assert planted.rowcount == 1
    engine.dispose()
    [hit] = _scan(auditor, validate, f"hf-cache:{cache}")["findings"]  # the memo was believed
    assert hit["rule"] == "weights.hash-mismatch"
    os.utime(blob)  # a new mtime and ctime: hashed again, the truth memoised
    assert _scan(auditor, validate, f"hf-cache:{cache}")["findings"] == []
    before = blob.stat()
    with blob.open("r+b") as fh:  # in place: the inode stays
        fh.seek(10)
        fh.write(bytes([WEIGHTS[10] ^ 0xFF]))
    os.utime(blob, ns=(before.st_atime_ns, before.st_mtime_ns))
    [hit] = _scan(auditor, validate, f"hf-cache:{cache}")["findings"]
    assert hit["rule"] == "weights.hash-mismatch"
    with open_store(db_url) as store:
        assert store.load_scan(first["scan"]["id"]).components  # files round-trip below
        scan = store.load_scan(first["scan"]["id"])
        main = next(c for c in scan.components if c.version == MAIN)
        assert {f.path for f in main.files} == set(MODEL_FILES)


class MemoryTree(Tree):
    """A tree of bytes and links with no real paths, as an image's layers are."""

    def __init__(self, root: Path) -> None:
        super().__init__("memory")
        self.items: list[Entry] = []
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                link = os.readlink(path)
                data = path.read_bytes() if path.exists() else b""
                self.items.append(Entry(rel, len(data), lambda d=data: d, link=link))
            elif path.is_file():
                data = path.read_bytes()
                self.items.append(Entry(rel, len(data), lambda d=data: d))

    def entries(self) -> Iterator[Entry]:
        return iter(self.items)


def test_any_tree_works_without_real_paths(cache: Path) -> None:
    """Only the Tree API is used: a cache inside an archive is read the same way."""
    blob = _blob(cache, "models--gpt2", f"{'4' * 40}/config.json")
    blob.write_bytes(b"changed")
    on_disk = HuggingFaceCacheCollector().collect(DirectoryTree("memory", cache), CollectContext())
    in_memory = HuggingFaceCacheCollector().collect(MemoryTree(cache), CollectContext())
    assert in_memory == on_disk
    assert [f.purl for f in in_memory.findings] == [f"pkg:huggingface/gpt2@{'4' * 40}"]


def test_absolute_links_are_followed(cache: Path) -> None:
    """huggingface_hub writes absolute links where relative ones fail (another volume)."""
    link = cache / "models--org--model" / "snapshots" / MAIN / "model.safetensors"
    target = link.resolve()
    link.unlink()
    link.symlink_to(target)
    found = HuggingFaceCacheCollector().collect(DirectoryTree("t", cache), CollectContext())
    assert found.diagnostics == () and found.findings == ()
    main = next(c for c in found.components if c.version == MAIN)
    weights = next(f for f in main.files if f.path == "model.safetensors")
    assert weights.sha256 == hashlib.sha256(WEIGHTS).hexdigest()


def test_unsafe_pickle_in_a_cached_checkpoint_is_flagged_on_the_revision(
    tmp_path: Path, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    """The weight-file checks run on cached bytes too: a checkpoint whose pickle imports a
    dangerous callable, downloaded by huggingface_hub, blocks the scan of the cache."""
    from tests.weights import makers

    evil = tmp_path / "evil.bin"
    payload = makers.state_dict()
    payload["x"] = makers.exploit("id")
    makers.torch_zip(evil, payload)
    state = HubState()
    state.add(
        "org/evil", MAIN, {"pytorch_model.bin": evil.read_bytes()}, lfs=("pytorch_model.bin",)
    )
    cache = tmp_path / "hub"
    for url in serve(state):
        hf_hub_download("org/evil", "pytorch_model.bin", cache_dir=cache, endpoint=url)
    ran = auditor("scan", cache, "--no-resolve", "--format", "json")
    doc = validate(ran.stdout)
    [unsafe] = [f for f in doc["findings"] if f["rule"] == "weights.unsafe-pickle"]
    assert unsafe["purl"] == f"pkg:huggingface/org/evil@{MAIN}"
    assert ran.code == 1  # the default action blocks
