"""ModelScope caches, laid out byte for byte as modelscope's ModelFileSystemCache writes them.

modelscope/hub/utils/caching.py: `save_cached_files` pickles the list of {'Path', 'Revision'}
keys to `.msc`, `save_model_meta` pickles {'id': '<org>/<name>'} to `.mdl`,
`save_model_version` writes `Revision:<rev>,CreatedAt:<time>` to `.mv`; file_download.py's
`create_temporary_directory_and_cache` names the folder `<root>/<org>/<name with . as ___>`
(newer releases root it at `…/hub/models/`, datasets at `…/datasets/`).
"""

from __future__ import annotations

import collections
import hashlib
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from safetensors.numpy import save as save_safetensors

from auditor.collectors.modelscope_files import parse_msc, parse_mv, read_plain_pickle
from auditor.errors import ParseError
from tests.conftest import Ran

REV = "c58451baead80d83281f063d12fb377fad415257"
# A real safetensors file: the weight-file checks read every .safetensors header they meet.
WEIGHTS = save_safetensors({"w": np.frombuffer(os.urandom(5000), dtype=np.uint8)})
FILES = {"config.json": b'{"a": 1}', "model.safetensors": WEIGHTS, "sub/x.txt": b"x"}


def write_repo(folder: Path, model_id: str, files: dict[str, bytes], revision: str) -> None:
    """What ModelFileSystemCache(cache_root, owner, name) + put_file + save_model_version leave."""
    folder.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    (folder / ".mdl").write_bytes(pickle.dumps({"id": model_id}))
    keys = [{"Path": rel, "Revision": revision} for rel in files]
    (folder / ".msc").write_bytes(pickle.dumps(keys))
    (folder / ".mv").write_text(f"Revision:{revision},CreatedAt:1700000000")


def test_both_layouts(
    tmp_path: Path, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    root = tmp_path / "modelscope" / "hub"
    write_repo(root / "models" / "Qwen" / "Qwen2___5-0___5B", "Qwen/Qwen2.5-0.5B", FILES, REV)
    write_repo(root / "damo" / "nlp_bert", "damo/nlp_bert", {"a.bin": b"a"}, "v1.0.0")
    (root / "models" / "Qwen" / ".tmp").mkdir()  # modelscope's partial downloads are skipped
    ran = auditor("scan", "modelscope:" + str(root), "--no-resolve", "--format", "json")
    assert ran.code == 0, ran.stderr
    doc = validate(ran.stdout)
    assert doc["scan"]["status"] == "complete", doc["diagnostics"]
    by_purl = {c["purl"]: c for c in doc["components"]}
    assert sorted(by_purl) == [
        f"pkg:generic/Qwen/Qwen2.5-0.5B@{REV}?repository_url=modelscope",
        "pkg:generic/damo/nlp_bert@v1.0.0?repository_url=modelscope",
    ]
    qwen = by_purl[f"pkg:generic/Qwen/Qwen2.5-0.5B@{REV}?repository_url=modelscope"]
    assert qwen["kind"] == "model"
    files = {f["path"]: f for f in qwen["files"]}
    assert sorted(files) == sorted(FILES)
    weights = files["model.safetensors"]
    assert weights["sha256"] == hashlib.sha256(FILES["model.safetensors"]).hexdigest()
    assert weights["location"] == "models/Qwen/Qwen2___5-0___5B/model.safetensors"


def test_default_location_and_problems(
    tmp_path: Path,
    auditor: Callable[..., Ran],
    validate: Callable[[str], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "ms"
    repo = root / "models" / "org" / "m"
    write_repo(repo, "org/m", {"a.txt": b"a"}, REV)
    (repo / "a.txt").unlink()  # indexed but gone
    marker = tmp_path / "executed"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str, str]]:
            return (open, (str(marker), "w"))

    (repo / ".mdl").write_bytes(pickle.dumps(Payload()))  # would create `marker` if loaded
    monkeypatch.setenv("MODELSCOPE_CACHE", str(root))
    ran = auditor("scan", "modelscope:", "--no-resolve", "--format", "json")
    doc = validate(ran.stdout)
    assert not marker.exists()
    messages = {d["location"]: d["message"] for d in doc["diagnostics"]}
    assert "not plain data" in messages["models/org/m/.mdl"]
    assert "missing" in messages["models/org/m/a.txt"]
    assert [c["purl"] for c in doc["components"]] == [
        f"pkg:generic/org/m@{REV}?repository_url=modelscope"  # the id from the folder
    ]
    assert doc["scan"]["status"] == "partial"


plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=5)
        | st.tuples(inner, inner)
    ),
    max_leaves=20,
)


@given(plain, st.integers(0, pickle.HIGHEST_PROTOCOL))
def test_plain_pickles_read_back(value: object, protocol: int) -> None:
    assert read_plain_pickle("p", pickle.dumps(value, protocol=protocol)) == value


@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    try:
        read_plain_pickle("p", data)
    except ParseError as exc:
        assert exc.message.startswith("p: ")


@pytest.mark.parametrize("value", [collections.OrderedDict(), {1, 2}, Path("/"), bytearray(b"x")])
def test_objects_are_refused(value: object) -> None:
    with pytest.raises(ParseError, match="not plain data"):
        read_plain_pickle("p", pickle.dumps(value))


@given(st.lists(st.tuples(st.text(min_size=1), st.text(min_size=1)), max_size=10))
def test_msc_round_trip(keys: list[tuple[str, str]]) -> None:
    data = pickle.dumps([{"Path": p, "Revision": r} for p, r in keys])
    assert [(f.path, f.revision) for f in parse_msc(".msc", data)] == keys


@pytest.mark.parametrize(
    ("text", "revision"),
    [("Revision:v1.0.2,CreatedAt:1700000000", "v1.0.2"), ("master", "master"), ("", None)],
)
def test_mv(text: str, revision: str | None) -> None:
    assert parse_mv(".mv", text) == revision


@given(st.text(max_size=60))
def test_mv_never_crashes(text: str) -> None:
    try:
        parse_mv(".mv", text)
    except ParseError as exc:
        assert exc.message.startswith(".mv: ")


def test_unsafe_pickle_in_a_modelscope_cache_is_flagged_on_its_repo(
    tmp_path: Path, auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    """Cached weights get the loose-file checks, reported on the ModelScope component (and
    not again as a loose file)."""
    from tests.weights import makers

    payload = makers.state_dict()
    payload["x"] = makers.exploit("id")
    evil = makers.torch_zip(tmp_path / "evil.bin", payload).read_bytes()
    root = tmp_path / "modelscope" / "hub"
    write_repo(root / "models" / "org" / "m", "org/m", {"pytorch_model.bin": evil}, REV)
    doc = validate(
        auditor("scan", "modelscope:" + str(root), "--no-resolve", "--format", "json").stdout
    )
    [unsafe] = [f for f in doc["findings"] if f["rule"] == "weights.unsafe-pickle"]
    assert (
        unsafe["purl"].startswith("pkg:generic/org/m@")
        and "repository_url=modelscope" in unsafe["purl"]
    )
    assert not [c for c in doc["components"] if c["purl"].startswith("pkg:generic/pytorch_model")]
