"""poetry.lock parser against Poetry's own account of the same locks (tests/data/python/poetry).

project/ is lock-version 2.1 (current Poetry), category/ 2.0 and legacy/ 1.1 (Poetry 1.4 and
1.2), sources/ holds git, url, file and directory sources; each export.txt is `poetry export`
of its lock with every group and extra.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packageurl import PackageURL
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from auditor.collectors import Collected
from auditor.collectors.parsers import poetry_lock
from auditor.errors import ParseError
from auditor.sources.directory import DirectoryTree
from tests.collectors.parsers.mutations import toml_line_mutations

DATA = Path(__file__).parents[2] / "data" / "python" / "poetry"
SOURCES_APP = "/opt/vendor/app"
"""Where regenerate.sh's temporary sources project sits after its paths are rewritten."""


def _parse(example: str) -> Collected:
    return poetry_lock.parse(DirectoryTree(example, DATA / example), "poetry.lock")


def _export(example: str) -> list[tuple[str, str | None, str, frozenset[str]]]:
    """(name, version, requirement text, hashes) per entry of Poetry's export.txt."""
    text = (DATA / example / "export.txt").read_text().replace("\\\n", " ")
    entries = []
    for line in text.splitlines():
        if not line.strip() or line.startswith(("--index-url", "--extra-index-url")):
            continue
        hashes = frozenset(re.findall(r"--hash=(\S+)", line))
        spec = re.sub(r"\s*--hash=\S+", "", line).strip()
        if spec.startswith("-e file://"):  # an editable folder: named by its own pyproject
            folder = spec.removeprefix("-e file://").split(" ;")[0]
            local = DATA / example / posixpath.relpath(folder, SOURCES_APP) / "pyproject.toml"
            project = tomllib.loads(local.read_text())["project"]
            entries.append((project["name"], project["version"], spec, hashes))
            continue
        requirement = Requirement(spec)
        pins = [s.version for s in requirement.specifier if s.operator == "=="]
        version = pins[0] if pins else None
        if requirement.url and requirement.url.endswith(".whl"):
            version = str(parse_wheel_filename(requirement.url.rpartition("/")[2])[1])
        entries.append((requirement.name, version, spec, hashes))
    return entries


def _declared(example: str) -> set[tuple[str, str | None]]:
    """(name, scope) of every dependency the project's pyproject.toml asks for itself."""
    doc = tomllib.loads((DATA / example / "pyproject.toml").read_text())
    project, poetry = doc.get("project", {}), doc["tool"]["poetry"]
    found = {
        (canonicalize_name(Requirement(r).name), None) for r in project.get("dependencies", [])
    }
    for extra, reqs in project.get("optional-dependencies", {}).items():
        found |= {(canonicalize_name(Requirement(r).name), f"extra:{extra}") for r in reqs}
    in_extra = {name: extra for extra, names in poetry.get("extras", {}).items() for name in names}
    for name, spec in poetry.get("dependencies", {}).items():
        optional = isinstance(spec, dict) and spec.get("optional")
        if name != "python":
            found.add((canonicalize_name(name), f"extra:{in_extra[name]}" if optional else None))
    for group, table in poetry.get("group", {}).items():
        found |= {(canonicalize_name(name), f"group:{group}") for name in table["dependencies"]}
    return found


@pytest.mark.parametrize("example", ["project", "category", "legacy"])
def test_inventory_matches_poetry_export(example: str) -> None:
    collected = _parse(example)
    direct_names = {name for name, _ in _declared(example)}
    expected = {
        (canonicalize_name(n), v, h, canonicalize_name(n) in direct_names)
        for n, v, _, h in _export(example)
    }
    got = {(c.name.lower(), c.version, frozenset(c.hashes), c.direct) for c in collected.components}
    assert got == expected
    assert len(got) >= 12
    assert all(c.hashes == tuple(sorted(c.hashes)) for c in collected.components)
    assert collected.diagnostics == ()


def test_lock_versions_cover_one_and_two() -> None:
    versions = {
        example: tomllib.loads((DATA / example / "poetry.lock").read_text())["metadata"][
            "lock-version"
        ]
        for example in ("project", "category", "legacy")
    }
    assert versions == {"project": "2.1", "category": "2.0", "legacy": "1.1"}


@pytest.mark.parametrize("example", ["project", "legacy", "sources"])
def test_root_edges_follow_pyproject_and_reach_every_package(example: str) -> None:
    collected = _parse(example)
    doc = tomllib.loads((DATA / example / "pyproject.toml").read_text())
    meta = doc.get("project") or doc["tool"]["poetry"]
    root = f"pkg:pypi/{canonicalize_name(meta['name'])}@{meta['version']}"
    names = {c.purl: canonicalize_name(c.name) for c in collected.components}
    from_root = {(names[d.target], d.scope) for d in collected.dependencies if d.source == root}
    assert from_root == _declared(example)
    assert all(d.source in {*names, root} and d.target in names for d in collected.dependencies)
    reached, todo = set(), [root]  # every locked package is needed by the project
    while todo:
        node = todo.pop()
        new = {d.target for d in collected.dependencies if d.source == node} - reached
        reached |= new
        todo += new
    assert reached == set(names)


def test_optional_dependencies_are_scoped_by_the_extra_that_names_them() -> None:
    collected = _parse("legacy")
    names = {c.purl: c.name for c in collected.components}
    edges = {(names[d.source], names[d.target], d.scope) for d in collected.dependencies
             if d.source in names}  # fmt: skip
    assert ("requests", "pysocks", "extra:socks") in edges
    assert ("requests", "urllib3", None) in edges


def test_marker_on_a_dependency_is_kept() -> None:
    collected = _parse("project")
    colorama = {d.marker for d in collected.dependencies if "/colorama@" in d.target}
    assert 'sys_platform == "win32"' in colorama


def test_every_component_points_at_its_package_header() -> None:
    for example in ("project", "category", "legacy", "sources"):
        lines = (DATA / example / "poetry.lock").read_text().splitlines()
        for component in _parse(example).components:
            (location,) = component.locations
            assert location.target == example and location.path == "poetry.lock"
            assert location.line is not None
            assert lines[location.line - 1] == "[[package]]"
            assert lines[location.line] == f'name = "{component.name}"'


def test_git_url_file_and_directory_sources_match_poetry_export() -> None:
    collected = _parse("sources")
    by_name = {c.name: c for c in collected.components}
    exported = _export("sources")
    assert {canonicalize_name(n) for n, *_ in exported} == set(by_name)
    for name, version, spec, hashes in exported:
        component = by_name[canonicalize_name(name)]
        assert component.version == version or version is None
        qualifiers = PackageURL.from_string(component.purl).qualifiers
        target = spec.removeprefix("-e ").split(" ;")[0].partition(" @ ")[2] or spec
        if target.startswith("git+"):
            assert qualifiers == {"vcs_url": target}
            assert component.evidence[0].field == "source.git"
        elif target.startswith("https://"):
            assert qualifiers == {"download_url": target}
        elif "file://" in target:  # the export has absolute paths, the lock relative ones
            local = qualifiers["download_url"].removeprefix("file:")
            absolute = target.split("file://")[1].split(" ;")[0]
            assert posixpath.normpath(posixpath.join(SOURCES_APP, local)) == absolute
        else:
            assert not qualifiers
            assert [e.value for e in component.evidence] == ["mirror"]  # named index, no URL
        assert set(component.hashes) == hashes
    flagged = {f.purl for f in collected.findings if f.rule == "package.direct-reference"}
    assert flagged == {c.purl for c in collected.components if c.name != "six"}
    editable = {f.purl for f in collected.findings if f.rule == "package.editable"}
    assert editable == {by_name["localdir"].purl}


def test_index_urls_and_credentials_are_never_recorded(tmp_path: Path) -> None:
    assert "registry.invalid" not in repr(_parse("project"))
    shutil.copytree(DATA / "sources", tmp_path, dirs_exist_ok=True)
    lock = tmp_path / "poetry.lock"
    lock.write_text(
        lock.read_text()
        .replace("https://git.example.invalid", "https://user:tok3n@git.example.invalid")
        .replace("https://downloads.example", "https://user:tok3n@downloads.example")
    )
    collected = poetry_lock.parse(DirectoryTree("t", tmp_path), "poetry.lock")
    assert "tok3n" not in repr(collected)
    assert len(collected.components) == 5


def test_without_pyproject_direct_is_unknown(tmp_path: Path) -> None:
    shutil.copy(DATA / "project" / "poetry.lock", tmp_path)
    collected = poetry_lock.parse(DirectoryTree("t", tmp_path), "poetry.lock")
    assert {c.direct for c in collected.components} == {None}
    names = {c.purl for c in collected.components}
    assert all(d.source in names for d in collected.dependencies)  # no root edges
    assert len(collected.dependencies) > 5


def test_unusable_pyproject_is_a_diagnostic(tmp_path: Path) -> None:
    shutil.copy(DATA / "project" / "poetry.lock", tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["!!"]\n')
    collected = poetry_lock.parse(DirectoryTree("t", tmp_path), "poetry.lock")
    assert {c.direct for c in collected.components} == {None}
    (diagnostic,) = collected.diagnostics
    assert diagnostic.location == "pyproject.toml" and "direct" in diagnostic.message
    (tmp_path / "pyproject.toml").write_text("[project\n")
    collected = poetry_lock.parse(DirectoryTree("t", tmp_path), "poetry.lock")
    assert collected.diagnostics[0].location == "pyproject.toml:1"


_PKG = '[[package]]\nname = "a"\nversion = "1"\n'
_META = '\n[metadata]\nlock-version = "2.1"\n'


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ('[metadata]\nlock-version = "3.0"\n', 2, "metadata.lock-version: unsupported"),
        ("[metadata]\nlock-version = 2\n", 2, "metadata.lock-version"),
        (_PKG, None, "metadata.lock-version"),
        (_PKG + "version = \n", 4, "not valid TOML"),
        ('[[package]]\nversion = "1"\n' + _META, 1, "package[0].name"),
        (_PKG + "[package.source]\ntype = 'svn'\n" + _META, 1, "package[0].source.type"),
        (_PKG + "[package.source]\ntype = 'url'\nurl = 3\n" + _META, 1, "package[0].source.url"),
        (_PKG + "dependencies = 3\n" + _META, 1, "package[0].dependencies"),
        (_PKG + "[package.dependencies]\nb = 3\n" + _META, 1, "package[0].dependencies.b"),
        (_PKG + "[package.extras]\nx = 'b'\n" + _META, 1, "package[0].extras.x"),
        (_PKG + "files = 'x'\n" + _META, 1, "package[0].files"),
        ('[metadata]\nlock-version = "1.1"\nfiles = 3\n', None, "metadata.files"),
        ('package = 3\n[metadata]\nlock-version = "2.0"\n', None, "array of tables"),
    ],
)
def test_unusable_locks_raise_parse_error(
    tmp_path: Path, text: str, line: int | None, needle: str
) -> None:
    (tmp_path / "poetry.lock").write_text(text)
    with pytest.raises(ParseError) as info:
        poetry_lock.parse(DirectoryTree("t", tmp_path), "poetry.lock")
    assert info.value.path == "poetry.lock" and info.value.line == line
    assert needle in str(info.value)
    if "lock-version" in needle:
        assert info.value.hint


def test_sniff() -> None:
    for example in ("project", "legacy", "sources"):
        assert poetry_lock.sniff((DATA / example / "poetry.lock").read_bytes()[:512])
    assert not poetry_lock.sniff((DATA / "project" / "export.txt").read_bytes()[:512])
    assert not poetry_lock.sniff((DATA / "project" / "pyproject.toml").read_bytes()[:512])


_LOCK = (DATA / "sources" / "poetry.lock").read_text()
_VALUES = st.sampled_from(
    ["1", '"x"', "[]", "{}", "[1, 2]", '{ version = "*" }', "[{ optional = true }]", "true",
     '"legacy"', '"git"', '"2.1"', '"9"', "[[1]]", '[{ hash = 1 }]', '{ markers = 1 }']
)  # fmt: skip


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.one_of(
        toml_line_mutations(_LOCK, _VALUES, ["[package.dependencies]", "[extras]"]),
        st.text(max_size=200),
    )
)
def test_only_parse_errors_escape(tmp_path: Path, text: str) -> None:
    (tmp_path / "poetry.lock").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        poetry_lock.parse(DirectoryTree("t", tmp_path), "poetry.lock")
    except ParseError as exc:
        assert exc.path == "poetry.lock"
