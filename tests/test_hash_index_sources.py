"""What the hash index learns beyond the scanned files: every digest a Hub answer lists (an LFS
file's `lfs.sha256`, a git-kept file's blob id), so a file that was never in any scanned cache
is known again by its bytes; and a loose copy of an Ollama blob, which traces like its tag.

The Hub is the loopback one (tests/servers/hub.py: `siblings` with `blobId` and
`lfs: {sha256, size, pointerSize}` as huggingface_hub's `RepoSibling`/`BlobLfsInfo` parse
them); the cache is laid out by huggingface_hub's own `snapshot_download`, here only the
cards (`allow_patterns`), so the weights and configs copied below were never cached.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.hashing import KnownFile, MemoryMemo, git_blob_sha1
from auditor.known_files import Blob, reidentified
from auditor.model import Component, ComponentKind, Location
from tests.conftest import Ran
from tests.lineage_hub import BASE, INSTRUCT, QUANT, populate, sha
from tests.ollama_store import MODEL, Store, gguf_bytes, hub_host
from tests.servers.hub import HubState, serve

GGUF = "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"
TOKENIZER = b'{"model_max_length": 32768, "tokenizer_class": "Qwen2Tokenizer"}\n'
ALIBABA = ("pkg:huggingface/Qwen/Qwen2.5-0.5B", "Alibaba Group Holding Limited", "CN")


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[HubState]:
    """The lineage Hub, the instruct model also holding a tokenizer config kept in git; a
    cache holding only the three repos' cards."""
    from huggingface_hub import snapshot_download

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    state = HubState()
    for url in serve(state):
        populate(state, url)
        state.repos[f"model:{INSTRUCT.lower()}"].files["tokenizer_config.json"] = TOKENIZER
        for repo in (QUANT, INSTRUCT, BASE):
            snapshot_download(repo, revision=sha(repo), cache_dir=tmp_path / "hub",
                              endpoint=url, allow_patterns=["README.md"])  # fmt: skip
        monkeypatch.setenv("HF_ENDPOINT", url)
        yield state


def _scan(auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]], *args: Any
          ) -> dict[str, Any]:  # fmt: skip
    ran = auditor("scan", *args, "--format", "json")
    assert ran.code in (0, 1), ran.stderr
    return validate(ran.stdout)


def _file(state: HubState, repo: str, path: str) -> bytes:
    return state.repos[f"model:{repo.lower()}"].files[path]


def _elsewhere(state: HubState, root: Path) -> Path:
    """a/: the GGUF renamed; b/: the instruct model's config and tokenizer config; c/: the
    config alone, which the base and the instruct model share."""
    for rel, data in {
        "a/renamed.gguf": _file(state, QUANT, GGUF),
        "b/config.json": _file(state, INSTRUCT, "config.json"),
        "b/tokenizer_config.json": TOKENIZER,
        "c/config.json": _file(state, BASE, "config.json"),
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def _roots(component: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(r["purl"], r["organisation"], r["country"]) for r in component["origin"]["roots"]}


def test_files_never_cached_are_known_from_the_hub_answer(
    hub: HubState,
    tmp_path: Path,
    auditor: Callable[..., Ran],
    validate: Callable[[str], dict[str, Any]],
) -> None:
    _scan(auditor, validate, f"hf-cache:{tmp_path / 'hub'}")  # online: the Hub's answers
    assert not list((tmp_path / "hub").rglob("*.gguf")), "the GGUF must never be cached"
    doc = _scan(auditor, validate, _elsewhere(hub, tmp_path / "elsewhere"), "--offline")
    by_name = {c["name"]: c for c in doc["components"]}
    edges = {(d["from"], d["to"], d.get("scope")) for d in doc["dependencies"]}

    loose = by_name["renamed.gguf"]
    [seen] = [e for e in loose["origin"]["evidence"] if e["source"] == "hash-index"]
    digest = hashlib.sha256(_file(hub, QUANT, GGUF)).hexdigest()
    assert (seen["value"], seen["strength"], seen["where"]) == (
        f"{QUANT}@{sha(QUANT)}/{GGUF}", "registry", f"hash-index:sha256:{digest}")  # fmt: skip
    assert (loose["purl"], f"pkg:huggingface/{QUANT}@{sha(QUANT)}", "copy") in edges
    assert _roots(loose) == {ALIBABA}
    # Shown through the copy (as strong as the Hub answer), not the header's shorter claim.
    [root] = loose["origin"]["roots"]
    assert (root["relation"], root["strength"]) == ("copy", "registry")

    # b/ holds two git-kept files; only the instruct model holds both: a copy of it.
    folder = by_name["b"]
    assert folder["purl"] == "pkg:generic/b?download_url=file:b"
    seen_b = {(e["value"], e["strength"]) for e in folder["origin"]["evidence"]
              if e["source"] == "hash-index"}  # fmt: skip
    git = git_blob_sha1(TOKENIZER)
    assert (f"{INSTRUCT}@{sha(INSTRUCT)}/tokenizer_config.json", "registry") in seen_b
    assert (f"{BASE}@{sha(BASE)}/config.json", "registry") in seen_b  # shared, named too
    assert any(e["where"] == f"hash-index:git-sha1:{git}" for e in folder["origin"]["evidence"])
    assert (folder["purl"], f"pkg:huggingface/{INSTRUCT}@{sha(INSTRUCT)}", "copy") in edges
    assert _roots(folder) == {ALIBABA}
    # c/: a config shared by two repos says neither; nothing is claimed.
    assert "c" not in by_name
    assert not [e for e in edges if "file:c" in e[0]]
    # Known by their bytes: pinned by them, not "at no revision".
    unpinned = {f["purl"] for f in doc["findings"] if f["rule"] == "model.unpinned-revision"}
    assert folder["purl"] not in unpinned


def test_git_blob_ids_travel_with_cache_export_import(
    hub: HubState,
    tmp_path: Path,
    auditor: Callable[..., Ran],
    validate: Callable[[str], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _scan(auditor, validate, f"hf-cache:{tmp_path / 'hub'}")
    snapshot = tmp_path / "snap.jsonl"
    assert auditor("cache", "export", snapshot).code == 0
    lines = [json.loads(x) for x in snapshot.read_text().splitlines()[1:]]
    git = f"hash-index:git-sha1:{git_blob_sha1(TOKENIZER)}"
    [line] = [x for x in lines if x["key"] == git]
    assert json.loads(line["body"]) == [{"path": "tokenizer_config.json", "repo": INSTRUCT,
                                         "revision": sha(INSTRUCT), "source": "huggingface",
                                         "strength": "registry"}]  # fmt: skip
    monkeypatch.setenv("AUDITOR_DB", f"sqlite:///{tmp_path / 'other.db'}")
    assert auditor("cache", "import", snapshot).code == 0
    root = _elsewhere(hub, tmp_path / "elsewhere")
    (tmp_path / "hub").rename(tmp_path / "gone")  # nothing of the cache is left to read
    doc = _scan(auditor, validate, root, "--offline")
    assert "b" in {c["name"] for c in doc["components"]}
    bad = tmp_path / "bad.jsonl"
    for key in ("hash-index:git-sha1:xyz", f"hash-index:git-sha1:{'A' * 40}"):
        bad.write_text(snapshot.read_text().splitlines()[0] + "\n"
                       + json.dumps({**line, "key": key}) + "\n")  # fmt: skip
        ran = auditor("cache", "import", bad)
        assert ran.code == 2 and "bad.jsonl:2" in ran.stderr and "git-sha1" in ran.stderr


def test_a_small_weight_file_kept_in_git_is_known_by_its_blob_id() -> None:
    data = b"tiny weights"
    git = f"git-sha1:{git_blob_sha1(data)}"
    digest = hashlib.sha256(data).hexdigest()
    c = Component(f"pkg:generic/w.pt?checksum=sha256:{digest}", ComponentKind.WEIGHTS, "w.pt",
                  None, hashes=(f"sha256:{digest}",), locations=(Location("/t", "m/w.pt"),),
                  found_by="model-files")  # fmt: skip
    memo = MemoryMemo()
    memo.record_files([KnownFile(git, "acme/tiny", "c" * 40, "w.pt", "huggingface", "registry")])
    assert reidentified((c,), memo) == ((c,), ())  # no blob id computed: not looked up
    found, edges = reidentified((c,), memo, [Blob("/t", "m/w.pt", git)])
    hub = f"pkg:huggingface/acme/tiny@{'c' * 40}"
    assert [(e.source, e.target, e.scope) for e in edges] == [(c.purl, hub, "copy")]
    assert {x.purl for x in found} == {c.purl, hub}


@pytest.fixture
def ollama(tmp_path: Path) -> Store:
    """qwen2.5:7b from the library, a tag pulled from the Hub, a model made FROM qwen2.5:7b."""
    s = Store(tmp_path / "models")
    s.pull("qwen2.5", "7b", [(MODEL, gguf_bytes({"general.name": "Qwen2.5 7B Instruct"}))])
    s.pull("Llama-3.2-1B-Instruct-GGUF", "Q4_K_M",
           [(MODEL, gguf_bytes({"general.name": "Llama 3.2 1B"}, arch="llama"))],
           namespace="bartowski", host=hub_host())  # fmt: skip
    s.pull("helper", "latest", [(MODEL, gguf_bytes({"general.name": "Qwen2.5 7B Instruct"}),
                                 "qwen2.5:7b")], namespace="alice")  # fmt: skip
    return s


def test_loose_ollama_blob_is_a_copy_of_its_tag(
    ollama: Store,
    tmp_path: Path,
    auditor: Callable[..., Ran],
    validate: Callable[[str], dict[str, Any]],
) -> None:
    store = _scan(auditor, validate, f"ollama:{ollama.root}", "--offline")
    tags = {c["version"]: c for c in store["components"] if c["found_by"] == "ollama-store"}
    qwen_blob = next(f for f in tags["7b"]["files"] if f["path"] == "model")
    llama_blob = next(f for f in tags["Q4_K_M"]["files"] if f["path"] == "model")
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "qwen.gguf").write_bytes((ollama.root / qwen_blob["location"]).read_bytes())
    (loose / "llama.gguf").write_bytes((ollama.root / llama_blob["location"]).read_bytes())

    doc = _scan(auditor, validate, loose, "--offline")
    by_name = {c["name"]: c for c in doc["components"]}
    edges = {(d["from"], d["to"], d.get("scope")) for d in doc["dependencies"]}
    qwen = by_name["qwen.gguf"]
    # The library tag, not alice/helper, which took that layer `from` it.
    assert [e["value"] for e in qwen["origin"]["evidence"] if e["source"] == "hash-index"] == [
        f"ollama:qwen2.5:7b@sha256:{tags['7b']['purl'].rpartition('sha256:')[2]}/model"
    ]
    assert (qwen["purl"], tags["7b"]["purl"], "copy") in edges
    assert {c["purl"] for c in doc["components"]} >= {tags["7b"]["purl"]}
    assert [(r["organisation"], r["country"], r["strength"]) for r in qwen["origin"]["roots"]
            ] == [("Alibaba Group Holding Limited", "CN", "inferred")]  # fmt: skip
    llama = by_name["llama.gguf"]
    hub_repo = "pkg:huggingface/bartowski/Llama-3.2-1B-Instruct-GGUF"
    assert (llama["purl"], tags["Q4_K_M"]["purl"], "copy") in edges
    assert (tags["Q4_K_M"]["purl"], hub_repo, None) in edges
    why = auditor("why", f"latest:{loose}", qwen["purl"])
    assert why.code == 0 and "Alibaba" in why.stdout, why.stdout + why.stderr


def test_hub_listing_keeps_only_digest_shaped_values() -> None:
    """An LFS file by its content's sha256 (its blobId is the pointer's), a git-kept file by
    its blob id; a value of another shape never reaches the index (nor a snapshot)."""
    from auditor.model import Strength
    from auditor.resolvers.hub_api import HubFile, HubRepo
    from auditor.resolvers.huggingface import listed_files

    lfs, pointer, blob = "a" * 64, "b" * 40, "c" * 40
    repo = HubRepo(
        id="acme/m", author="acme", sha="d" * 40, created_at=None, last_modified=None,
        gated=None, private=False, card={}, base_relation=None, base_models=(),
        base_strength=Strength.DECLARED, flagged=(), where="w", retrieved_at="t",
        files=(HubFile("m.safetensors", 10, pointer, lfs), HubFile("config.json", 5, blob, None),
               HubFile("odd.bin", 1, "not-hex", "short"), HubFile("none.txt", None, None, None)),
    )  # fmt: skip
    assert [(f.digest, f.path, f.strength) for f in listed_files(repo)] == [
        (lfs, "m.safetensors", "registry"),
        (f"git-sha1:{blob}", "config.json", "registry"),
    ]
