"""Installed-environment collector: a real venv checked against importlib.metadata, plus
small hand-built site-packages for the layouts a real install does not produce here."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packageurl import PackageURL
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from auditor.collectors import CollectContext, Collected
from auditor.collectors.python_env import PythonEnvironmentCollector
from auditor.sources.directory import DirectoryTree

ASKED = ("requests[socks]", "six", "attrs")
"""Installed by name from the wheelhouse; tinywheel (a file) and edproj (editable) join them."""


def _collect(root: Path) -> Collected:
    return PythonEnvironmentCollector().collect(DirectoryTree("t", root), CollectContext())


# --- a real venv -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def wheelhouse(pytestconfig: pytest.Config) -> Path:
    """Wheels for the venv, downloaded once and kept in the pytest cache."""
    folder = pytestconfig.cache.mkdir("python-env-wheelhouse")
    done = folder / "complete"
    if not done.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "-d", str(folder),
             *ASKED, "hatchling", "editables"],
            check=True, capture_output=True,
        )  # fmt: skip
        done.write_text("")
    return folder


def _tiny_wheel(folder: Path) -> Path:
    """A minimal valid wheel built by hand, so installing it needs no build backend."""
    name, version = "tinywheel", "1.0"
    files = {
        f"{name}/__init__.py": b"",
        f"{name}-{version}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nRequires-Dist: six\n"
        ).encode(),
        f"{name}-{version}.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = [
        f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},"
        f"{len(d)}"
        for p, d in files.items()
    ]
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
        archive.writestr(f"{name}-{version}.dist-info/RECORD", "\n".join(record) + "\n,,\n")
    return path


@pytest.fixture(scope="session")
def venv(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> dict[str, Path]:
    """A venv (no pip of its own) with registry, file-URL and editable installs."""
    base = tmp_path_factory.mktemp("venv")
    wheel = _tiny_wheel(base)
    project = base / "edproj"
    (project / "src" / "edproj").mkdir(parents=True)
    (project / "src" / "edproj" / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text(
        '[project]\nname = "edproj"\nversion = "0.2.0"\ndependencies = ["attrs"]\n\n'
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
    )
    env = base / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-index",
         "--find-links", str(wheelhouse), *ASKED, str(wheel), "-e", str(project)],
        check=True, capture_output=True,
    )  # fmt: skip
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    site = env / "lib" / version / "site-packages"
    return {"env": env, "site": site, "wheel": wheel, "project": project}


@pytest.mark.slow
def test_inventory_equals_importlib_metadata(venv: dict[str, Path]) -> None:
    listing = subprocess.run(
        [str(venv["env"] / "bin" / "python"), "-c",
         "import importlib.metadata as m, json, sys\n"
         "print(json.dumps([[d.metadata['Name'], d.version]"
         " for d in m.distributions(path=[sys.argv[1]])]))",
         str(venv["site"])],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    expected = {(canonicalize_name(n), v) for n, v in json.loads(listing)}
    collected = _collect(venv["env"])
    assert {(canonicalize_name(c.name), c.version) for c in collected.components} == expected
    assert not collected.diagnostics
    for component in collected.components:
        (location,) = component.locations
        assert location.path.startswith("lib/") and location.path.endswith(".dist-info")


@pytest.mark.slow
def test_direct_means_asked_for(venv: dict[str, Path]) -> None:
    asked = {canonicalize_name(Requirement(r).name) for r in ASKED} | {"tinywheel", "edproj"}
    collected = _collect(venv["env"])
    assert {canonicalize_name(c.name) for c in collected.components if c.direct} == asked
    assert len(collected.components) > len(asked)


@pytest.mark.slow
def test_edges_match_the_interpreter_s_own_marker_evaluation(venv: dict[str, Path]) -> None:
    dists = list(importlib.metadata.distributions(path=[str(venv["site"])]))
    installed = {canonicalize_name(d.metadata["Name"]) for d in dists}
    expected = set()
    for dist in dists:
        extras = [""] + (dist.metadata.get_all("Provides-Extra") or [])
        for text in dist.requires or []:
            requirement = Requirement(text)
            target = canonicalize_name(requirement.name)
            for extra in extras:
                if target in installed and (
                    requirement.marker is None or requirement.marker.evaluate({"extra": extra})
                ):
                    scope = f"extra:{canonicalize_name(extra)}" if extra else None
                    expected.add((canonicalize_name(dist.metadata["Name"]), target, scope))
                    break
    collected = _collect(venv["env"])
    names = {c.purl: canonicalize_name(c.name) for c in collected.components}
    got = {(names[d.source], names[d.target], d.scope) for d in collected.dependencies}
    assert got == expected
    assert ("requests", "pysocks", "extra:socks") in got


@pytest.mark.slow
def test_direct_url_installs(venv: dict[str, Path]) -> None:
    collected = _collect(venv["env"])
    by_name = {c.name: c for c in collected.components}
    wheel = by_name["tinywheel"]
    assert PackageURL.from_string(wheel.purl).qualifiers == {"download_url": venv["wheel"].as_uri()}
    assert f"sha256:{hashlib.sha256(venv['wheel'].read_bytes()).hexdigest()}" in wheel.hashes
    editable = by_name["edproj"]
    assert PackageURL.from_string(editable.purl).qualifiers == {
        "download_url": venv["project"].as_uri()
    }
    rules = {(f.rule, f.purl) for f in collected.findings}
    assert rules == {
        ("package.direct-reference", wheel.purl),
        ("package.direct-reference", editable.purl),
        ("package.editable", editable.purl),
    }


@pytest.mark.slow
def test_declared_metadata_becomes_evidence(venv: dict[str, Path]) -> None:
    collected = _collect(venv["env"])
    for dist in importlib.metadata.distributions(path=[str(venv["site"])]):
        component = next(c for c in collected.components if c.name == dist.metadata["Name"])
        claims = {(e.field, e.value) for e in component.evidence}
        for entry in dist.metadata.get_all("Project-URL") or []:
            label, _, url = entry.partition(",")
            assert (f"Project-URL.{label.strip()}", url.strip()) in claims
        assert ("INSTALLER", (dist.read_text("INSTALLER") or "").strip()) in claims
        assert all(e.where.startswith(component.locations[0].path) for e in component.evidence)


@pytest.mark.slow
def test_missing_recorded_file_is_a_diagnostic(venv: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "env"
    shutil.copytree(venv["env"], copy, symlinks=True)
    site = copy / venv["site"].relative_to(venv["env"])
    (site / "six.py").unlink()
    collected = _collect(copy)
    (diagnostic,) = collected.diagnostics
    assert re.search(r"/six-[^/]+\.dist-info/RECORD$", diagnostic.location)
    assert "six.py" in diagnostic.message
    assert len(collected.components) == len(_collect(venv["env"]).components)


# --- hand-built layouts ------------------------------------------------------------------


def _dist(
    site: Path,
    name: str,
    version: str = "1.0",
    requires: tuple[str, ...] = (),
    headers: str = "",
    requested: bool = False,
) -> Path:
    folder = site / f"{name}-{version}.dist-info"
    folder.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    (folder / "METADATA").write_text("\n".join(lines) + "\n" + headers)
    if requested:
        (folder / "REQUESTED").write_text("")
    return folder


def test_bare_site_packages_ignores_nested_fixture_dist_info(tmp_path: Path) -> None:
    _dist(tmp_path, "alpha", requires=("beta",))
    _dist(tmp_path, "beta")
    _dist(tmp_path / "alpha" / "tests" / "data", "fixture")
    _dist(tmp_path / "alpha" / "_vendor", "vendored")
    collected = _collect(tmp_path)
    # The test fixture is data; the vendored copy is code alpha ships (a `contains` edge).
    assert {(c.name, c.direct) for c in collected.components} == {
        ("alpha", True), ("beta", False), ("vendored", False)
    }  # fmt: skip
    [contains] = [d for d in collected.dependencies if d.kind.value == "contains"]
    assert (contains.source, contains.target) == ("pkg:pypi/alpha@1.0", "pkg:pypi/vendored@1.0")


def test_a_checkout_is_not_an_environment(tmp_path: Path) -> None:
    (tmp_path / "proj.egg-info").mkdir()
    (tmp_path / "proj.egg-info" / "PKG-INFO").write_text("Name: proj\nVersion: 1\n")
    _dist(tmp_path / "src", "other")
    assert _collect(tmp_path).components == ()


def test_two_environments_in_one_tree_stay_apart(tmp_path: Path) -> None:
    old = tmp_path / "opt" / "a" / "lib" / "python3.10" / "site-packages"
    new = tmp_path / "opt" / "b" / "lib" / "python3.12" / "site-packages"
    for site in (old, new):
        _dist(site, "app", requires=('shim; python_version < "3.11"', "lib"))
        _dist(site, "shim")
    _dist(new, "lib")
    collected = _collect(tmp_path)
    assert len(collected.components) == 5
    # 3.10 needs the shim, 3.12 does not; `lib` exists only in b, so a gets no edge to it
    assert sorted((d.source, d.target) for d in collected.dependencies) == [
        ("pkg:pypi/app@1.0", "pkg:pypi/lib@1.0"),
        ("pkg:pypi/app@1.0", "pkg:pypi/shim@1.0"),
    ]
    direct = {(c.locations[0].path.split("/")[1], c.name): c.direct for c in collected.components}
    assert direct == {
        ("a", "app"): True, ("a", "shim"): False,
        ("b", "app"): True, ("b", "shim"): True, ("b", "lib"): False,
    }  # fmt: skip


def test_pyvenv_cfg_gives_the_python_version(tmp_path: Path) -> None:
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / "pyvenv.cfg").write_text(
        "home = C:\\Python\nversion_info = 3.8.10.final.0\n"
    )
    site = tmp_path / "venv" / "Lib" / "site-packages"
    _dist(site, "app", requires=('new; python_version >= "3.9"', 'old; python_version < "3.9"'))
    _dist(site, "new")
    _dist(site, "old")
    collected = _collect(tmp_path)
    targets = {d.target for d in collected.dependencies}
    assert targets == {"pkg:pypi/old@1.0"}


def test_everything_requested_falls_back_to_the_graph(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    _dist(site, "app", requires=("lib[fast]",), requested=True)
    _dist(site, "lib", requires=('speed; extra == "fast"',), headers="Provides-Extra: fast\n",
          requested=True)  # fmt: skip
    _dist(site, "speed", requested=True)
    collected = _collect(tmp_path)
    assert {c.name for c in collected.components if c.direct} == {"app"}
    scopes = {(d.source, d.scope) for d in collected.dependencies}
    assert scopes == {("pkg:pypi/app@1.0", None), ("pkg:pypi/lib@1.0", "extra:fast")}


def test_egg_info_directory_and_file(tmp_path: Path) -> None:
    site = tmp_path / "usr" / "lib" / "python3" / "dist-packages"
    egg = site / "tool-2.0.egg-info"
    egg.mkdir(parents=True)
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: tool\nVersion: 2.0\nLicense: MIT\n")
    (egg / "requires.txt").write_text(
        "base\n\n[color]\npaint\n\n[:sys_platform == 'nope']\nnever\n"
    )
    (site / "base-0.5-py3.11.egg-info").write_text(
        "Metadata-Version: 1.1\nName: base\nVersion: 0.5\n"
    )
    (site / "paint-1.egg-info").write_text("Name: paint\nVersion: 1\n")
    collected = _collect(tmp_path)
    assert {(c.name, c.version, c.license) for c in collected.components} == {
        ("tool", "2.0", "MIT"), ("base", "0.5", None), ("paint", "1", None)
    }  # fmt: skip
    scopes = {(d.target, d.scope) for d in collected.dependencies}
    assert scopes == {("pkg:pypi/base@0.5", None), ("pkg:pypi/paint@1", "extra:color")}


def test_vcs_direct_url_and_bad_files(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    vcs = _dist(site, "fromgit")
    (vcs / "direct_url.json").write_text(json.dumps({
        "url": "https://user:secret@git.example.invalid/fromgit",
        "vcs_info": {"vcs": "git", "commit_id": "a" * 40, "requested_revision": "main"},
    }))  # fmt: skip
    broken = _dist(site, "broken")
    (broken / "direct_url.json").write_text("{not json")
    (broken / "RECORD").write_bytes(b'"unterminated\0,x\n')
    garbage = site / "junk-3.dist-info"
    garbage.mkdir()
    (garbage / "METADATA").write_bytes(b"\xff\xfe\x00 no headers here")
    collected = _collect(tmp_path)
    by_name = {c.name: c for c in collected.components}
    assert PackageURL.from_string(by_name["fromgit"].purl).qualifiers == {
        "vcs_url": f"git+https://git.example.invalid/fromgit@{'a' * 40}"
    }
    assert "secret" not in repr(collected)
    assert ("vcs_info.requested_revision", "main") in {
        (e.field, e.value) for e in by_name["fromgit"].evidence
    }
    assert by_name["junk"].version == "3"
    located = sorted(d.location for d in collected.diagnostics)
    assert located == [
        "site-packages/broken-1.0.dist-info/RECORD",
        "site-packages/broken-1.0.dist-info/direct_url.json",
        "site-packages/junk-3.dist-info/METADATA",
    ]


_REAL_METADATA = importlib.metadata.distribution("requests").read_text("METADATA") or ""


@st.composite
def _metadata(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=300))
    lines = _REAL_METADATA.splitlines()[:40]
    for _ in range(draw(st.integers(1, 5))):
        index = draw(st.integers(0, len(lines) - 1))
        lines[index] = draw(st.sampled_from([
            "Requires-Dist: " + draw(st.text(max_size=30)),
            "Name: " + draw(st.text(max_size=10)),
            "Version: " + draw(st.text(max_size=10)),
            "Provides-Extra: " + draw(st.text(max_size=10)),
            draw(st.text(max_size=30)),
        ]))  # fmt: skip
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    metadata=_metadata(),
    direct_url=st.one_of(st.text(max_size=80), st.just('{"url": 1, "archive_info": {"hash": 2}}'),
                         st.just('{"url": "x", "vcs_info": [], "dir_info": {"editable": 1}}')),
    record=st.text(max_size=80),
    requires=st.text(max_size=80),
    name=st.from_regex(r"[A-Za-z0-9_.]{1,8}-[0-9a-z.!+-]{0,6}", fullmatch=True),
)  # fmt: skip
def test_malformed_distributions_never_raise(
    tmp_path: Path, metadata: bytes, direct_url: str, record: str, requires: str, name: str
) -> None:
    site = tmp_path / "lib" / "python3.12" / "site-packages"
    shutil.rmtree(tmp_path / "lib", ignore_errors=True)
    folder = site / f"{name}.dist-info"
    folder.mkdir(parents=True)
    (folder / "METADATA").write_bytes(metadata)
    (folder / "direct_url.json").write_text(direct_url, errors="surrogatepass")
    (folder / "RECORD").write_text(record, errors="surrogatepass")
    egg = site / f"{name}.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_bytes(metadata)
    (egg / "requires.txt").write_text(requires, errors="surrogatepass")
    collected = _collect(tmp_path)
    assert len(collected.components) + len(collected.diagnostics) >= 1
