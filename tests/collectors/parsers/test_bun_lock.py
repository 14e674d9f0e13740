"""bun.lock against `bun pm ls --all` for the same install (tests/data/js/bun)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.collectors import Collected
from auditor.collectors.parsers import bun_lock
from auditor.errors import ParseError
from auditor.sources.directory import DirectoryTree
from tests.collectors.parsers.test_yarn_lock import ALIASES, DATA, WORKSPACES, declared_edges

BUN = DATA / "bun"


def _account() -> set[tuple[str, str | None]]:
    """(name, version) per package line of bun's tree; `local-pkg@local-pkg` is the folder."""
    found = set()
    for line in (BUN / "ls.txt").read_text().splitlines()[1:]:
        name, _, version = re.sub(r"^[\s│├└─]+", "", line).rpartition("@")
        if name not in WORKSPACES and not version.startswith("workspace:"):
            found.add((ALIASES.get(name, name), None if version == name else version))
    return found


def _parse() -> Collected:
    return bun_lock.parse(DirectoryTree("t", BUN), "bun.lock")


def test_inventory_matches_bun_ls() -> None:
    collected = _parse()
    assert {(c.name, c.version) for c in collected.components} == _account()
    assert all(h.startswith("sha512:") for c in collected.components for h in c.hashes)


def test_root_and_workspace_edges() -> None:
    collected = _parse()
    names = {c.purl: c.name for c in collected.components}
    root = "pkg:npm/auditor-js-fixture"  # bun.lock records no version for the project
    from_root = {(names[d.target], d.scope) for d in collected.dependencies if d.source == root}
    assert from_root == declared_edges() | {("scheduler", "peer")}
    from_ws = {d.target for d in collected.dependencies if d.source == "pkg:npm/ws-a@0.2.0"}
    assert from_ws == {"pkg:npm/semver@6.3.2"}
    nested = {d.target for d in collected.dependencies if d.source == "pkg:npm/is-odd@3.0.1"}
    assert nested == {"pkg:npm/is-number@6.0.0"}  # is-odd's own copy, not the hoisted 7.0.0


def test_lines_point_at_package_keys() -> None:
    lines = (BUN / "bun.lock").read_text().splitlines()
    for component in _parse().components:
        for location in component.locations:
            assert location.line and lines[location.line - 1].startswith('    "')


GIT_AND_LINK = """{
  // comments and trailing commas are allowed
  "lockfileVersion": 1,
  "workspaces": {
    "": {
      "name": "app",
      "dependencies": { "gitdep": "github:example/gitdep#0123abcd", "linked": "link:linked", },
    },
  },
  "packages": {
    "gitdep": ["gitdep@github:example/gitdep#0123abcd", {}, "example-gitdep-0123abcd"],
    "linked": ["linked@link:linked", {}],
  },
}
"""


def test_git_and_link_sources(tmp_path: Path) -> None:
    (tmp_path / "bun.lock").write_text(GIT_AND_LINK)
    collected = bun_lock.parse(DirectoryTree("t", tmp_path), "bun.lock")
    assert {c.purl for c in collected.components} == {
        "pkg:npm/gitdep?vcs_url=git%2Bhttps://github.com/example/gitdep%400123abcd",
        "pkg:npm/linked?download_url=link:linked",
    }
    assert len(collected.findings) == 2 and all(c.direct for c in collected.components)


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ('{"lockfileVersion": 9}', 1, "lockfileVersion"),
        ('{"lockfileVersion": 1,\n "packages": {\n', 3, "JSON"),
        ('{"lockfileVersion": 1, "packages": []}', None, "objects"),
        ('{"lockfileVersion": 1, "packages": {\n    "a": [1],\n}}', 2, "name@version"),
        ('{"lockfileVersion": 1, "packages": {\n    "a": ["a"],\n}}', 2, "name@"),
        (
            '{"lockfileVersion": 1, "packages": {\n    "a": ["a@1", "", '
            '{"dependencies": {"b": "^1"}}],\n}}',
            2,
            "'b'",
        ),
    ],
)
def test_unusable_locks_raise_parse_error(
    tmp_path: Path, text: str, line: int | None, needle: str
) -> None:
    (tmp_path / "bun.lock").write_text(text)
    with pytest.raises(ParseError) as info:
        bun_lock.parse(DirectoryTree("t", tmp_path), "bun.lock")
    assert info.value.path == "bun.lock" and info.value.line == line
    assert needle in str(info.value)


def test_sniff() -> None:
    assert bun_lock.sniff((BUN / "bun.lock").read_bytes()[:256])
    assert not bun_lock.sniff(b'{"name": "x", "lockfileVersion": 3}')


_SEED = (BUN / "bun.lock").read_text()[:6000]


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    lines = _SEED.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        junk = st.sampled_from(['"', ",", "[", "{}", "//", "/*", '"a": []', "1", "null"])
        at = draw(st.integers(0, len(lines[index])))
        lines[index] = lines[index][:at] + draw(junk | st.text(max_size=8)) + lines[index][at:]
    return "\n".join(lines)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(_mutated(), st.text(max_size=200)))
def test_only_parse_errors_escape(tmp_path: Path, text: str) -> None:
    (tmp_path / "bun.lock").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        bun_lock.parse(DirectoryTree("t", tmp_path), "bun.lock")
    except ParseError as exc:
        assert exc.path == "bun.lock"
