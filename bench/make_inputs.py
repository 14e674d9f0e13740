"""Write the benchmark inputs under bench/work/.

- lock100/: a ~100-package Python lockfile folder (pyproject.toml, uv.lock and the matching
  `uv pip compile --generate-hashes` requirements.txt), copied from bench/inputs/lock100/,
  which real uv produced (`--regenerate-lock100` makes it again; that needs the registry).
  `--lock100-from-tests` copies the repo's test data instead.
- uvlock1000/: a synthetic but format-exact 1,000-package uv.lock and its pyproject.toml.
- req1000/: the same 1,000 pins as requirements.txt, exported from that uv.lock by
  `uv export --frozen`, which also proves that uv itself accepts the synthetic lock.
  syft 1.18 (the newest wheel) has no uv.lock cataloger, so this is the 1,000-package
  input it can be compared on.

`--check` runs trivy and syft once on each input and prints how many packages they find.

Issue 3's suite (`run.py --suite python-lockfiles`) reads one folder per lockfile format,
all locking lock100's ~100 pins with the real tool, copied from
bench/inputs/<format>/ (committed, registry URLs rewritten):
- poetry/: pyproject.toml + poetry.lock (poetry lock)
- pipenv/: Pipfile + Pipfile.lock (pipenv lock)
- pdm/: pyproject.toml + pdm.lock (pdm lock)
- pylock/: pylock.toml (uv export --format pylock.toml from lock100's uv.lock)
- requirements/: lock100's requirements.txt alone
`--regenerate-lockfiles` makes them again (needs the registry and poetry, pipenv and pdm on
PATH or in `--lock-tools DIR`). `--env100` also installs lock100's requirements into
bench/work/env100, an environment for the installed-environment comparison (registry).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench_tools import (
    BENCH,
    DEFAULT_UV,
    REPO,
    WORK,
    child_env,
    count_components,
    find_syft,
    find_trivy,
    syft_command,
    trivy_command,
)

INPUTS = BENCH / "inputs"
LOCK100_SOURCE = INPUTS / "lock100"
COMPILE_ARGS = ("pyproject.toml", "-o", "requirements.txt")
EXPORT_ARGS = ("--no-emit-project", "--format", "requirements-txt", "-o", "requirements.txt")
INDEX = "https://registry.invalid/simple"
FILES = "https://files.registry.invalid"

# Real dependencies that resolve to ~100 packages: a typical web service with data,
# task-queue, docs and test tooling. Changing this list changes the benchmark input.
LOCK100_DEPENDENCIES = (
    "fastapi>=0.110",
    "uvicorn[standard]>=0.29",
    "sqlalchemy>=2.0",
    "alembic>=1.13",
    "celery[redis]>=5.3",
    "requests>=2.31",
    "httpx>=0.27",
    "pydantic-settings>=2.2",
    "jinja2>=3.1",
    "rich>=13",
    "typer>=0.12",
    "boto3>=1.34",
    "pandas>=2.2",
    "structlog>=24",
    "pytest>=8",
    "cryptography>=42",
    "sphinx>=7",
    "mypy>=1.10",
    "black>=24",
    "matplotlib>=3.8",
)

# Any https host except github.com; spelled generically so no registry host is ever named.
_URL_HOST = re.compile(r"https://(?!github\.com/)[A-Za-z0-9.-]+(?=/)")


def rewrite_registry_urls(text: str) -> str:
    """Point every registry URL at a .invalid host (house rule: no registry host names).

    File downloads live under /packages/ on the file host, the index elsewhere; keep that
    split so the rewritten lock still looks like a real one.
    """

    def replace(match: re.Match[str]) -> str:
        rest = text[match.end() : match.end() + 10]
        return FILES if rest.startswith("/packages/") else "https://registry.invalid"

    return _URL_HOST.sub(replace, text)


def regenerate_lock100(uv: Path) -> None:
    """Make bench/inputs/lock100 again with real uv (needs the package registry)."""
    deps = "".join(f'  "{d}",\n' for d in LOCK100_DEPENDENCIES)
    pyproject = (
        "[project]\n"
        'name = "bench-app"\n'
        'version = "0.1.0"\n'
        'requires-python = ">=3.11"\n'
        f"dependencies = [\n{deps}]\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "pyproject.toml").write_text(pyproject)
        subprocess.run([str(uv), "lock", "--quiet"], cwd=folder, check=True)
        subprocess.run(
            [str(uv), "pip", "compile", "--quiet", "--generate-hashes", *COMPILE_ARGS],
            cwd=folder,
            check=True,
        )
        LOCK100_SOURCE.mkdir(parents=True, exist_ok=True)
        for name in ("pyproject.toml", "uv.lock", "requirements.txt"):
            text = (folder / name).read_text()
            (LOCK100_SOURCE / name).write_text(rewrite_registry_urls(text))


def copy_lock100(dest: Path, from_tests: bool) -> None:
    """Fill bench/work/lock100 from the committed input or from the repo's test data."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    if not from_tests:
        for item in LOCK100_SOURCE.iterdir():
            shutil.copy2(item, dest / item.name)
        return
    # The repo's test data is real tool output but smaller (two ~45-pin requirements files
    # and a ~40-package uv project), which is why the committed input is the default.
    data = REPO / "tests" / "data" / "python"
    project = data / "uvlock" / "project"
    requirements = sorted((data / "requirements").glob("requirements*.txt"))
    sources = [*requirements, project / "uv.lock", project / "pyproject.toml"]
    missing = [str(s) for s in sources if not s.is_file()]
    if missing or not requirements:
        sys.exit(f"make_inputs: test data missing ({missing or data}); drop --lock100-from-tests")
    for source in sources:
        # A folder with several requirements files and one uv project, as in a real repo.
        shutil.copy2(source, dest / source.name)


# --- issue 3: one ~100-package folder per Python lockfile format -----------------------

LOCKFILE_INPUTS = ("poetry", "pipenv", "pdm", "pylock", "requirements")
"""Folders under bench/inputs/ and bench/work/ that `run.py --suite python-lockfiles` reads."""


def lock100_pins() -> list[str]:
    """`name==version` for every package of lock100's uv.lock (a universal resolution).

    The other tools lock these exact pins rather than LOCK100_DEPENDENCIES: the registry
    mirror this was made with lacked the metadata of some newer releases, and pinning keeps
    every format's lock to the same ~100 packages uv chose, on every platform.
    """
    with (LOCK100_SOURCE / "uv.lock").open("rb") as fh:
        packages = tomllib.load(fh)["package"]
    # A forked resolution lists some names twice (one version per Python range); the first,
    # oldest, is the one that installs across the whole requires-python range.
    first: dict[str, str] = {}
    for p in packages:
        if "registry" in p.get("source", {}):
            first.setdefault(p["name"], p["version"])
    return [f"{name}=={version}" for name, version in first.items()]


def _project_toml(extra: str = "") -> str:
    deps = "".join(f'  "{d}",\n' for d in lock100_pins())
    return (
        f'[project]\nname = "bench-app"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        f"dependencies = [\n{deps}]\n{extra}"
    )


def _pipfile() -> str:
    """The same pins in Pipfile form."""
    packages = "\n".join(f'"{n}" = "=={v}"' for n, v in (p.split("==") for p in lock100_pins()))
    return f'[packages]\n{packages}\n\n[requires]\npython_version = "3.11"\n'


def _tool(name: str, tools: Path | None) -> str:
    found = shutil.which(name, path=str(tools) if tools else None)
    if found is None:
        sys.exit(f"make_inputs: {name} not found (put it on PATH or pass --lock-tools DIR)")
    return found


def _lock(folder: Path, files: dict[str, str], argv: Sequence[str], env: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text)
    subprocess.run(argv, cwd=folder, check=True, env=child_env(env))


def _poetry_extra(index: str | None) -> str:
    """poetry reads a registry's JSON API unless told the index is a plain simple index."""
    # cyclonedx-py's poetry reader needs poetry's own name and version keys.
    extra = '\n[tool.poetry]\npackage-mode = false\nname = "bench-app"\nversion = "0.1.0"\n'
    if index:
        extra += (
            f'\n[[tool.poetry.source]]\nname = "index"\nurl = "{index}"\npriority = "primary"\n'
        )
    return extra


def regenerate_lockfiles(uv: Path, tools: Path | None, index: str | None = None) -> None:
    """Lock lock100's pins with poetry, pipenv and pdm, export pylock.toml (registry)."""
    quiet = {"PIPENV_VENV_IN_PROJECT": "1", "PIPENV_NOSPIN": "1", "PDM_CHECK_UPDATE": "false"}
    jobs = {
        "poetry": (
            {"pyproject.toml": _project_toml(_poetry_extra(index))},
            [_tool("poetry", tools), "lock", "--no-interaction"],
            ("pyproject.toml", "poetry.lock"),
        ),
        "pipenv": (
            {"Pipfile": _pipfile()},
            [_tool("pipenv", tools), "lock"],
            ("Pipfile", "Pipfile.lock"),
        ),
        "pdm": (
            {"pyproject.toml": _project_toml("\n[tool.pdm]\ndistribution = false\n")},
            [_tool("pdm", tools), "lock"],
            ("pyproject.toml", "pdm.lock"),
        ),
    }
    for name, (files, argv, keep) in jobs.items():
        with tempfile.TemporaryDirectory() as tmp:
            try:
                _lock(Path(tmp), files, argv, quiet)
            except subprocess.CalledProcessError as error:
                # One tool failing (a registry mirror without its metadata API, say) must
                # not cost the other formats their input.
                print(f"make_inputs: {name}: {error}; bench/inputs/{name} left as it was")
                continue
            _keep(Path(tmp), INPUTS / name, keep)
    with tempfile.TemporaryDirectory() as tmp:
        # pylock.toml from lock100's uv.lock, exported offline exactly as locked.
        shutil.copy2(LOCK100_SOURCE / "uv.lock", Path(tmp) / "uv.lock")
        shutil.copy2(LOCK100_SOURCE / "pyproject.toml", Path(tmp) / "pyproject.toml")
        argv = [str(uv), "export", "--frozen", "--offline", "--quiet", "--no-emit-project"]
        _lock(Path(tmp), {}, [*argv, "--format", "pylock.toml", "-o", "pylock.toml"], {})
        _keep(Path(tmp), INPUTS / "pylock", ("pylock.toml",))


def _keep(source: Path, dest: Path, names: Sequence[str]) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in names:
        (dest / name).write_text(rewrite_registry_urls((source / name).read_text()))


def copy_lockfiles() -> list[Path]:
    """Fill bench/work/<format>/ from bench/inputs/ (requirements/ from lock100's)."""
    written = []
    for name in LOCKFILE_INPUTS:
        dest = WORK / name
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        if name == "requirements":
            shutil.copy2(LOCK100_SOURCE / "requirements.txt", dest / "requirements.txt")
        elif (INPUTS / name).is_dir():
            for item in (INPUTS / name).iterdir():
                shutil.copy2(item, dest / item.name)
        else:
            print(f"make_inputs: bench/inputs/{name} missing; run --regenerate-lockfiles")
            continue
        written.append(dest)
    return written


def make_env100(uv: Path) -> Path:
    """An installed environment holding lock100's pins (needs the registry)."""
    dest = WORK / "env100"
    if dest.exists():
        shutil.rmtree(dest)
    subprocess.run([str(uv), "venv", "--quiet", "--python", sys.executable, str(dest)], check=True)
    # The committed requirements name no index; uv uses its configured one.
    python = str(dest / "bin" / "python")
    requirements = str(LOCK100_SOURCE / "requirements.txt")
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--python", python, "-r", requirements], check=True
    )
    return dest


# --- the synthetic 1,000-package uv.lock ------------------------------------------------

_PARTS = (
    "aero", "alto", "amber", "arc", "astro", "atlas", "aura", "azure", "beacon", "birch",
    "bolt", "brisk", "cedar", "cirrus", "cobalt", "comet", "coral", "crest", "cyan", "delta",
    "drift", "echo", "ember", "fern", "flint", "flux", "forge", "frost", "gale", "glyph",
    "granite", "harbor", "helix", "hydra", "ion", "jade", "juniper", "kelp", "kite", "lumen",
    "lynx", "maple", "meadow", "mesa", "nova", "oak", "onyx", "orbit", "pebble", "pine",
    "prism", "pulse", "quartz", "raven", "reef", "ridge", "sable", "sage", "shale", "sierra",
    "slate", "spark", "spruce", "summit", "tide", "topaz", "tundra", "vale", "vertex", "willow",
)  # fmt: skip
_SUFFIXES = (
    "", "", "", "core", "utils", "client", "sdk", "io", "http", "cli", "async", "types",
    "schema", "plugin", "tools", "lib", "compat", "config", "codec", "metrics",
)  # fmt: skip
_WHEEL_TAGS = (
    "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp311-cp311-macosx_11_0_arm64",
)
_MARKERS = (
    "sys_platform == 'win32'",
    "python_full_version < '3.12'",
    "sys_platform != 'emscripten'",
)


@dataclass(frozen=True, slots=True)
class SyntheticPackage:
    """One [[package]] of the synthetic lock; deps are (name, marker or None)."""

    name: str
    version: str
    pure: bool
    deps: tuple[tuple[str, str | None], ...]


def _names(rng: random.Random, count: int) -> list[str]:
    """Distinct, already-normalised (PEP 503) package names that read like real ones."""
    names: set[str] = set()
    while len(names) < count:
        first, second = rng.choice(_PARTS), rng.choice(_PARTS + ("",) * 20)
        parts = [first] + [p for p in (second, rng.choice(_SUFFIXES)) if p and p != first]
        names.add("-".join(parts))
    return sorted(names)


def synthetic_packages(count: int, direct: int, seed: int) -> list[SyntheticPackage]:
    """A dependency DAG where every package is reachable from the `direct` roots.

    Packages are ordered; each one after the direct set gets one parent among the earlier
    ones (so nothing is orphaned), and some extra edges to later ones (so it is a DAG with
    shared dependencies, like a real resolution, never a cycle).
    """
    rng = random.Random(seed)
    order = _names(rng, count)
    rng.shuffle(order)
    edges: dict[int, dict[int, str | None]] = {i: {} for i in range(count)}
    for child in range(direct, count):
        # Favour recent parents so chains get deep, as real trees do.
        parent = rng.randrange(max(0, child - 200), child)
        edges[parent][child] = None
    for parent in range(count - 1):
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            child = rng.randrange(parent + 1, count)
            marker = rng.choice(_MARKERS) if rng.random() < 0.05 else None
            edges[parent].setdefault(child, marker)
    packages = []
    for index, name in enumerate(order):
        version = f"{rng.randint(0, 12)}.{rng.randint(0, 40)}.{rng.randint(0, 20)}"
        deps = tuple(sorted((order[c], m) for c, m in edges[index].items()))
        packages.append(SyntheticPackage(name, version, rng.random() < 0.6, deps))
    return packages


def _artifact(rng: random.Random, filename: str) -> str:
    """url, sha256, size and upload-time of one file, in uv.lock's inline-table form."""
    digest = hashlib.sha256(filename.encode()).hexdigest()
    url = f"{FILES}/packages/{digest[:2]}/{digest[2:4]}/{digest[4:60]}/{filename}"
    stamp = (
        f"20{rng.randint(19, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"
    )
    size = rng.randint(4_000, 9_000_000)
    return f'{{ url = "{url}", hash = "sha256:{digest}", size = {size}, upload-time = "{stamp}" }}'


def _dependency_line(name: str, marker: str | None) -> str:
    if marker is None:
        return f'    {{ name = "{name}" }},\n'
    return f'    {{ name = "{name}", marker = "{marker}" }},\n'


def render_uv_lock(packages: list[SyntheticPackage], project: str, direct: int) -> str:
    """The uv.lock text: same field order and quoting as uv writes."""
    rng = random.Random(len(packages))
    roots = sorted(packages[:direct], key=lambda p: p.name)
    blocks = [
        (
            project,
            f'[[package]]\nname = "{project}"\nversion = "0.1.0"\nsource = {{ editable = "." }}\n'
            + "dependencies = [\n"
            + "".join(_dependency_line(p.name, None) for p in roots)
            + "]\n\n[package.metadata]\nrequires-dist = [\n"
            + "".join(f'    {{ name = "{p.name}", specifier = ">={p.version}" }},\n' for p in roots)
            + "]\n",
        )
    ]
    for package in packages:
        stem = package.name.replace("-", "_")
        text = f'[[package]]\nname = "{package.name}"\nversion = "{package.version}"\n'
        text += f'source = {{ registry = "{INDEX}" }}\n'
        if package.deps:
            text += "dependencies = [\n" + "".join(_dependency_line(*d) for d in package.deps)
            text += "]\n"
        text += f"sdist = {_artifact(rng, f'{stem}-{package.version}.tar.gz')}\n"
        # Two wheels each, as the issue asks: pure packages get the separate py2 and py3
        # wheels some real projects still carry, binary ones two platforms.
        tags = ("py2-none-any", "py3-none-any") if package.pure else _WHEEL_TAGS[:2]
        wheels = [_artifact(rng, f"{stem}-{package.version}-{tag}.whl") for tag in tags]
        text += "wheels = [\n" + "".join(f"    {w},\n" for w in wheels) + "]\n"
        blocks.append((package.name, text))
    blocks.sort(key=lambda block: block[0])
    header = 'version = 1\nrevision = 3\nrequires-python = ">=3.11"\n\n'
    return header + "\n".join(text for _, text in blocks)


def render_pyproject(packages: list[SyntheticPackage], project: str, direct: int) -> str:
    """The project whose lock this is: editable, so it needs a build backend."""
    roots = sorted(packages[:direct], key=lambda p: p.name)
    deps = "".join(f'  "{p.name}>={p.version}",\n' for p in roots)
    return (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{project}"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        f"dependencies = [\n{deps}]\n"
    )


def make_uvlock(dest: Path, count: int, direct: int, seed: int) -> None:
    """Write pyproject.toml and uv.lock for `count` synthetic packages into dest."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    project = "bench-synthetic"
    packages = synthetic_packages(count, direct, seed)
    (dest / "pyproject.toml").write_text(render_pyproject(packages, project, direct))
    (dest / "uv.lock").write_text(render_uv_lock(packages, project, direct))


def export_requirements(uv: Path, lock_dir: Path, dest: Path) -> None:
    """requirements.txt with hashes from the lock, by uv itself (offline, lock as is)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    # Run from dest with relative paths so the header uv writes names no local path.
    project = os.path.relpath(lock_dir, dest)
    subprocess.run(
        [
            str(uv),
            "export",
            "--frozen",
            "--offline",
            "--quiet",
            "--project",
            project,
            *EXPORT_ARGS,
        ],
        cwd=dest,
        check=True,
    )


def check(inputs: list[Path]) -> None:
    """Run trivy and syft once per input and print how many packages each reports."""
    trivy, syft = find_trivy(), find_syft()
    if trivy is None or syft is None:
        sys.exit("make_inputs: run bench/setup.sh first (trivy/syft not found)")
    with tempfile.TemporaryDirectory() as cache:
        for target in inputs:
            for name, command in (
                ("trivy", trivy_command(trivy, target, Path(cache))),
                ("syft", syft_command(syft, target)),
            ):
                done = subprocess.run(
                    command.argv, env=child_env(command.env), capture_output=True, text=True
                )
                counted = count_components(done.stdout)
                shown = f"{counted.total} ({counted.unique} unique)" if counted else "no report"
                print(f"{target.name:12} {name:6} exit {done.returncode}  packages {shown}")


def main() -> None:
    """Parse flags and write the inputs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uv", type=Path, default=DEFAULT_UV, help="uv binary")
    parser.add_argument("--packages", type=int, default=1000, help="synthetic lock size")
    parser.add_argument("--direct", type=int, default=30, help="root project's dependencies")
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--lock100-from-tests", action="store_true")
    parser.add_argument("--regenerate-lock100", action="store_true")
    parser.add_argument("--check", action="store_true", help="count packages with trivy/syft")
    parser.add_argument("--regenerate-lockfiles", action="store_true")
    parser.add_argument("--lock-tools", type=Path, help="folder with poetry, pipenv, pdm")
    parser.add_argument("--index-url", help="simple index for poetry (its default needs JSON)")
    parser.add_argument("--env100", action="store_true", help="also make bench/work/env100")
    args = parser.parse_args()

    if args.regenerate_lock100:
        regenerate_lock100(args.uv)
    if args.regenerate_lockfiles:
        regenerate_lockfiles(args.uv, args.lock_tools, args.index_url)
    lock100, uvlock, req = WORK / "lock100", WORK / "uvlock1000", WORK / "req1000"
    copy_lock100(lock100, args.lock100_from_tests)
    make_uvlock(uvlock, args.packages, args.direct, args.seed)
    export_requirements(args.uv, uvlock, req)
    folders = [lock100, uvlock, req, *copy_lockfiles()]
    if args.env100:
        folders.append(make_env100(args.uv))
    for folder in folders:
        files = ", ".join(sorted(p.name for p in folder.iterdir()))
        print(f"wrote {folder.relative_to(REPO)}: {files}")
    if args.check:
        check([lock100, uvlock, req])


if __name__ == "__main__":
    main()
