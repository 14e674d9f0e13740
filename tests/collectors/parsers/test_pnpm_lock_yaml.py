"""pnpm-lock.yaml v6 and v9 against `pnpm list --json --depth Infinity` (tests/data/js/pnpm)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.collectors.parsers import pnpm_lock_yaml
from auditor.errors import ParseError
from auditor.sources.directory import DirectoryTree
from tests.collectors.parsers.test_yarn_lock import DATA, declared_edges, parse_with_input

PNPM = DATA / "pnpm"


def _account(version: str) -> set[tuple[str, str | None]]:
    """(name, version) of every installed package pnpm lists, projects excluded."""
    found: set[tuple[str, str | None]] = set()

    def walk(deps: dict[str, Any]) -> None:
        for alias, node in deps.items():
            if node["version"].startswith("link:"):
                continue  # a workspace project
            local = node["version"].startswith("file:")
            found.add((node.get("from", alias), None if local else node["version"]))
            walk(node.get("dependencies", {}))

    for project in json.loads((PNPM / version / "list.json").read_text()):
        for section in ("dependencies", "devDependencies", "optionalDependencies"):
            walk(project.get(section, {}))
    return found


@pytest.mark.parametrize("version", ["v6", "v9"])
def test_inventory_matches_pnpm_list(tmp_path: Path, version: str) -> None:
    lock = PNPM / version / "pnpm-lock.yaml"
    collected = parse_with_input(tmp_path, lock, pnpm_lock_yaml.parse)
    assert {(c.name, c.version) for c in collected.components} == _account(version)
    root = "pkg:npm/auditor-js-fixture@1.0.0"
    names = {c.purl: c.name for c in collected.components}
    from_root = {(names[d.target], d.scope) for d in collected.dependencies if d.source == root}
    # pnpm installs the project's own peer (autoInstallPeers): an edge with scope `peer`
    assert from_root == declared_edges() | {("scheduler", "peer")}
    (local,) = [c for c in collected.components if c.name == "local-pkg"]
    assert local.purl == "pkg:npm/local-pkg?download_url=file:local-pkg"
    assert [f.purl for f in collected.findings] == [local.purl]


def test_both_versions_agree() -> None:
    v6, v9 = (
        pnpm_lock_yaml.parse(DirectoryTree(v, PNPM / v), "pnpm-lock.yaml") for v in ("v6", "v9")
    )
    assert {(c.purl, c.hashes) for c in v6.components} == {
        (c.purl, c.hashes) for c in v9.components
    }
    assert set(v6.dependencies) == set(v9.dependencies)
    assert all(h.startswith("sha512:") for c in v9.components for h in c.hashes)


@pytest.mark.parametrize("version", ["v6", "v9"])
def test_peer_suffixes_are_not_versions_and_lines_point_at_keys(version: str) -> None:
    lines = (PNPM / version / "pnpm-lock.yaml").read_text().splitlines()
    collected = pnpm_lock_yaml.parse(DirectoryTree("t", PNPM / version), "pnpm-lock.yaml")
    assert not any("(" in (c.version or "") for c in collected.components)
    for component in collected.components:
        (location,) = component.locations
        assert location.line and lines[location.line - 1].startswith("  ")
        assert component.name in lines[location.line - 1]


GIT_AND_TARBALL = """lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      gitdep:
        specifier: github:example/gitdep#0123abcd
        version: https://codeload.github.com/example/gitdep/tar.gz/0123abcd
      tardep:
        specifier: https://user:tok3n@example.invalid/tardep-1.0.0.tar.gz
        version: https://user:tok3n@example.invalid/tardep-1.0.0.tar.gz

packages:

  gitdep@https://codeload.github.com/example/gitdep/tar.gz/0123abcd:
    resolution: {type: git, repo: https://github.com/example/gitdep.git, commit: 0123abcd}
    version: 2.0.0

  tardep@https://user:tok3n@example.invalid/tardep-1.0.0.tar.gz:
    resolution: {tarball: https://user:tok3n@example.invalid/tardep-1.0.0.tar.gz}
    version: 1.0.0

snapshots:

  gitdep@https://codeload.github.com/example/gitdep/tar.gz/0123abcd: {}

  tardep@https://user:tok3n@example.invalid/tardep-1.0.0.tar.gz: {}
"""


def test_git_and_tarball_sources(tmp_path: Path) -> None:
    (tmp_path / "pnpm-lock.yaml").write_text(GIT_AND_TARBALL)
    collected = pnpm_lock_yaml.parse(DirectoryTree("t", tmp_path), "pnpm-lock.yaml")
    assert "tok3n" not in repr(collected)
    assert {c.purl for c in collected.components} == {
        "pkg:npm/gitdep@2.0.0?vcs_url=git%2Bhttps://github.com/example/gitdep.git%400123abcd",
        "pkg:npm/tardep@1.0.0?download_url=https://example.invalid/tardep-1.0.0.tar.gz",
    }
    assert {f.evidence[0].field for f in collected.findings} == {"source.git", "source.url"}
    assert all(c.direct for c in collected.components)


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("lockfileVersion: '5.4'\n", 1, "5.4"),
        ("- a\n", 1, "mapping"),
        ("lockfileVersion: '9.0'\npackages: [\n", 3, "YAML"),
        ("lockfileVersion: '9.0'\npackages:\n  a@1.0.0: 3\n", 3, "mapping"),
        ("lockfileVersion: '9.0'\npackages:\n  nope:\n    resolution: 1\n", 3, "resolution"),
        (
            "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {}\nsnapshots:\n"
            "  a@1.0.0:\n    dependencies:\n      b: 2.0.0\n",
            3,
            "b 2.0.0",
        ),
        ("lockfileVersion: '9.0'\nsnapshots:\n  a@1.0.0: {}\n", 3, "no package"),
    ],
)
def test_unusable_locks_raise_parse_error(
    tmp_path: Path, text: str, line: int | None, needle: str
) -> None:
    (tmp_path / "pnpm-lock.yaml").write_text(text)
    with pytest.raises(ParseError) as info:
        pnpm_lock_yaml.parse(DirectoryTree("t", tmp_path), "pnpm-lock.yaml")
    assert info.value.path == "pnpm-lock.yaml" and info.value.line == line
    assert needle in str(info.value)


def test_sniff() -> None:
    assert pnpm_lock_yaml.sniff((PNPM / "v6" / "pnpm-lock.yaml").read_bytes()[:256])
    assert not pnpm_lock_yaml.sniff((DATA / "yarn-berry" / "yarn.lock").read_bytes()[:256])


_SEEDS = [(PNPM / v / "pnpm-lock.yaml").read_text()[:5000] for v in ("v6", "v9")]


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(_SEEDS)).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        junk = st.sampled_from(["x", "[]", "{}", "1", "link:..", "/a@1", "'9.0'", "(", "a@1(b@2)"])
        if draw(st.booleans()) and ": " in lines[index]:
            lines[index] = f"{lines[index].split(': ')[0]}: {draw(junk)}"
        else:
            lines[index] = draw(st.text(max_size=20))
    return "\n".join(lines)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(_mutated(), st.text(max_size=200)))
def test_only_parse_errors_escape(tmp_path: Path, text: str) -> None:
    (tmp_path / "pnpm-lock.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        pnpm_lock_yaml.parse(DirectoryTree("t", tmp_path), "pnpm-lock.yaml")
    except ParseError as exc:
        assert exc.path == "pnpm-lock.yaml"
