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
    args = parser.parse_args()

    if args.regenerate_lock100:
        regenerate_lock100(args.uv)
    lock100, uvlock, req = WORK / "lock100", WORK / "uvlock1000", WORK / "req1000"
    copy_lock100(lock100, args.lock100_from_tests)
    make_uvlock(uvlock, args.packages, args.direct, args.seed)
    export_requirements(args.uv, uvlock, req)
    for folder in (lock100, uvlock, req):
        files = ", ".join(sorted(p.name for p in folder.iterdir()))
        print(f"wrote {folder.relative_to(REPO)}: {files}")
    if args.check:
        check([lock100, uvlock, req])


if __name__ == "__main__":
    main()
