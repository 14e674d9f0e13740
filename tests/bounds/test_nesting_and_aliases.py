"""Deep nesting and YAML alias bombs: a clear diagnostic, never a RecursionError or a crash.

Each input is one file in a folder that `auditor scan` walks (offline, nothing stored), in a
child process under RLIMIT_CPU and RLIMIT_AS. A discovered bad file is a diagnostic and the
scan goes on: exit 0, no traceback on stderr, and the report names the file and what is
wrong with it. The depth and the bomb's shape are drawn by hypothesis.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.bounded import Outcome, assert_bounded, examples, run_bounded


def _json_nest(depth: int, key_style: bool) -> str:
    return ('{"a":' * depth + "1" + "}" * depth) if key_style else ("[" * depth + "]" * depth)


def _package_lock(depth: int, style: bool) -> bytes:
    return f'{{"lockfileVersion": 3, "packages": {{"": {_json_nest(depth, style)}}}}}'.encode()


def _bun_lock(depth: int, style: bool) -> bytes:
    return f'{{"lockfileVersion": 1, "workspaces": {{"": {_json_nest(depth, style)}}}}}'.encode()


def _pipfile_lock(depth: int, style: bool) -> bytes:
    return f'{{"_meta": {{"pipfile-spec": 6}}, "default": {_json_nest(depth, style)}}}'.encode()


def _pnpm_lock(depth: int, style: bool) -> bytes:
    flow = min(depth, 900)  # libyaml stops at 1000 levels itself
    nest = ("{a: " * depth + "1" + "}" * depth) if style else ("[" * flow + "]" * flow)
    return f"lockfileVersion: '9.0'\nimporters:\n  .: {nest}\n".encode()


def _uv_lock(depth: int, style: bool) -> bytes:
    nest = ("{a = " * depth + "1" + "}" * depth) if style else ("[" * depth + "]" * depth)
    head = "version = 1\nrequires-python = '>=3.9'\n\n[[package]]\nname = 'a'\n"
    return f"{head}x = {nest}\n".encode()


def _config_yaml(depth: int, style: bool) -> bytes:
    flow = min(depth, 900)
    nest = ("- " * flow + "x") if style else ("[" * flow + "]" * flow)
    return f"model_name_or_path: org/model\nlayers:\n  {nest}\n".encode()


def _config_json(depth: int, style: bool) -> bytes:
    return f'{{"model_name_or_path": "org/model", "x": {_json_nest(depth, style)}}}'.encode()


def _safetensors(depth: int, style: bool) -> bytes:
    header = f'{{"__metadata__": {{"a": "b"}}, "x": {_json_nest(depth, style)}}}'.encode()
    return struct.pack("<Q", len(header)) + header


def _keras(depth: int, style: bool) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", _json_nest(depth, style))
        archive.writestr("metadata.json", '{"keras_version": "3.0.0"}')
    return buffer.getvalue()


def _pickle(depth: int, style: bool) -> bytes:
    # A dict whose key is a tuple nested `depth` deep (hashing it recursed in C), or a list.
    nest = b")" + b"\x85" * depth if style else b"]" + b"\x85" * depth
    return b"\x80\x02}" + nest + b"Ns."


def _package_json(depth: int, style: bool) -> bytes:
    return f'{{"name": "a", "version": "1.0.0", "x": {_json_nest(depth, style)}}}'.encode()


ENTRY_POINTS: dict[str, tuple[str, Callable[[int, bool], bytes]]] = {
    "package-lock": ("package-lock.json", _package_lock),
    "bun-lock": ("bun.lock", _bun_lock),
    "pipfile-lock": ("Pipfile.lock", _pipfile_lock),
    "pnpm-lock": ("pnpm-lock.yaml", _pnpm_lock),
    "uv-lock": ("uv.lock", _uv_lock),
    "config-yaml": ("train.yaml", _config_yaml),
    "config-json": ("train.json", _config_json),
    "safetensors": ("model.safetensors", _safetensors),
    "keras": ("model.keras", _keras),
    "pickle": ("model.pkl", _pickle),
}


def _scan(name: str, data: bytes) -> tuple[Outcome, dict[str, object]]:
    outcome = run_bounded(
        "tests.bounds.targets:scan_folder", data, name=name, cpu_seconds=20, wall_seconds=60
    )
    assert_bounded(outcome)
    assert outcome.result is not None, outcome.describe()
    return outcome, json.loads(outcome.result)


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_very_deep_input_is_a_diagnostic_at_every_entry_point(entry: str) -> None:
    name, build = ENTRY_POINTS[entry]
    outcome, report = _scan(name, build(100_000, True))
    assert report["exit"] == 0, outcome.describe()
    if entry != "pickle":  # the pickle scanner follows it to the end: nothing to report
        assert any(w in str(d) for d in report["diagnostics"] for w in ("deep", "depth")), report  # type: ignore[attr-defined]


@examples(10)
@given(
    entry=st.sampled_from(sorted(ENTRY_POINTS)),
    depth=st.integers(90, 300_000),
    style=st.booleans(),
)
def test_nesting_of_any_depth_never_crashes(entry: str, depth: int, style: bool) -> None:
    name, build = ENTRY_POINTS[entry]
    outcome, report = _scan(name, build(depth, style))
    assert report["exit"] == 0, outcome.describe()


def _bomb(levels: int, fanout: int) -> str:
    """The billion-laughs shape: each level an anchored list of `fanout` aliases of the last."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * fanout) + "]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*a{level - 1}"] * fanout)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    return "\n".join(lines) + "\n"


BOMB_FILES = {
    "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
    "yarn.lock": "__metadata:\n  version: 8\n",
    "train.yaml": "model_name_or_path: org/model\n",
}


@examples(6)
@given(
    name=st.sampled_from(sorted(BOMB_FILES)),
    levels=st.integers(7, 12),
    fanout=st.integers(8, 12),
)
def test_yaml_alias_bombs_are_refused_while_loading(name: str, levels: int, fanout: int) -> None:
    data = (BOMB_FILES[name] + _bomb(levels, fanout)).encode()
    assert len(data) < 2000
    outcome, report = _scan(name, data)
    assert report["exit"] == 0, outcome.describe()
    assert any("aliases expand" in str(d) for d in report["diagnostics"]), report  # type: ignore[attr-defined]
    assert outcome.maxrss_mb < 256, outcome.describe()


@examples(4)
@given(deps=st.integers(1100, 3000), users=st.integers(1100, 3000))
def test_pnpm_alias_edge_amplification_is_refused(deps: int, users: int) -> None:
    """One anchored `dependencies` mapping shared by every snapshot: deps times users edges."""
    lines = ["lockfileVersion: '9.0'", "importers:", "  .: {}", "packages:"]
    lines += [f"  d{i}@1.0.0: {{resolution: {{integrity: sha512-x}}}}" for i in range(deps)]
    lines += [f"  u{i}@1.0.0: {{resolution: {{integrity: sha512-x}}}}" for i in range(users)]
    lines += ["snapshots:"]
    block = ", ".join(f"d{i}: 1.0.0" for i in range(deps))
    lines += [f"  d{i}@1.0.0: {{}}" for i in range(deps)]
    lines += ["  u0@1.0.0:", f"    dependencies: &deps {{{block}}}"]
    lines += [f"  u{i}@1.0.0: {{dependencies: *deps}}" for i in range(1, users)]
    outcome, report = _scan("pnpm-lock.yaml", "\n".join(lines).encode())
    assert any("aliases expand" in str(d) for d in report["diagnostics"]), report  # type: ignore[attr-defined]
    assert outcome.maxrss_mb < 256, outcome.describe()


def test_edges_past_the_per_package_bound_are_cut_with_a_diagnostic() -> None:
    from auditor.collectors.npm_common import MAX_EDGES_PER_PACKAGE

    count = MAX_EDGES_PER_PACKAGE + 10
    lines = ["lockfileVersion: '9.0'", "importers:", "  .:", "    dependencies:"]
    lines += [f"      d{i}: {{specifier: 1.0.0, version: 1.0.0}}" for i in range(count)]
    lines += ["packages:"]
    lines += [f"  d{i}@1.0.0: {{resolution: {{integrity: sha512-x}}}}" for i in range(count)]
    lines += ["snapshots:"] + [f"  d{i}@1.0.0: {{}}" for i in range(count)]
    outcome, report = _scan("pnpm-lock.yaml", "\n".join(lines).encode())
    assert report["exit"] == 0, outcome.describe()
    assert any("10 dependency edges past" in str(d) for d in report["diagnostics"]), report  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["pyproject.toml", "auditor.toml"])
def test_a_deep_project_policy_file_is_a_policy_error(name: str) -> None:
    """The scanned project's own policy (`[tool.auditor]` or auditor.toml) is read too: a
    deep one is a policy file with errors (exit 2, one line), not a RecursionError."""
    nest = "[" * 5000 + "]" * 5000
    table = "[tool.auditor]\n" if name == "pyproject.toml" else ""
    outcome = run_bounded(
        "tests.bounds.targets:scan_folder", f"{table}x = {nest}\n".encode(), name=name
    )
    assert_bounded(outcome)
    assert outcome.result is not None and '"exit": 2' in outcome.result, outcome.describe()
    assert "nested deeper than 100 levels" in outcome.stderr, outcome.stderr
