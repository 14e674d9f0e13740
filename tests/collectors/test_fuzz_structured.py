"""Structure-aware fuzzing of every reader of files: each registered lockfile parser and each
collector that reads files (python-env, node-modules, os-packages, hf-cache, model-files).

Real inputs are mutated where parsers look (tests/collectors/mutations.py). A parser returns
what it found or raises ParseError naming its file; a collector never raises; and the scan
built from the result renders (JSON, table) and is stored without error: a lone surrogate
or a control character in a name must not end a run in UnicodeEncodeError. The CLI, given
such files, prints `error:`/`warning:` lines and never a traceback.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.cli import cli
from auditor.collectors import Collected
from auditor.collectors.parsers import PARSERS, FileParser
from auditor.config import Config
from auditor.errors import ParseError
from auditor.model import Scan
from auditor.pipeline import run_scan
from auditor.policy.engine import load_policy
from auditor.render import renderer
from auditor.sources.directory import DirectoryTree
from auditor.store import Store, open_store
from tests.collectors.mutations import odd_text, structured
from tests.conftest import REPO

DATA = REPO / "tests" / "data"
EXAMPLE = REPO / "examples/python-app"
PARSER_SEEDS = {  # parser: (file name, format, a real file)
    "requirements-txt": ("requirements.txt", "lines", EXAMPLE / "requirements.txt"),
    "uv-lock": ("uv.lock", "toml", EXAMPLE / "uv.lock"),
    "package-lock-json": ("package-lock.json", "json", DATA / "js/npm/v3/package-lock.json"),
    "yarn-lock": ("yarn.lock", "lines", DATA / "js/yarn-classic/yarn.lock"),
    "pnpm-lock-yaml": ("pnpm-lock.yaml", "yaml", DATA / "js/pnpm/v9/pnpm-lock.yaml"),
    "bun-lock": ("bun.lock", "jsonc", DATA / "js/bun/bun.lock"),
    "poetry-lock": ("poetry.lock", "toml", DATA / "python/poetry/sources/poetry.lock"),
    "pipfile-lock": ("Pipfile.lock", "json", DATA / "python/pipenv/project/Pipfile.lock"),
    "pdm-lock": ("pdm.lock", "toml", DATA / "python/pdm/sources/pdm.lock"),
    "pylock-toml": ("pylock.toml", "toml", DATA / "python/pylock/uv/pylock.toml"),
    # SBOMs (issue 31): documents the real tools made, and a published SPDX 3 example
    "cyclonedx-json": ("bom.cdx.json", "json", DATA / "sbom/python-app.syft.cdx.json"),
    "cyclonedx-xml": ("bom.cdx.xml", "lines", DATA / "sbom/python-app.syft.cdx.xml"),
    "syft-json": ("sbom.syft.json", "json", DATA / "sbom/python-app.syft.json"),
    "spdx-json": ("sbom.spdx.json", "json", DATA / "sbom/spdx/python-uv.trivy.spdx.json"),
    "spdx-tag-value": ("sbom.spdx", "lines", DATA / "sbom/spdx/python-uv.trivy.spdx"),
    "spdx3-jsonld": ("sbom.spdx3.json", "json", DATA / "sbom/spdx/published/example13.spdx3.json"),
}  # fmt: skip
YARN_BERRY = DATA / "js/yarn-berry/yarn.lock"
SITE = "lib/python3.11/site-packages"
PEP_610_VCS = {  # the example in PEP 610 (direct_url.json of a VCS install)
    "url": "https://github.com/pypa/pip.git",
    "vcs_info": {"vcs": "git", "requested_revision": "1.3.1",
                 "commit_id": "7921be1537eac1e97bc40179a57f0349c2aee67d"},
}  # fmt: skip
CONFIG_JSON = {  # bert-base-uncased's config.json, as the Hub serves it
    "architectures": ["BertForMaskedLM"], "attention_probs_dropout_prob": 0.1,
    "gradient_checkpointing": False, "hidden_act": "gelu", "hidden_size": 768,
    "model_type": "bert", "num_attention_heads": 12, "num_hidden_layers": 12,
    "transformers_version": "4.6.0.dev0", "vocab_size": 30522,
    "_name_or_path": "google-bert/bert-base-uncased",
}  # fmt: skip
CARD = "base_model: meta-llama/Llama-3.1-8B\nlicense: apache-2.0\ntags:\n- text-generation\n"
SAFETENSORS_HEADER = {
    "__metadata__": {"format": "pt"},
    "w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
}

FUZZ = settings(
    max_examples=int(os.environ.get("AUDITOR_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
"""Examples per reader; AUDITOR_FUZZ_EXAMPLES=1000 for a long hunt."""


def _host_metadata() -> str:
    """A real METADATA file: the one of `packaging`, installed here."""
    text = importlib.metadata.distribution("packaging").read_text("METADATA")
    assert text is not None
    return text


def _record() -> str:
    text = importlib.metadata.distribution("packaging").read_text("RECORD")
    assert text is not None
    return text


def _safetensors(header: bytes) -> bytes:
    return struct.pack("<Q", len(header)) + header + bytes(16)


def _host_dpkg_status() -> bytes | None:
    status = Path("/var/lib/dpkg/status")
    if not status.is_file():
        return None
    return status.read_bytes()[:8000].rpartition(b"\n\n")[0] + b"\n"


# (case, file written, format, seed, other files the reader needs beside it)
COLLECTOR_CASES: list[tuple[str, str, str, bytes, dict[str, bytes]]] = [
    ("python-env METADATA", f"{SITE}/demo-1.0.dist-info/METADATA", "lines",
     _host_metadata().encode(), {}),
    ("python-env direct_url.json", f"{SITE}/demo-1.0.dist-info/direct_url.json", "json",
     json.dumps(PEP_610_VCS).encode(),
     {f"{SITE}/demo-1.0.dist-info/METADATA": b"Name: demo\nVersion: 1.0\n"}),
    ("python-env RECORD", f"{SITE}/demo-1.0.dist-info/RECORD", "lines", _record().encode(),
     {f"{SITE}/demo-1.0.dist-info/METADATA": b"Name: demo\nVersion: 1.0\n"}),
    ("python-env vendor.txt", f"{SITE}/pip/_vendor/vendor.txt", "lines",
     b"CacheControl==0.12.11  # a comment\nrequests==2.31.0\n    certifi==2023.5.7\n",
     {f"{SITE}/pip-23.2.1.dist-info/METADATA": b"Name: pip\nVersion: 23.2.1\n"}),
    ("node-modules package.json", "node_modules/demo/package.json", "json",
     (DATA / "js/input/package.json").read_bytes(), {}),
    ("os-packages apk", "lib/apk/db/installed", "lines",
     (DATA / "os_packages/installed").read_bytes(), {}),
    ("model-files config.json", "models/demo/config.json", "json",
     json.dumps(CONFIG_JSON).encode(), {"models/demo/model.safetensors":
                                        _safetensors(json.dumps(SAFETENSORS_HEADER).encode())}),
    ("model-files card", "models/demo/README.md", "yaml", CARD.encode(),
     {"models/demo/model.safetensors": _safetensors(json.dumps(SAFETENSORS_HEADER).encode())}),
    ("model-files safetensors header", "models/demo/model.safetensors", "json",
     json.dumps(SAFETENSORS_HEADER).encode(), {}),
    ("hf-cache refs", "models--org--name/refs/main", "lines",
     b"0123456789abcdef0123456789abcdef01234567\n",
     {"models--org--name/snapshots/0123456789abcdef0123456789abcdef01234567/config.json":
      json.dumps(CONFIG_JSON).encode()}),
]  # fmt: skip
if (status := _host_dpkg_status()) is not None:
    COLLECTOR_CASES.append(("os-packages dpkg", "var/lib/dpkg/status", "lines", status, {}))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path_factory.mktemp('store') / 'fuzz.db'}")
    yield opened
    opened.close()


CONFIG = Config(no_resolve=True, store=False, policy=load_policy())


def _whole_run(root: Path, store: Store) -> Scan:
    """What `auditor scan ROOT --no-resolve -f json` does after collecting, minus click."""
    scan = run_scan([str(root)], CONFIG)
    for fmt in ("json", "table"):
        renderer(fmt).render(scan)
    store.save_scan(scan)
    return scan


def _write(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_every_parser_and_collector_reading_files_has_a_seed() -> None:
    assert {p.name for p in PARSERS} == set(PARSER_SEEDS)
    readers = {case.split(" ")[0] for case, *_ in COLLECTOR_CASES}
    assert {"python-env", "node-modules", "os-packages", "model-files", "hf-cache"} <= readers


@pytest.mark.parametrize("parser", [p.load() for p in PARSERS], ids=lambda p: p.name)
@FUZZ
@given(data=st.data())
def test_parsers_on_mutated_structure(
    parser: FileParser, data: st.DataObject, store: Store
) -> None:
    name, fmt, seed_path = PARSER_SEEDS[parser.name]
    seed = seed_path.read_bytes()
    if parser.name == "yarn-lock" and data.draw(st.booleans(), label="berry"):
        fmt, seed = "yaml", YARN_BERRY.read_bytes()
    raw = data.draw(structured(fmt, seed), label="file")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / name).write_bytes(raw)
        try:
            found = parser.parse(DirectoryTree("t", root), name)
        except ParseError as exc:
            assert exc.message.startswith(name), exc.message
        else:
            assert isinstance(found, Collected)
        _whole_run(root, store)  # discovered: a diagnostic at worst


@pytest.mark.parametrize("case", COLLECTOR_CASES, ids=lambda c: c[0])
@FUZZ
@given(data=st.data())
def test_collectors_on_mutated_structure(
    case: tuple[str, str, str, bytes, dict[str, bytes]], data: st.DataObject, store: Store
) -> None:
    label, rel, fmt, seed, beside = case
    raw = data.draw(structured(fmt, seed), label="file")
    if label == "model-files card":
        raw = b"---\n" + raw + b"---\n# a model\n"
    if label == "model-files safetensors header":
        raw = _safetensors(raw)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root, {**beside, rel: raw})
        _whole_run(root, store)


def _odd_name(text: str) -> str:
    """A file name from odd text: no separators or NULs; lone surrogates stand for bytes
    that are not UTF-8 (how Python names such files)."""
    cleaned = "".join(c for c in text if c not in "/\x00").strip(".") or "x"
    cleaned = cleaned.encode("utf-8", "surrogatepass")[:100].decode("utf-8", "ignore") or "x"
    return os.fsdecode(os.fsencode(cleaned.encode("utf-8", "surrogatepass").decode(
        "utf-8", "surrogateescape")))  # fmt: skip


@FUZZ
@given(name=odd_text)
def test_odd_names_in_every_reader(name: str, store: Store) -> None:
    """The same odd text as a file or folder name and as a package name inside files."""
    folder = _odd_name(name)
    quoted = json.dumps(name)  # JSON escapes: lone surrogates survive as \\udXXX
    files = {
        f"{SITE}/{folder}-1.0.dist-info/METADATA": f"Name: {folder}\nVersion: 1.0\n",
        f"node_modules/{folder}/package.json": f'{{"name": {quoted}, "version": "1.0.0"}}',
        f"models--org--{folder}/refs/main": "0123456789abcdef0123456789abcdef01234567",
        f"models--org--{folder}/snapshots/0123456789abcdef0123456789abcdef01234567/"
        f"{folder}.safetensors": "",
        f"app/{folder}/requirements.txt": f"{folder}==1.0\n",
        "app/package-lock.json": json.dumps({"lockfileVersion": 3, "packages": {
            "": {"name": name}, f"node_modules/{name}": {"version": "1.0.0"}}}),
        f"src/{folder}.py": f'from_pretrained("org/{folder}")\n',
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        try:
            _write(root, {k: v.encode("utf-8", "surrogatepass") for k, v in files.items()})
        except OSError:
            return  # a name this file system refuses (too long once encoded)
        _whole_run(root, store)


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.name)
@settings(FUZZ, max_examples=4)
@given(data=st.data())
def test_cli_on_mutated_lockfiles_prints_errors_not_tracebacks(
    parser: FileParser, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    name, fmt, seed_path = PARSER_SEEDS[parser.name]
    raw = data.draw(structured(fmt, seed_path.read_bytes()), label="file")
    root = tmp_path_factory.mktemp("cli")
    (root / name).write_bytes(raw)
    db = f"sqlite:///{root / 'a.db'}"
    for target in (str(root / name), str(root)):  # named, then discovered
        ran = CliRunner().invoke(cli, ["scan", "--no-resolve", "--db", db, "-f", "json", target])
        assert not isinstance(ran.exception, Exception) or isinstance(ran.exception, SystemExit), (
            ran.exception
        )
        assert "Traceback" not in ran.stderr + ran.stdout
        assert ran.exit_code in (0, 2), ran.stderr
        if ran.exit_code == 2:  # the named lockfile is unusable: say which, and why
            assert ran.stderr.startswith("error: ") and name in ran.stderr.splitlines()[0]
