"""package-lock.json parser against npm's own account of the same trees (tests/data/js/npm).

The locks were written by npm itself from the shared input (tests/data/js/input); `ls.json`
is `npm ls --all --long --json` over a real `npm ci` of the v3 lock (v2 and the shrinkwrap
lock the same tree) and, for v1, npm 6's over its own install.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.collectors import Collected, npm_common
from auditor.collectors.parsers import package_lock_json, parser_for
from auditor.errors import ParseError
from auditor.model import Component
from auditor.sources.directory import DirectoryTree
from tests.conftest import write_files

DATA = Path(__file__).parents[2] / "data" / "js" / "npm"
LOCKS = {
    "v1": "package-lock.json",
    "v2": "package-lock.json",
    "v3": "package-lock.json",
    "shrinkwrap": "npm-shrinkwrap.json",
}
Key = tuple[str, str]


def _parse(kind: str) -> Collected:
    return package_lock_json.parse(DirectoryTree(kind, DATA / kind), LOCKS[kind])


def _ls_nodes(
    node: dict[str, Any], parent: Key | None = None
) -> Iterator[tuple[Key | None, dict[str, Any]]]:
    """(parent name@version, node) for every node of an `npm ls` tree, depth first."""
    for child in node.get("dependencies", {}).values():
        if "path" not in child:
            continue  # npm 6 lists a missing peer dependency with its range as `version`
        yield parent, child
        yield from _ls_nodes(child, (child["name"], child["version"]))


def npm_account(kind: str) -> dict[str, Any]:
    """npm's account: installed packages, direct ones, flags and edges, workspaces left out."""
    ls = json.loads((DATA / ("v1" if kind == "v1" else "v3") / "ls.json").read_text())
    workspaces = {json.loads((DATA / kind / "packages/ws-a/package.json").read_text())["name"]}
    nodes = list(_ls_nodes(ls))
    packages: dict[Key, set[str]] = {}
    flags: dict[Key, list[dict[str, Any]]] = {}
    for _, node in nodes:
        key = (node["name"], node["version"])
        if node["name"] in workspaces:
            continue
        integrity = node.get("integrity") or node.get("_integrity")
        packages.setdefault(key, set()).update(npm_common.integrity_hashes(integrity))
        flags.setdefault(key, []).append(node)
    top = {(n["name"], n["version"]) for n in ls["dependencies"].values() if "path" in n}
    ws_children = {
        (c["name"], c["version"])
        for n in ls["dependencies"].values()
        if n["name"] in workspaces
        for c in n.get("dependencies", {}).values()
    }
    edges = {(p, (n["name"], n["version"])) for p, n in nodes if p is not None}
    return {
        "packages": packages,
        "direct": (top | ws_children) - {k for k in top if k[0] in workspaces},
        "flags": flags,
        "edges": {(p, c) for p, c in edges if p[0] not in workspaces},
    }


def _key(component: Component) -> Key:
    assert component.version is not None
    return component.name, component.version


@pytest.mark.parametrize("kind", LOCKS)
def test_inventory_matches_npm_ls(kind: str) -> None:
    collected, account = _parse(kind), npm_account(kind)
    got: dict[Key, set[str]] = {}
    for c in collected.components:
        got.setdefault(_key(c), set()).update(c.hashes)
    assert got == account["packages"]
    assert len(got) > 50
    direct = {_key(c) for c in collected.components if c.direct}
    assert direct == account["direct"]


@pytest.mark.parametrize("kind", LOCKS)
def test_edges_match_npm_ls(kind: str) -> None:
    collected, account = _parse(kind), npm_account(kind)
    names = {c.purl: _key(c) for c in collected.components}
    got = {(names[d.source], names[d.target]) for d in collected.dependencies if d.source in names}
    assert got == account["edges"]


@pytest.mark.parametrize("kind", ["v2", "v3", "shrinkwrap"])
def test_dev_optional_peer_scopes_give_npm_flags(kind: str) -> None:
    """npm flags a package dev/optional/peer when only edges of that scope reach it."""
    collected, account = _parse(kind), npm_account(kind)
    roots = {d.source for d in collected.dependencies} - {c.purl for c in collected.components}
    keys = {c.purl: _key(c) for c in collected.components}
    for scope in ("dev", "optional", "peer"):
        reached, todo = set(roots), list(roots)
        while todo:
            source = todo.pop()
            for d in collected.dependencies:
                if d.source == source and d.scope != scope and d.target not in reached:
                    reached.add(d.target)
                    todo.append(d.target)
        flagged = {keys[p] for p in keys if p not in reached}
        expected = {k for k, nodes in account["flags"].items() if all(n.get(scope) for n in nodes)}
        assert flagged == expected, scope
    assert any(d.scope == "peer" for d in collected.dependencies)


def test_alias_local_and_workspace() -> None:
    collected = _parse("v3")
    by_purl = {c.purl: c for c in collected.components}
    alias = [c for c in collected.components if any(e.field == "alias" for e in c.evidence)]
    assert [(c.name, c.evidence[0].value) for c in alias] == [("lodash", "my-lodash")]
    local = by_purl["pkg:npm/local-pkg@0.1.0?download_url=file:local-pkg"]
    assert local.direct and local.evidence[0].value == "file:local-pkg"
    assert [f.rule for f in collected.findings] == ["package.direct-reference"]
    assert not any(c.name == "ws-a" for c in collected.components)
    assert any(d.source == "pkg:npm/ws-a@0.2.0" for d in collected.dependencies)
    assert not any("registry.invalid" in c.purl for c in collected.components)


def test_lines_point_at_package_keys() -> None:
    for kind, name in LOCKS.items():
        lines = (DATA / kind / name).read_text().splitlines()
        for c in _parse(kind).components:
            line = c.locations[0].line
            assert line is not None
            key = lines[line - 1].strip().split('"')[1]
            assert key.rpartition("node_modules/")[2] in (c.name, "my-lodash") or kind == "v1"


def _write(tmp_path: Path, doc: Any, name: str = "package-lock.json") -> Collected:
    text = doc if isinstance(doc, str) else json.dumps(doc, indent=2)
    write_files(tmp_path, {name: text})
    return package_lock_json.parse(DirectoryTree("t", tmp_path), name)


def test_sources_nested_resolution_and_hashes(tmp_path: Path) -> None:
    sha1 = base64.b64encode(hashlib.sha1(b"x").digest()).decode()
    sha512 = base64.b64encode(hashlib.sha512(b"x").digest()).decode()
    collected = _write(
        tmp_path,
        {
            "lockfileVersion": 3,
            "packages": {
                "": {"name": "app", "version": "1.0.0", "dependencies": {"a": "^1", "g": "x"}},
                "node_modules/a": {"version": "1.0.0", "dependencies": {"b": "^1"}},
                "node_modules/a/node_modules/b": {"version": "1.0.0", "dependencies": {"c": "1"}},
                "node_modules/c": {"version": "2.0.0", "integrity": f"sha512-{sha512} sha1-{sha1}"},
                "node_modules/a/node_modules/c": {"version": "1.0.0"},
                "node_modules/g": {
                    "version": "0.1.0",
                    "resolved": "git+ssh://git@github.com/o/g.git#0123abc",
                },
                "node_modules/u": {
                    "version": "0.2.0",
                    "resolved": "https://user:secret@example.com/u.tgz",
                },
            },
        },
    )
    by_name = {(c.name, c.version): c for c in collected.components}
    purl = {k: c.purl for k, c in by_name.items()}
    edges = {(d.source, d.target) for d in collected.dependencies}
    # b sits in a/node_modules: its c is a's copy (1.0.0), not the hoisted 2.0.0
    assert (purl["b", "1.0.0"], purl["c", "1.0.0"]) in edges
    assert by_name["c", "2.0.0"].hashes == (
        f"sha1:{hashlib.sha1(b'x').hexdigest()}",
        f"sha512:{hashlib.sha512(b'x').hexdigest()}",
    )
    assert purl["g", "0.1.0"] == (
        "pkg:npm/g@0.1.0?vcs_url=git%2Bssh://git%40github.com/o/g.git%400123abc"
    )
    assert "secret" not in purl["u", "0.2.0"] and "download_url" in purl["u", "0.2.0"]
    assert len(collected.findings) == 2


def test_v1_without_package_json(tmp_path: Path) -> None:
    doc = {
        "name": "app",
        "lockfileVersion": 1,
        "dependencies": {
            "@s/x": {"version": "1.0.0", "requires": {"y": "^1"}},
            "y": {"version": "npm:z@1.2.0", "dev": True},
        },
    }
    collected = _write(tmp_path, doc)
    assert [c.purl for c in collected.components] == ["pkg:npm/%40s/x@1.0.0", "pkg:npm/z@1.2.0"]
    assert [c.locations[0].line for c in collected.components] == [5, 11]
    assert {(d.source, d.target) for d in collected.dependencies} == {
        ("pkg:npm/%40s/x@1.0.0", "pkg:npm/z@1.2.0")
    }


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ('{"lockfileVersion": 4, "packages": {}}', "lockfileVersion", None),
        ('{"packages": {}}', "lockfileVersion", None),
        ('{\n  "lockfileVersion": 3,\n  "packages": {\n    "x": 1,\n', "not valid JSON", 5),
        (
            '{\n "lockfileVersion": 3,\n "packages": {\n  "node_modules/a": []\n }\n}',
            "object",
            None,
        ),
        (
            '{\n "lockfileVersion": 3,\n "packages": {\n  "node_modules/a": {\n   "version": 1}}}',
            "string",
            4,
        ),
        ('{"lockfileVersion": 2}', "packages", None),
        ('{"lockfileVersion": 1, "dependencies": {"a": {"requires": []}}}', "must map", None),
        ("[]", "JSON object", 1),
    ],
)
def test_malformed(tmp_path: Path, text: str, message: str, line: int | None) -> None:
    with pytest.raises(ParseError) as info:
        _write(tmp_path, text)
    assert message in info.value.reason
    assert info.value.message.startswith("package-lock.json")
    if line is not None:
        assert info.value.line == line


def test_registered_and_sniffed() -> None:
    assert parser_for("a/npm-shrinkwrap.json") is package_lock_json.PARSER
    assert parser_for("lock.json", b'{\n  "name": "x",\n  "lockfileVersion": 3') is not None


@given(st.binary(min_size=1, max_size=64), st.sampled_from(["sha1", "sha256", "sha512"]))
def test_integrity_is_hex_of_base64(digest: bytes, algorithm: str) -> None:
    sri = f"{algorithm}-{base64.b64encode(digest).decode()}"
    assert npm_common.integrity_hashes(sri) == (f"{algorithm}:{digest.hex()}",)


@given(
    st.lists(st.sampled_from(["a", "b", "@s/c"]), min_size=1, max_size=5),
    st.sampled_from(["a", "b", "@s/c"]),
)
def test_resolution_finds_the_nearest_copy(chain: list[str], name: str) -> None:
    folders = ["/".join(f"node_modules/{n}" for n in chain[:i]) for i in range(len(chain) + 1)]
    known = {f"{f}/node_modules/{name}".lstrip("/"): None for f in folders}
    deepest = folders[-1]
    assert npm_common.resolve(deepest, name, known) == f"{deepest}/node_modules/{name}".lstrip("/")
    del known[f"{deepest}/node_modules/{name}".lstrip("/")]
    expected = f"{folders[-2]}/node_modules/{name}".lstrip("/")
    assert npm_common.resolve(deepest, name, known) == expected


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-2, 4)
    | st.text(max_size=8)
    | st.sampled_from(["@s/", "http://[x", "npm:a@1", "file:x", "git+ssh://h/x#y", "sha1-AA=="]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "",
                    "node_modules/a",
                    "node_modules/a/node_modules/b",
                    "a",
                    "version",
                    "name",
                    "resolved",
                    "integrity",
                    "link",
                    "dependencies",
                    "requires",
                    "workspaces",
                    "optionalDependencies",
                    "node_modules/@s/",
                    "peerDependencies",
                    "devDependencies",
                    "packages",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@given(
    version=st.sampled_from([1, 2, 3]),
    body=st.dictionaries(st.sampled_from(["packages", "dependencies", "name"]), _JSON, max_size=3),
)
def test_structured_garbage_raises_only_parse_errors(version: int, body: dict[str, Any]) -> None:
    """Well-formed JSON of the wrong shape: a result or a ParseError naming the file."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        try:
            _write(Path(tmp), {"lockfileVersion": version, **body})
        except ParseError as exc:
            assert exc.message.startswith("package-lock.json")
