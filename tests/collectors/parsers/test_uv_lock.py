"""uv.lock parser against uv's own account of the same locks (tests/data/python/uvlock)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packageurl import PackageURL
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from auditor.collectors import Collected
from auditor.collectors.parsers import uv_lock
from auditor.errors import ParseError
from auditor.sources.directory import DirectoryTree
from tests.collectors.parsers.mutations import toml_line_mutations

DATA = Path(__file__).parents[2] / "data" / "python" / "uvlock"


def _parse(example: str) -> Collected:
    return uv_lock.parse(DirectoryTree(example, DATA / example), "uv.lock")


def _export(example: str) -> list[tuple[str, str | None, str, frozenset[str]]]:
    """(name, version, requirement text, hashes) per entry of uv's export.txt."""
    text = (DATA / example / "export.txt").read_text().replace("\\\n", " ")
    entries = []
    for line in text.splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        hashes = frozenset(re.findall(r"--hash=(\S+)", line))
        spec = re.sub(r"\s*--hash=\S+", "", line).removeprefix("-e ").strip()
        if spec.startswith(("./", "file:")):  # a local folder or wheel: name it from the thing
            local = spec.removeprefix("file://")
            if local.endswith(".whl"):
                name, version, *_ = parse_wheel_filename(local.rpartition("/")[2])
                entries.append((str(name), str(version), spec, hashes))
            else:
                meta = tomllib.loads((DATA / example / local / "pyproject.toml").read_text())
                project = meta["project"]
                entries.append((project["name"], project["version"], spec, hashes))
            continue
        requirement = Requirement(spec)
        pins = [s.version for s in requirement.specifier if s.operator == "=="]
        entries.append((requirement.name, pins[0] if pins else None, spec, hashes))
    return entries


def _declared(example: str) -> set[tuple[str, str | None]]:
    """(name, scope) of every dependency the project's pyproject.toml asks for itself."""
    project = tomllib.loads((DATA / example / "pyproject.toml").read_text())
    found = {
        (canonicalize_name(Requirement(r).name), None) for r in project["project"]["dependencies"]
    }
    for extra, reqs in project["project"].get("optional-dependencies", {}).items():
        found |= {(canonicalize_name(Requirement(r).name), f"extra:{extra}") for r in reqs}
    for group, reqs in project.get("dependency-groups", {}).items():
        found |= {(canonicalize_name(Requirement(r).name), f"group:{group}") for r in reqs}
    return found


def test_project_matches_uv_export() -> None:
    collected = _parse("project")
    direct_names = {name for name, _ in _declared("project")}
    expected = {
        (canonicalize_name(n), v, h, canonicalize_name(n) in direct_names)
        for n, v, _, h in _export("project")
    }
    got = {(c.name, c.version, frozenset(c.hashes), c.direct) for c in collected.components}
    assert got == expected
    assert len(got) > 30
    assert all(c.hashes == tuple(sorted(c.hashes)) for c in collected.components)


def test_project_root_edges_follow_pyproject() -> None:
    collected = _parse("project")
    root = "pkg:pypi/sample-app@0.1.0"
    assert root not in {c.purl for c in collected.components}
    names = {c.purl: c.name for c in collected.components}
    from_root = {(names[d.target], d.scope) for d in collected.dependencies if d.source == root}
    assert from_root == _declared("project")
    known = set(names) | {root}
    assert all(d.source in known and d.target in known for d in collected.dependencies)


def test_forked_resolution_keeps_both_versions_with_markers() -> None:
    collected = _parse("project")
    versions = {c.version for c in collected.components if c.name == "attrs"}
    exported = {v for n, v, _, _ in _export("project") if n == "attrs"}
    assert versions == exported and len(versions) == 2
    markers = {d.marker for d in collected.dependencies if d.target.startswith("pkg:pypi/attrs@")}
    assert None not in markers and len(markers) == 2


def test_every_component_points_at_its_package_header() -> None:
    for example in ("project", "workspace", "sources"):
        lines = (DATA / example / "uv.lock").read_text().splitlines()
        for component in _parse(example).components:
            (location,) = component.locations
            assert location.target == example and location.path == "uv.lock"
            assert location.line is not None
            assert lines[location.line - 1] == "[[package]]"
            assert lines[location.line] == f'name = "{component.name}"'


def test_workspace_members_are_roots() -> None:
    collected = _parse("workspace")
    exported = {(canonicalize_name(n), v) for n, v, _, _ in _export("workspace")}
    assert {(c.name, c.version) for c in collected.components} == exported
    manifest = tomllib.loads((DATA / "workspace" / "uv.lock").read_text())["manifest"]
    sources = {d.source for d in collected.dependencies}
    for member in manifest["members"]:
        assert not any(c.name == member for c in collected.components)
        assert any(s.startswith(f"pkg:pypi/{member}@") for s in sources)
    # every component is asked for by the root or a member, so all are direct
    assert all(c.direct for c in collected.components)


def test_local_sources_keep_their_path_and_are_findings() -> None:
    collected = _parse("workspace")
    local = {c.name: c for c in collected.components if "download_url" in c.purl}
    assert set(local) == {"devtool", "localdir"}
    for name, component in local.items():
        qualifier = PackageURL.from_string(component.purl).qualifiers["download_url"]
        assert qualifier == f"file:vendor/{name}"
        rules = {f.rule for f in collected.findings if f.purl == component.purl}
        expected = {"package.direct-reference"} | (
            {"package.editable"} if name == "devtool" else set()
        )
        assert rules == expected


def test_git_url_and_path_sources_match_uv_export() -> None:
    collected = _parse("sources")
    by_name = {c.name: c for c in collected.components}
    for name, _, spec, hashes in _export("sources"):
        component = by_name[canonicalize_name(name)]
        qualifiers = PackageURL.from_string(component.purl).qualifiers
        if " @ git+" in spec:
            assert qualifiers["vcs_url"] == spec.partition(" @ ")[2]
            assert component.evidence[0].field == "source.git"
        elif " @ " in spec:
            assert qualifiers["download_url"] == spec.partition(" @ ")[2]
            assert component.evidence[0].field == "source.url"
        elif spec.startswith("file:"):
            assert qualifiers["download_url"] == spec.replace("file://", "file:")
        else:
            assert not qualifiers and not component.evidence  # registry URLs are not kept
        assert set(component.hashes) == hashes
    flagged = {f.purl for f in collected.findings if f.rule == "package.direct-reference"}
    assert flagged == {c.purl for c in collected.components if c.name != "six"}


def test_credentials_in_source_urls_are_dropped(tmp_path: Path) -> None:
    text = (DATA / "sources" / "uv.lock").read_text()
    (tmp_path / "uv.lock").write_text(
        text.replace("https://git.example.invalid", "https://user:tok3n@git.example.invalid")
    )
    collected = uv_lock.parse(DirectoryTree("t", tmp_path), "uv.lock")
    assert "tok3n" not in repr(collected)


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("version = 2\n", None, "version 2"),
        ("requires-python = '>=3'\n", None, "version None"),
        ('version = 1\n\n[[package]]\nname = "a"\nversion = \n', 5, "TOML"),
        (
            'version = 1\n\n[[package]]\nname = "a"\nversion = "1"\n'
            'dependencies = [{ name = "b" }]\n',
            3,
            "'b'",
        ),
        ('version = 1\n\n[[package]]\nversion = "1"\n', 3, "name"),
        ("version = 1\npackage = 3\n", None, "array of tables"),
    ],
)
def test_unusable_locks_raise_parse_error(
    tmp_path: Path, text: str, line: int | None, needle: str
) -> None:
    (tmp_path / "uv.lock").write_text(text)
    with pytest.raises(ParseError) as info:
        uv_lock.parse(DirectoryTree("t", tmp_path), "uv.lock")
    assert info.value.path == "uv.lock" and info.value.line == line
    assert needle in str(info.value)


def test_sniff() -> None:
    assert uv_lock.sniff((DATA / "project" / "uv.lock").read_bytes()[:512])
    assert not uv_lock.sniff((DATA / "project" / "export.txt").read_bytes()[:512])
    assert not uv_lock.sniff((DATA / "project" / "pyproject.toml").read_bytes()[:512])


_LOCK = (DATA / "workspace" / "uv.lock").read_text()
_VALUES = st.sampled_from(
    [
        "1",
        '"x"',
        "[]",
        "{}",
        "[1, 2]",
        '{ name = "six" }',
        '[{ name = "nope" }]',
        "true",
        '{ editable = "." }',
        "{ git = 3 }",
        '"sha256:zz"',
        "[[1]]",
        "{ hash = 1 }",
    ]
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(toml_line_mutations(_LOCK, _VALUES), st.text(max_size=200)))
def test_only_parse_errors_escape(tmp_path: Path, text: str) -> None:
    (tmp_path / "uv.lock").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        uv_lock.parse(DirectoryTree("t", tmp_path), "uv.lock")
    except ParseError as exc:
        assert exc.path == "uv.lock"


_ANY = st.text(st.characters(codec="utf-8"), max_size=8)  # no lone surrogates
_PLAIN = re.compile(r'[^"\\\x00-\x1f\x7f]*')
_WHEELS = st.lists(st.tuples(_ANY, _ANY, st.integers(0, 2**40), _ANY), max_size=3)


def _toml(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL is left raw, which TOML refuses)."""
    return json.dumps(value, ensure_ascii=False)


def _lock(packages: list[list[tuple[str, str, int, str]]]) -> str:
    lines = ["version = 1", ""]
    for i, wheels in enumerate(packages):
        lines += ["[[package]]", f'name = "p{i}"', 'version = "1.0"', "wheels = ["]
        lines += [
            f"    {{ url = {_toml(u)}, hash = {_toml(h)}, size = {n}, upload-time = {_toml(t)} }},"
            for u, h, n, t in wheels
        ]
        lines += ["]", ""]
    return "\n".join(lines)


@given(packages=st.lists(_WHEELS, min_size=1, max_size=4))
def test_lifted_wheels_read_as_the_toml_parser_reads_them(
    packages: list[list[tuple[str, str, int, str]]],
) -> None:
    text = _lock(packages)
    lifted = uv_lock._lifted_load(text)
    try:
        expected = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        assert lifted is None
        return
    assert lifted is None or lifted == expected
    plain = all(_PLAIN.fullmatch(s) for w in packages for u, h, _, t in w for s in (u, h, t))
    if plain and any(packages):
        assert lifted == expected  # uv's own shape: read without the parser


def test_lifted_wheels_outside_a_package_or_before_bad_toml_are_the_parsers(
    tmp_path: Path,
) -> None:
    block = (
        'wheels = [\n    { url = "a/b.whl", hash = "sha256:00", size = 1, upload-time = "t" },\n]\n'
    )
    outside = f'version = 1\n\n[[package]]\nname = "a"\nversion = "1"\n\n[package.x]\n{block}'
    assert uv_lock._lifted_load(outside) is None
    bad = f'version = 1\n\n[[package]]\nname = "a"\nversion = "1"\n{block}\nnot toml\n'
    (tmp_path / "uv.lock").write_text(bad)
    with pytest.raises(ParseError) as caught:
        uv_lock.parse(DirectoryTree("t", tmp_path), "uv.lock")
    assert caught.value.line == 10  # the parser's own line, counted in the whole file


@pytest.mark.parametrize("nest", ["[" * 150 + "]" * 150, "{a = " * 150 + "1" + "}" * 150])
def test_deep_nesting_beside_lifted_wheels_is_refused(tmp_path: Path, nest: str) -> None:
    wheel = '    { url = "a/b.whl", hash = "sha256:00", size = 1, upload-time = "t" },\n'
    text = f'version = 1\n\n[[package]]\nname = "a"\nwheels = [\n{wheel}]\nx = {nest}\n'
    (tmp_path / "uv.lock").write_text(text)
    with pytest.raises(ParseError, match="deeper than"):
        uv_lock.parse(DirectoryTree("t", tmp_path), "uv.lock")
