"""PEP 751 pylock.toml parser against the account of the tool that wrote each lock.

uv's (tests/data/python/pylock/uv) is checked against uv's requirements export, pip's
(pylock/pip) against pip's installation report, pdm's (pdm/project) against pdm's export.
"""

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
from packaging.utils import canonicalize_name

from auditor.collectors import Collected
from auditor.collectors.parsers import pylock_toml
from auditor.errors import ParseError
from auditor.sources.directory import DirectoryTree
from tests.collectors.parsers.mutations import toml_line_mutations

DATA = Path(__file__).parents[2] / "data" / "python"


def _parse(folder: str) -> Collected:
    return pylock_toml.parse(DirectoryTree(folder, DATA / folder), "pylock.toml")


def _pins(export: Path) -> dict[tuple[str, str], frozenset[str]]:
    """(name, version) -> hashes of every `name==version` line of a requirements export."""
    text = export.read_text().replace("\\\n", " ")
    found = {}
    for line in text.splitlines():
        line = line.split(" #")[0].strip()
        if "==" in line and not line.startswith("#"):
            requirement = Requirement(re.sub(r"\s*--hash=\S+", "", line))
            (pin,) = [s.version for s in requirement.specifier]
            key = (canonicalize_name(requirement.name), pin)
            found[key] = frozenset(re.findall(r"--hash=(\S+)", line))
    return found


def _declared(folder: str) -> set[str]:
    doc = tomllib.loads((DATA / folder / "pyproject.toml").read_text())
    lists = [doc["project"]["dependencies"], *doc["project"].get("optional-dependencies", {})
             .values(), *doc.get("dependency-groups", {}).values()]  # fmt: skip
    return {canonicalize_name(Requirement(r).name) for reqs in lists for r in reqs}


def test_uv_pylock_matches_uv_export() -> None:
    collected = _parse("pylock/uv")
    pins = _pins(DATA / "pylock/uv/export.txt")
    registry = {c for c in collected.components if "?" not in c.purl}
    assert {(c.name, c.version): frozenset(c.hashes) for c in registry} == pins
    declared = _declared("pylock/uv")
    assert {c.name for c in collected.components if c.direct} == declared
    assert all(c.direct is (c.name in declared) for c in collected.components)


def test_uv_pylock_sources_match_uv_export() -> None:
    collected = _parse("pylock/uv")
    export = (DATA / "pylock/uv/export.txt").read_text()
    by_name = {c.name: c for c in collected.components if "?" in c.purl}
    assert set(by_name) == {"devtool", "gitdep", "localdir", "urldep", "wheeldep"}
    qualifiers = {n: PackageURL.from_string(c.purl).qualifiers for n, c in by_name.items()}
    vcs = qualifiers["gitdep"]["vcs_url"].removeprefix("git+")
    assert f"gitdep @ git+{vcs}\n" in export
    assert f"urldep @ {qualifiers['urldep']['download_url']} " in export
    assert qualifiers["wheeldep"]["download_url"].replace("file:", "file://") in export
    assert f"-e ./{qualifiers['devtool']['download_url'].removeprefix('file:')}\n" in export
    assert f"./{qualifiers['localdir']['download_url'].removeprefix('file:')}\n" in export
    rules = {(f.rule, f.purl) for f in collected.findings}
    assert {p for r, p in rules if r == "package.direct-reference"} == {
        c.purl for c in by_name.values()
    }
    assert {p for r, p in rules if r == "package.editable"} == {by_name["devtool"].purl}
    for component in by_name.values():
        (evidence,) = component.evidence
        assert evidence.source == "pylock" and evidence.where.startswith("pylock.toml:")


def test_pip_lock_matches_pip_report() -> None:
    collected = _parse("pylock/pip")
    report = json.loads((DATA / "pylock/pip/report.json").read_text())
    expected = {
        (canonicalize_name(item["metadata"]["name"]), item["metadata"]["version"])
        for item in report["install"]
    }
    by_key = {(c.name, c.version): c for c in collected.components}
    assert set(by_key) == expected
    for item in report["install"]:
        key = (canonicalize_name(item["metadata"]["name"]), item["metadata"]["version"])
        for algorithm, value in item["download_info"]["archive_info"]["hashes"].items():
            assert f"{algorithm}:{value}" in by_key[key].hashes
    # no pyproject.toml beside pip's lock: nothing can be called direct
    assert all(c.direct is None for c in collected.components)


def test_pdm_pylock_export_matches_pdm_export() -> None:
    collected = _parse("pdm/project")
    pins = _pins(DATA / "pdm/project/export.txt")
    assert {(c.name, c.version) for c in collected.components} == set(pins)
    for component in collected.components:
        assert set(component.hashes) <= pins[(component.name, component.version)]
        assert component.hashes
    assert {c.name for c in collected.components if c.direct} == _declared("pdm/project")


def test_every_component_points_at_its_packages_header() -> None:
    for folder in ("pylock/uv", "pylock/pip", "pdm/project"):
        lines = (DATA / folder / "pylock.toml").read_text().splitlines()
        for component in _parse(folder).components:
            (location,) = component.locations
            assert location.line is not None and lines[location.line - 1] == "[[packages]]"
            assert lines[location.line] == f'name = "{component.name}"'


_TOP = 'lock-version = "1.0"\ncreated-by = "t"\n\n'


def test_dependencies_attestations_and_unmatched_references(tmp_path: Path) -> None:
    (tmp_path / "pylock.toml").write_text(
        _TOP + '[[packages]]\nname = "a"\nversion = "1"\n'
        'dependencies = [{name = "B"}, {name = "c", version = "9"}]\n'
        'attestation-identities = [{kind = "GitHub", repository = "o/r"}]\n'
        'wheels = [{name = "a-1-py3-none-any.whl", url = "https://user:s3cret@x.invalid/a.whl",'
        ' hashes = {SHA256 = "AB12"}}]\n\n'
        '[[packages]]\nname = "b"\nversion = "2"\nmarker = "os_name == \'nt\'"\n'
    )
    collected = pylock_toml.parse(DirectoryTree("t", tmp_path), "pylock.toml")
    a = next(c for c in collected.components if c.name == "a")
    assert a.hashes == ("sha256:ab12",) and "s3cret" not in repr(collected)
    assert [(e.field, e.value) for e in a.evidence] == [
        ("attestation-identities.GitHub", "repository=o/r")
    ]
    (edge,) = collected.dependencies
    assert (edge.source, edge.target, edge.marker) == (a.purl, "pkg:pypi/b@2", "os_name == 'nt'")
    (diagnostic,) = collected.diagnostics
    assert diagnostic.location == "pylock.toml:4" and "packages[0].dependencies[1]" in str(
        diagnostic
    )


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ('lock-version = "2.0"\n', None, "lock-version"),
        ("lock-version = 1.0\n", None, "lock-version"),
        ('created-by = "x"\n', None, "lock-version"),
        ('lock-version = "1.0"\nx = \ny = 1\n', 2, "TOML"),
        ('lock-version = "1.0"\npackages = 1\n', None, "packages: must be"),
        (_TOP + '[[packages]]\nversion = "1"\n', 4, "packages[0].name"),
        (_TOP + '[[packages]]\nname = "a"\nversion = 1\n', 4, "packages[0].version"),
        (_TOP + '[[packages]]\nname = "a"\nwheels = [1]\n', 4, "packages[0].wheels[0]"),
        (_TOP + '[[packages]]\nname = "a"\nsdist = {hashes = 1}\n', 4, "packages[0].sdist.hashes"),
        (_TOP + '[[packages]]\nname = "a"\nvcs = {url = 1}\n', 4, "packages[0].vcs.url"),
        (_TOP + '[[packages]]\nname = "a"\ndependencies = ["b"]\n', 4, "packages[0].dependencies"),
        (_TOP + '[[packages]]\nname = "a"\nmarker = "os_name ="\n', 4, "packages[0].marker"),
    ],
)
def test_unusable_locks_raise_parse_error_with_key_path(
    tmp_path: Path, text: str, line: int | None, needle: str
) -> None:
    (tmp_path / "pylock.toml").write_text(text)
    with pytest.raises(ParseError) as info:
        pylock_toml.parse(DirectoryTree("t", tmp_path), "pylock.toml")
    assert info.value.path == "pylock.toml" and info.value.line == line
    assert needle in str(info.value)


def test_sniff_and_names() -> None:
    assert pylock_toml.sniff((DATA / "pylock/uv/pylock.toml").read_bytes()[:512])
    assert not pylock_toml.sniff((DATA / "pylock/uv/pyproject.toml").read_bytes()[:512])
    assert pylock_toml.PARSER.matches("a/pylock.toml")
    assert pylock_toml.PARSER.matches("pylock.dev.toml")
    assert not pylock_toml.PARSER.matches("pyproject.toml")


_LOCK = (DATA / "pylock/uv/pylock.toml").read_text()
_VALUES = st.sampled_from(
    ['"x"', "1", "[]", "{}", '[{name = "six"}]', '[{name = "nope"}]', '"2.0"', "[1]",
     '{sha256 = 1}', '{url = 1}', '{path = "."}', '"os_name >"', '[{kind = "GitHub"}]']
)  # fmt: skip


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.one_of(toml_line_mutations(_LOCK, _VALUES), st.text(max_size=200)),
    with_project=st.booleans(),
)
def test_only_parse_errors_escape(tmp_path: Path, text: str, with_project: bool) -> None:
    (tmp_path / "pylock.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
    project = tmp_path / "pyproject.toml"
    if with_project:
        project.write_bytes((DATA / "pylock/uv/pyproject.toml").read_bytes())
    elif project.exists():
        project.unlink()
    try:
        pylock_toml.parse(DirectoryTree("t", tmp_path), "pylock.toml")
    except ParseError as exc:
        assert exc.path == "pylock.toml"
