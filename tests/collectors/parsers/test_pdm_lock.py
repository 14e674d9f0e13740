"""pdm.lock parser against pdm's own account of the same locks (tests/data/python/pdm)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packageurl import PackageURL
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from auditor.collectors import Collected
from auditor.collectors.parsers import pdm_lock
from auditor.errors import ParseError
from auditor.sources.directory import DirectoryTree
from tests.collectors.parsers.mutations import toml_line_mutations

DATA = Path(__file__).parents[2] / "data" / "python" / "pdm"


def _parse(example: str) -> Collected:
    return pdm_lock.parse(DirectoryTree(example, DATA / example), "pdm.lock")


def _export(example: str) -> dict[tuple[str, str], frozenset[str]]:
    """(name, version) -> hashes, per pinned entry of pdm's requirements export."""
    text = (DATA / example / "export.txt").read_text().replace("\\\n", " ")
    found: dict[tuple[str, str], frozenset[str]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or "==" not in line:
            continue
        hashes = frozenset(re.findall(r"--hash=(\S+)", line))
        requirement = Requirement(re.sub(r"\s*--hash=\S+", "", line).strip())
        (pin,) = [s.version for s in requirement.specifier if s.operator == "=="]
        found[(canonicalize_name(requirement.name), pin)] = hashes
    return found


def _declared(example: str) -> set[tuple[str, str | None]]:
    """(name, scope) of every PEP 508 requirement the project's pyproject.toml makes."""
    doc = tomllib.loads((DATA / example / "pyproject.toml").read_text())
    lists: list[tuple[str | None, list[str]]] = [(None, doc["project"]["dependencies"])]
    lists += [(f"extra:{k}", v) for k, v in doc["project"].get("optional-dependencies", {}).items()]
    lists += [(f"group:{k}", v) for k, v in doc.get("dependency-groups", {}).items()]
    return {
        (canonicalize_name(Requirement(r).name), scope)
        for scope, reqs in lists
        for r in reqs
        if not r.startswith("-e ")
    }


@pytest.mark.parametrize("example", ["project", "static", "fork"])
def test_inventory_matches_pdm_export(example: str) -> None:
    collected = _parse(example)
    direct_names = {name for name, _ in _declared(example)}
    expected = {(n, v, h, n in direct_names) for (n, v), h in _export(example).items()}
    got = {(c.name, c.version, frozenset(c.hashes), c.direct) for c in collected.components}
    assert got == expected
    assert len(got) >= 15
    assert not collected.findings  # registry packages only
    assert all(not c.evidence and "?" not in c.purl for c in collected.components)


def test_root_edges_follow_pyproject_with_scopes() -> None:
    collected = _parse("project")
    root = "pkg:pypi/sample-app@0.1.0"
    names = {c.purl: c.name for c in collected.components}
    assert root not in names
    from_root = {(names[d.target], d.scope) for d in collected.dependencies if d.source == root}
    assert from_root == _declared("project")
    assert all(d.source in names or d.source == root for d in collected.dependencies)
    assert all(d.target in names for d in collected.dependencies)


def test_edges_match_each_packages_locked_dependencies() -> None:
    collected = _parse("project")
    lock = tomllib.loads((DATA / "project" / "pdm.lock").read_text())
    locked = {canonicalize_name(p["name"]) for p in lock["package"]}
    names = {c.purl: c.name for c in collected.components}
    for package in lock["package"]:
        wanted = {canonicalize_name(Requirement(r).name) for r in package.get("dependencies", [])}
        source = next(p for p, n in names.items() if n == canonicalize_name(package["name"]))
        got = {names[d.target] for d in collected.dependencies if d.source == source}
        assert got >= (wanted & locked) - {canonicalize_name(package["name"])}


def test_every_component_points_at_its_package_header() -> None:
    for example in ("project", "static", "fork", "sources"):
        lines = (DATA / example / "pdm.lock").read_text().splitlines()
        for component in _parse(example).components:
            (location,) = component.locations
            assert location.target == example and location.path == "pdm.lock"
            assert location.line is not None and lines[location.line - 1] == "[[package]]"
            assert lines[location.line] == f'name = "{component.name}"'


def test_forked_package_is_two_components_and_edges_follow_markers() -> None:
    collected = _parse("fork")
    exported = {v for (n, v) in _export("fork") if n == "click"}
    clicks = {c.version: c.purl for c in collected.components if c.name == "click"}
    assert set(clicks) == exported and len(clicks) == 2
    typers = {c.version: c.purl for c in collected.components if c.name == "typer"}
    assert len(typers) == 2
    lock = tomllib.loads((DATA / "fork" / "pdm.lock").read_text())
    click_marker = {p["version"]: p["marker"] for p in lock["package"] if p["name"] == "click"}
    for purl in typers.values():
        for edge in collected.dependencies:
            if edge.source == purl and edge.target in clicks.values():
                version = PackageURL.from_string(edge.target).version
                assert edge.marker is not None and click_marker[version] in edge.marker
    # the older typer names both click ranges, each with its own Python marker: each edge
    # goes to the click locked for that Python only
    old = min(typers, key=lambda v: tuple(map(int, v.split("."))))
    edges = collected.dependencies
    to_click = [d for d in edges if d.source == typers[old] and "/click@" in d.target]
    assert len(to_click) == 2
    for edge in to_click:
        wants_new = '>= "3.10"' in edge.marker.split(" and (")[0] if edge.marker else False
        version = PackageURL.from_string(edge.target).version or ""
        assert (version == max(clicks, key=lambda v: tuple(map(int, v.split("."))))) == wants_new


def test_sources_are_kept_and_flagged() -> None:
    collected = _parse("sources")
    export = (DATA / "sources" / "export.txt").read_text()
    by_name = {c.name: c for c in collected.components}
    assert set(by_name) == {"devtool", "gitdep", "localdir", "six", "urldep"}
    git = PackageURL.from_string(by_name["gitdep"].purl).qualifiers["vcs_url"]
    assert f"gitdep @ {git}\n" in export
    url = PackageURL.from_string(by_name["urldep"].purl).qualifiers["download_url"]
    assert f"urldep @ {url}\n" in export
    for name in ("localdir", "devtool"):
        qualifiers = PackageURL.from_string(by_name[name].purl).qualifiers
        assert qualifiers["download_url"] == f"file:./vendor/{name}"
    rules = {(f.rule, f.purl) for f in collected.findings}
    flagged = {c.purl for c in collected.components if c.name != "six"}
    assert {p for r, p in rules if r == "package.direct-reference"} == flagged
    assert {p for r, p in rules if r == "package.editable"} == {by_name["devtool"].purl}
    assert {c.name for c in collected.components if c.direct} == flagged_names(collected)
    assert not by_name["six"].direct


def flagged_names(collected: Collected) -> set[str]:
    """Names of the components with a direct-reference finding."""
    purls = {f.purl for f in collected.findings if f.rule == "package.direct-reference"}
    return {c.name for c in collected.components if c.purl in purls}


def test_without_pyproject_direct_is_unknown(tmp_path: Path) -> None:
    (tmp_path / "pdm.lock").write_bytes((DATA / "project" / "pdm.lock").read_bytes())
    collected = pdm_lock.parse(DirectoryTree("t", tmp_path), "pdm.lock")
    assert collected.components and all(c.direct is None for c in collected.components)


def test_credentials_in_source_urls_are_dropped(tmp_path: Path) -> None:
    text = (DATA / "sources" / "pdm.lock").read_text()
    (tmp_path / "pdm.lock").write_text(
        text.replace("https://git.example.invalid", "https://user:tok3n@git.example.invalid")
    )
    assert "tok3n" not in repr(pdm_lock.parse(DirectoryTree("t", tmp_path), "pdm.lock"))


_HEAD = '[metadata]\nlock_version = "4.5.0"\n\n[[package]]\n'


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ('[metadata]\nlock_version = "3.1"\n', None, "metadata.lock_version"),
        ("[metadata]\nlock_version = 4\n", None, "metadata.lock_version"),
        ("x = 1\n", None, "metadata.lock_version"),
        ('[metadata]\nlock_version = "4.5.0"\nx = \n', 3, "TOML"),
        (_HEAD + 'version = "1"\n', 4, "package[0].name"),
        (_HEAD + 'name = "a"\nversion = 1\n', 4, "package[0].version"),
        (_HEAD + 'name = "a"\ndependencies = ["b >="]\n', 4, "package[0].dependencies[0]"),
        (_HEAD + 'name = "a"\ndependencies = "b"\n', 4, "package[0].dependencies"),
        (_HEAD + 'name = "a"\nmarker = "python_version >"\n', 4, "package[0].marker"),
        (_HEAD + 'name = "a"\nfiles = [1]\n', 4, "package[0].files"),
        ('package = 3\n[metadata]\nlock_version = "4.5.0"\n', None, "package: must be"),
    ],
)
def test_unusable_locks_raise_parse_error_with_key_path(
    tmp_path: Path, text: str, line: int | None, needle: str
) -> None:
    (tmp_path / "pdm.lock").write_text(text)
    with pytest.raises(ParseError) as info:
        pdm_lock.parse(DirectoryTree("t", tmp_path), "pdm.lock")
    assert info.value.path == "pdm.lock" and info.value.line == line
    assert needle in str(info.value)


def test_sniff() -> None:
    assert pdm_lock.sniff((DATA / "project" / "pdm.lock").read_bytes()[:512])
    assert not pdm_lock.sniff((DATA / "project" / "pyproject.toml").read_bytes()[:512])
    assert not pdm_lock.sniff((DATA / "project" / "export.txt").read_bytes()[:512])


# sources/ (every source kind) plus four forked registry entries (markers, files)
_FORK = (DATA / "fork" / "pdm.lock").read_text().split("[[package]]")
_LOCK = (DATA / "sources" / "pdm.lock").read_text() + "".join(
    f"[[package]]{table}" for table in _FORK[1:5]
)
_VALUES = st.sampled_from(
    ['"x"', "1", "[]", "{}", '["six >= 1"]', '["@@"]', '"4.0"', '"5.0"', "[{hash = 1}]",
     '"python_version >"', '"./vendor/x"', "true", '["click; python_version < \\"3\\""]']
)  # fmt: skip


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.one_of(toml_line_mutations(_LOCK, _VALUES), st.text(max_size=200)),
    with_project=st.booleans(),
)
def test_only_parse_errors_escape(tmp_path: Path, text: str, with_project: bool) -> None:
    (tmp_path / "pdm.lock").write_text(text, encoding="utf-8", errors="surrogatepass")
    project = tmp_path / "pyproject.toml"
    if with_project:
        project.write_bytes((DATA / "sources" / "pyproject.toml").read_bytes())
    elif project.exists():
        project.unlink()
    try:
        pdm_lock.parse(DirectoryTree("t", tmp_path), "pdm.lock")
    except ParseError as exc:
        assert exc.path == "pdm.lock"
