"""yarn.lock (classic and Berry) against yarn's own account of the same installs (tests/data/js)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.collectors import Collected, npm_common
from auditor.collectors.parsers import pnpm_lock_yaml, yarn_lock
from auditor.errors import ParseError
from auditor.sources.directory import DirectoryTree

DATA = Path(__file__).parents[2] / "data" / "js"
MANIFEST = json.loads((DATA / "input" / "package.json").read_text())
ALIASES = {
    alias: spec[4:].rpartition("@")[0]
    for alias, spec in MANIFEST["dependencies"].items()
    if spec.startswith("npm:")
}
WORKSPACES = {"auditor-js-fixture", "ws-a"}


def parse_with_input(tmp_path: Path, lock: Path, parse: object) -> Collected:
    """Parse `lock` next to a copy of the shared input (its package.json files)."""
    shutil.copytree(DATA / "input", tmp_path, dirs_exist_ok=True)
    shutil.copy(lock, tmp_path / lock.name)
    return parse(DirectoryTree("t", tmp_path), lock.name)  # type: ignore[operator, no-any-return]


def declared_edges() -> set[tuple[str, str | None]]:
    """(real name, scope) of what the project's package.json asks for itself."""
    scopes = {"dependencies": None, "devDependencies": "dev", "optionalDependencies": "optional"}
    return {
        (ALIASES.get(name, name), scope)
        for section, scope in scopes.items()
        for name in MANIFEST[section]
    }


def _classic_account() -> set[tuple[str, str]]:
    def walk(nodes: list[dict[str, object]]) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for node in nodes:
            if not node.get("shadow"):
                name, _, version = str(node["name"]).rpartition("@")
                found.add((ALIASES.get(name, name), version))
            found |= walk(node.get("children", []))  # type: ignore[arg-type]
        return found

    trees = json.loads((DATA / "yarn-classic" / "list.json").read_text())["data"]["trees"]
    return {(n, v) for n, v in walk(trees) if n not in WORKSPACES}


def _berry_account() -> list[dict[str, object]]:
    lines = (DATA / "yarn-berry" / "info.json").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _locator(locator: str) -> tuple[str, str]:
    """name and reference of a Berry locator (virtual instances are their base package)."""
    name, reference = npm_common.split_name("info", locator, None)
    return name, reference.partition("#")[2] if reference.startswith("virtual:") else reference


def test_classic_matches_yarn_list(tmp_path: Path) -> None:
    collected = parse_with_input(tmp_path, DATA / "yarn-classic" / "yarn.lock", yarn_lock.parse)
    got = {(c.name, c.version) for c in collected.components}
    assert got == _classic_account()
    assert len(got) > 50


def test_berry_matches_yarn_info(tmp_path: Path) -> None:
    collected = parse_with_input(tmp_path, DATA / "yarn-berry" / "yarn.lock", yarn_lock.parse)
    expected = {
        (_locator(str(e["value"]))[0], str(e["children"]["Version"]))  # type: ignore[index]
        for e in _berry_account()
        if "@workspace:" not in str(e["value"])
    }
    assert {(c.name, c.version) for c in collected.components} == expected


def test_berry_edges_match_yarn_info(tmp_path: Path) -> None:
    collected = parse_with_input(tmp_path, DATA / "yarn-berry" / "yarn.lock", yarn_lock.parse)
    names = {c.purl: (c.name, c.version) for c in collected.components}
    roots = {"pkg:npm/auditor-js-fixture@1.0.0": "auditor-js-fixture", "pkg:npm/ws-a@0.2.0": "ws-a"}
    got = {
        (roots.get(d.source) or names[d.source], names[d.target]) for d in collected.dependencies
    }
    account = _berry_account()
    versions = {_locator(str(e["value"])): str(e["children"]["Version"]) for e in account}  # type: ignore[index]
    expected = set()
    for entry in account:
        source = _locator(str(entry["value"]))
        key = source[0] if "workspace:" in source[1] else (source[0], versions[source])
        for dep in entry["children"].get("Dependencies", []):  # type: ignore[attr-defined]
            target = _locator(dep["locator"])
            expected.add((key, (target[0], versions[target])))
    assert got == expected


@pytest.mark.parametrize("flavour", ["yarn-classic", "yarn-berry"])
def test_root_edges_follow_package_json(tmp_path: Path, flavour: str) -> None:
    collected = parse_with_input(tmp_path, DATA / flavour / "yarn.lock", yarn_lock.parse)
    root = "pkg:npm/auditor-js-fixture@1.0.0"
    names = {c.purl: c.name for c in collected.components}
    from_root = {(names[d.target], d.scope) for d in collected.dependencies if d.source == root}
    assert from_root == declared_edges()  # the peer `scheduler` is not installed by yarn
    direct = {c.name for c in collected.components if c.direct}
    assert direct == {n for n, _ in declared_edges()} | {"semver"}  # semver@6: ws-a's


@pytest.mark.parametrize("flavour", ["yarn-classic", "yarn-berry"])
def test_local_package_keeps_its_source(tmp_path: Path, flavour: str) -> None:
    collected = parse_with_input(tmp_path, DATA / flavour / "yarn.lock", yarn_lock.parse)
    (local,) = [c for c in collected.components if c.name == "local-pkg"]
    assert local.purl == "pkg:npm/local-pkg@0.1.0?download_url=file:local-pkg"
    assert [(f.rule, f.purl) for f in collected.findings] == [
        ("package.direct-reference", local.purl)
    ]


def test_classic_hashes_match_the_pnpm_lock(tmp_path: Path) -> None:
    classic = parse_with_input(tmp_path / "a", DATA / "yarn-classic" / "yarn.lock", yarn_lock.parse)
    pnpm = pnpm_lock_yaml.parse(DirectoryTree("p", DATA / "pnpm" / "v9"), "pnpm-lock.yaml")
    other = {c.purl: set(c.hashes) for c in pnpm.components}
    lines = (DATA / "yarn-classic" / "yarn.lock").read_text().splitlines()
    for component in classic.components:
        sha512 = {h for h in component.hashes if h.startswith("sha512:")}
        if component.name != "local-pkg":
            assert sha512 and sha512 <= other[component.purl]
            sha1 = next(h for h in component.hashes if h.startswith("sha1:"))
            line = component.locations[0].line
            assert line and sha1[5:] in lines[line + 1]  # `resolved "…#<sha1>"`


def test_berry_checksums_are_not_called_tarball_hashes(tmp_path: Path) -> None:
    collected = parse_with_input(tmp_path, DATA / "yarn-berry" / "yarn.lock", yarn_lock.parse)
    text = (DATA / "yarn-berry" / "yarn.lock").read_text()
    for component in collected.components:
        (digest,) = component.hashes
        assert digest.startswith("yarn-zip-sha512:") and f"10c0/{digest[16:]}" in text


@pytest.mark.parametrize("flavour", ["yarn-classic", "yarn-berry"])
def test_every_component_points_at_its_entry(flavour: str) -> None:
    lines = (DATA / flavour / "yarn.lock").read_text().splitlines()
    collected = yarn_lock.parse(DirectoryTree("t", DATA / flavour), "yarn.lock")
    # without package.json, classic cannot say what is direct; Berry records its workspaces
    direct = {c.direct for c in collected.components}
    assert direct == ({None} if flavour == "yarn-classic" else {True, False})
    for component in collected.components:
        for location in component.locations:
            assert location.line and not lines[location.line - 1].startswith(" ")
            assert (
                component.name in lines[location.line - 1] or "lodash" in lines[location.line - 1]
            )


BERRY_SOURCES = """__metadata:
  version: 8
  cacheKey: 10c0

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    resolve: "patch:resolve@npm%3A^1.22.8#~builtin<compat/resolve>"
    left-pad: "patch:left-pad@npm%3A1.3.0#./.yarn/patches/lp.patch"
    gitdep: "https://github.com/example/gitdep.git#commit=0123abcd"
  languageName: unknown
  linkType: soft

"resolve@patch:resolve@npm%3A^1.22.8#~builtin<compat/resolve>":
  version: 1.22.8
  resolution: "resolve@patch:resolve@npm%3A1.22.8#~builtin<compat/resolve>::version=1.22.8&hash=c"
  checksum: 10c0/abcdef
  languageName: node
  linkType: hard

"left-pad@patch:left-pad@npm%3A1.3.0#./.yarn/patches/lp.patch":
  version: 1.3.0
  resolution: "left-pad@patch:left-pad@npm%3A1.3.0#./.yarn/patches/lp.patch::version=1.3.0&hash=1"
  languageName: node
  linkType: hard

"gitdep@https://github.com/example/gitdep.git#commit=0123abcd":
  version: 2.0.0
  resolution: "gitdep@https://github.com/example/gitdep.git#commit=0123abcd"
  languageName: node
  linkType: hard
"""


def test_berry_patch_and_git_entries(tmp_path: Path) -> None:
    (tmp_path / "yarn.lock").write_text(BERRY_SOURCES)
    collected = yarn_lock.parse(DirectoryTree("t", tmp_path), "yarn.lock")
    purls = {c.name: c.purl for c in collected.components}
    assert purls == {
        "resolve": "pkg:npm/resolve@1.22.8",
        "left-pad": "pkg:npm/left-pad@1.3.0",
        "gitdep": "pkg:npm/gitdep@2.0.0?vcs_url=git%2Bhttps://github.com/example/gitdep.git%400123abcd",
    }
    flagged = {f.purl: f.evidence[0].field for f in collected.findings}
    assert flagged == {purls["left-pad"]: "source.patch", purls["gitdep"]: "source.git"}
    assert {d.target for d in collected.dependencies} == set(purls.values())


CLASSIC_SOURCES = """# yarn lockfile v1


"gitdep@git+https://user:tok3n@github.com/example/gitdep.git#v2":
  version "2.0.0"
  resolved "git+https://user:tok3n@github.com/example/gitdep.git#0123abcd"

"linked@link:../linked":
  version "0.0.0"
  dependencies:
    gitdep "git+https://user:tok3n@github.com/example/gitdep.git#v2"
"""


def test_classic_git_and_link_entries(tmp_path: Path) -> None:
    (tmp_path / "yarn.lock").write_text(CLASSIC_SOURCES)
    collected = yarn_lock.parse(DirectoryTree("t", tmp_path), "yarn.lock")
    assert "tok3n" not in repr(collected)
    assert {c.purl for c in collected.components} == {
        "pkg:npm/gitdep@2.0.0?vcs_url=git%2Bhttps://github.com/example/gitdep.git%400123abcd",
        "pkg:npm/linked@0.0.0?download_url=link:../linked",
    }
    assert len(collected.findings) == 2 and len(collected.dependencies) == 1


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("# just a comment\n", None, "yarn lockfile v1"),
        ("# yarn lockfile v1\n\na@^1:\n  version\n", 4, "key value"),
        ('# yarn lockfile v1\n\na@^1:\n  version "1"\n  resolved "x\n', 5, "unexpected"),
        ("# yarn lockfile v1\n\na@^1:\n  resolved x\n", 3, "version"),
        ('# yarn lockfile v1\n\na@^1:\n  version "1"\n  dependencies:\n    b "^2"\n', 3, "'b@^2'"),
        ("# yarn lockfile v1\n\nnoversion:\n  version 1\n", 3, "name@"),
        ("__metadata:\n  version: [\n", 3, "YAML"),
        ("__metadata:\n  cacheKey: 1\n", 1, "version"),
        ('__metadata:\n  version: 8\n\n"a@npm:1":\n  version: 1\n', 4, "resolution"),
        (
            '__metadata:\n  version: 8\n\n"a@npm:1":\n  resolution: "a@npm:1"\n'
            '  dependencies:\n    b: "npm:2"\n',
            4,
            "b@npm:2",
        ),
        ('__metadata:\n  version: 8\n\n"a@x:1":\n  resolution: "a@x:1"\n', 4, "protocol"),
    ],
)
def test_unusable_locks_raise_parse_error(
    tmp_path: Path, text: str, line: int | None, needle: str
) -> None:
    (tmp_path / "yarn.lock").write_text(text)
    with pytest.raises(ParseError) as info:
        yarn_lock.parse(DirectoryTree("t", tmp_path), "yarn.lock")
    assert info.value.path == "yarn.lock" and info.value.line == line
    assert needle in str(info.value)


def test_sniff() -> None:
    for flavour in ("yarn-classic", "yarn-berry"):
        assert yarn_lock.sniff((DATA / flavour / "yarn.lock").read_bytes()[:512])
    assert not yarn_lock.sniff((DATA / "pnpm" / "v9" / "pnpm-lock.yaml").read_bytes()[:512])


_SEEDS = [(DATA / f / "yarn.lock").read_text()[:4000] for f in ("yarn-classic", "yarn-berry")]


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(_SEEDS)).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        junk = st.sampled_from(['"', ":", ",", "  ", "dependencies:", "- x", "{", "a@npm:1"])
        action = draw(st.sampled_from(["insert", "drop", "garble"]))
        if action == "insert":
            lines.insert(index, lines[index][: draw(st.integers(0, 8))] + draw(junk))
        elif action == "drop":
            del lines[index]
        else:
            lines[index] = draw(st.text(max_size=20))
    return "\n".join(lines)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(_mutated(), st.text(max_size=200)))
def test_only_parse_errors_escape(tmp_path: Path, text: str) -> None:
    (tmp_path / "yarn.lock").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        yarn_lock.parse(DirectoryTree("t", tmp_path), "yarn.lock")
    except ParseError as exc:
        assert exc.path == "yarn.lock"
