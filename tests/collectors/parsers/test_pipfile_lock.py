"""Pipfile.lock parser against pipenv's own account of the same lock (tests/data/python/pipenv).

requirements.txt is `pipenv requirements --hash` (the `default` packages), dev-requirements.txt
is `pipenv requirements --hash --dev-only` (`develop`).
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packageurl import PackageURL
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_sdist_filename

from auditor.collectors import Collected
from auditor.collectors.parsers import pipfile_lock
from auditor.errors import ParseError
from auditor.sources.directory import DirectoryTree

DATA = Path(__file__).parents[2] / "data" / "python" / "pipenv" / "project"
ACCOUNTS = {"packages": "requirements.txt", "dev-packages": "dev-requirements.txt"}


def _parse(root: Path = DATA) -> Collected:
    return pipfile_lock.parse(DirectoryTree("t", root), "Pipfile.lock")


def _account(name: str) -> list[tuple[str, str | None, str, frozenset[str]]]:
    """(name, version, requirement text, hashes) per line of a `pipenv requirements` file."""
    entries = []
    for line in (DATA / name).read_text().splitlines():
        if not line.strip() or line.startswith("-i "):
            continue
        hashes = frozenset(re.findall(r"--hash=(\S+)", line))
        spec = re.sub(r"\s*--hash=\S+", "", line).removeprefix("-e ").strip()
        if "#egg=" in spec:  # a VCS checkout
            entries.append((spec.partition("#egg=")[2], None, spec.partition("#")[0], hashes))
        elif spec.startswith("./"):  # a local folder, named by its own pyproject
            project = tomllib.loads((DATA / spec / "pyproject.toml").read_text())["project"]
            entries.append((project["name"], None, spec, hashes))
        elif spec.startswith("https://"):  # an archive URL, named by its file name
            name_, _ = parse_sdist_filename(spec.rpartition("/")[2])
            entries.append((str(name_), None, spec, hashes))
        else:
            requirement = Requirement(spec)
            pins = [s.version for s in requirement.specifier if s.operator == "=="]
            entries.append((requirement.name, pins[0] if pins else None, spec, hashes))
    return entries


def test_inventory_matches_pipenv_requirements() -> None:
    pipfile = tomllib.loads((DATA / "Pipfile").read_text())
    expected = set()
    for table, account in ACCOUNTS.items():
        declared = {canonicalize_name(n) for n in pipfile[table]}
        expected |= {
            (canonicalize_name(n), v, h, canonicalize_name(n) in declared)
            for n, v, _, h in _account(account)
        }
    collected = _parse()
    got = {(canonicalize_name(c.name), c.version, frozenset(c.hashes), c.direct)
           for c in collected.components}  # fmt: skip
    assert got == expected
    assert len(collected.components) == len(got) > 20
    assert collected.dependencies == () and collected.diagnostics == ()


def test_direct_references_match_pipenv_requirements() -> None:
    by_name = {c.name: c for c in _parse().components}
    seen = set()
    for name, _, spec, _ in _account("requirements.txt"):
        qualifiers = PackageURL.from_string(by_name[name].purl).qualifiers
        if spec.startswith("git+"):
            assert qualifiers == {"vcs_url": spec}
        elif spec.startswith("./"):
            assert qualifiers == {"download_url": f"file:{spec}"}
        elif spec.startswith("https://"):
            assert qualifiers == {"download_url": spec}
        else:
            continue
        seen.add(name)
    assert seen == {"gitdep", "localdir", "urldep"}
    collected = _parse()
    rules = {(f.rule, f.purl.partition("?")[0]) for f in collected.findings}
    assert rules == {
        ("package.direct-reference", "pkg:pypi/gitdep"),
        ("package.direct-reference", "pkg:pypi/localdir"),
        ("package.direct-reference", "pkg:pypi/urldep"),
        ("package.editable", "pkg:pypi/localdir"),
        ("package.unpinned", "pkg:pypi/colorama"),  # pipenv could not pin it off Windows
    }


def test_every_component_points_at_its_key() -> None:
    lines = (DATA / "Pipfile.lock").read_text().splitlines()
    doc = json.loads((DATA / "Pipfile.lock").read_text())
    for component in _parse().components:
        (location,) = component.locations
        assert location.path == "Pipfile.lock" and location.line is not None
        assert lines[location.line - 1].strip() == f'"{component.name}": {{'
        section = "develop" if location.line > lines.index('    "develop": {') else "default"
        assert component.name in doc[section]


def test_minified_lock_still_parses_without_lines(tmp_path: Path) -> None:
    doc = json.loads((DATA / "Pipfile.lock").read_text())
    (tmp_path / "Pipfile.lock").write_text(json.dumps(doc))
    collected = _parse(tmp_path)
    assert {c.locations[0].line for c in collected.components} == {None}
    assert {c.direct for c in collected.components} == {None}  # and no Pipfile beside it
    assert len(collected.components) == len(_parse().components)


def test_credentials_and_index_urls_are_never_recorded(tmp_path: Path) -> None:
    assert "registry.invalid" not in repr(_parse())
    shutil.copy(DATA / "Pipfile.lock", tmp_path)
    lock = tmp_path / "Pipfile.lock"
    lock.write_text(
        lock.read_text()
        .replace("https://git.example.invalid", "https://user:tok3n@git.example.invalid")
        .replace("https://downloads.example", "https://user:tok3n@downloads.example")
    )
    assert "tok3n" not in repr(_parse(tmp_path))


def test_unusable_pipfile_is_a_diagnostic(tmp_path: Path) -> None:
    shutil.copy(DATA / "Pipfile.lock", tmp_path)
    (tmp_path / "Pipfile").write_text("[packages\n")
    collected = _parse(tmp_path)
    assert {c.direct for c in collected.components} == {None}
    (diagnostic,) = collected.diagnostics
    assert diagnostic.location == "Pipfile:1" and "direct" in diagnostic.message


def _lock(**sections: object) -> str:
    return json.dumps({"_meta": {"pipfile-spec": 6, "sources": []}, **sections}, indent=4)


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ('{\n    "_meta": {\n        "pipfile-spec": 5\n    }\n}', 3, "_meta.pipfile-spec"),
        ('{\n    "_meta": {\n        "pipfile-spec": "6"\n    }\n}', 3, "_meta.pipfile-spec"),
        ('{"default": {}}', None, "_meta.pipfile-spec"),
        ("[1]", None, "JSON object"),
        ('{\n    "_meta": {,\n}', 2, "not valid JSON"),
        (_lock(default={"requests": {"version": 3}}), 7, "default.requests.version"),
        (_lock(develop={"a": {}, "b": 3}), 8, "develop.b: expected an object"),
        (_lock(default={"a": {"hashes": "sha256:00"}}), 7, "default.a.hashes"),
        (_lock(default={"a": {"extras": [1]}}), 7, "default.a.extras"),
        (_lock(default={"a": {"git": None}}), 7, "default.a.git"),
        (_lock(default=[]), None, "default: expected an object"),
        (json.dumps({"_meta": {"pipfile-spec": 6, "sources": {}}}), None, "_meta.sources"),
    ],
)
def test_unusable_locks_raise_parse_error(
    tmp_path: Path, text: str, line: int | None, needle: str
) -> None:
    (tmp_path / "Pipfile.lock").write_text(text)
    with pytest.raises(ParseError) as info:
        _parse(tmp_path)
    assert info.value.path == "Pipfile.lock" and info.value.line == line
    assert needle in str(info.value)


def test_sniff() -> None:
    assert pipfile_lock.sniff((DATA / "Pipfile.lock").read_bytes()[:512])
    assert not pipfile_lock.sniff((DATA / "Pipfile").read_bytes()[:512])
    assert not pipfile_lock.sniff(b'{"lockfileVersion": 3, "packages": {}}')


_DOC = json.loads((DATA / "Pipfile.lock").read_text())
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def _mutated_locks(draw: st.DrawFn) -> str:
    """The real lock with a few values replaced by any JSON: wrong shapes at known key paths."""
    doc = json.loads(json.dumps(_DOC))
    for _ in range(draw(st.integers(1, 3))):
        section = draw(st.sampled_from(sorted(doc)))
        if not isinstance(doc[section], dict) or not doc[section] or draw(st.booleans()):
            doc[section] = draw(_JSON)
            continue
        name = draw(st.sampled_from(sorted(doc[section])))
        entry = doc[section][name]
        if isinstance(entry, dict) and entry and draw(st.booleans()):
            entry[draw(st.sampled_from([*sorted(entry), "git", "file", "path"]))] = draw(_JSON)
        else:
            doc[section][name] = draw(_JSON)
    return json.dumps(doc, indent=draw(st.sampled_from([None, 4])))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(_mutated_locks(), st.text(max_size=200)))
def test_only_parse_errors_escape(tmp_path: Path, text: str) -> None:
    (tmp_path / "Pipfile.lock").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        _parse(tmp_path)
    except ParseError as exc:
        assert exc.path == "Pipfile.lock"
