"""Issue 7's benchmark inputs: a synthetic but format-exact npm lockfile and installed tree.

bench/work/npmlock2000/   package.json + package-lock.json (lockfileVersion 3) of 2,000
                          installed packages: hoisted ones plus nested copies where two
                          versions of a package are needed, a DAG of dependencies, a few
                          dev and optional ones, sha512 integrity, registry tarball URLs
                          (on registry.invalid).
bench/work/nodemodules1000/  package.json + node_modules/ of 1,000 installed packages laid
                          out as npm installs them (scoped, hoisted and nested), each with
                          a realistic package.json (repository, author, license, deps).

Deterministic for a seed. `--check` scans both with trivy and syft and prints how many
packages each finds (a peer that finds nothing would make its timing meaningless).

    .venv/bin/python bench/js_inputs.py [--check]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench_tools import (
    DEFAULT_AUDITOR,
    WORK,
    ToolCommand,
    auditor_command,
    child_env,
    count_components,
    find_syft,
    find_trivy,
    syft_command,
    trivy_command,
)
from packageurl import PackageURL

REGISTRY = "https://registry.invalid"
_WORDS = [
    "ansi",
    "array",
    "async",
    "babel",
    "buffer",
    "cache",
    "chalk",
    "color",
    "core",
    "debug",
    "deep",
    "each",
    "event",
    "fast",
    "file",
    "glob",
    "graph",
    "hash",
    "http",
    "json",
    "lodash",
    "map",
    "merge",
    "mime",
    "node",
    "object",
    "parse",
    "path",
    "promise",
    "query",
    "react",
    "read",
    "regex",
    "semver",
    "stream",
    "string",
    "style",
    "type",
    "util",
    "uuid",
    "yaml",
]


@dataclass(slots=True)
class Package:
    """One installed copy: where it sits, what it is, what it needs."""

    folder: str
    name: str
    version: str
    deps: dict[str, str] = field(default_factory=dict)
    dev: bool = False
    optional: bool = False


def _names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        name = "-".join(rng.sample(_WORDS, rng.choice((1, 2, 2, 3))))
        if rng.random() < 0.15:
            name = f"@{rng.choice(_WORDS)}/{name}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _version(rng: random.Random) -> str:
    return f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 20)}"


def synthetic_tree(count: int, seed: int) -> tuple[list[Package], dict[str, str]]:
    """`count` installed copies (about 8% nested second versions) and the root's deps."""
    rng = random.Random(seed)
    nested = count // 12
    names = _names(rng, count - nested)
    hoisted = [
        Package(
            f"node_modules/{n}", n, f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 20)}"
        )
        for n in names
    ]
    for index, package in enumerate(hoisted):
        later = hoisted[index + 1 :]
        for dep in rng.sample(later, min(len(later), rng.choice((0, 1, 2, 3, 4)))):
            package.deps[dep.name] = f"^{dep.version}"
    packages = list(hoisted)
    # A second version of a package, nested under a dependent that asks for it.
    for dependent in rng.sample(hoisted[: len(hoisted) // 2], nested):
        other = rng.choice(hoisted[len(hoisted) // 2 :])
        old = f"{int(other.version.split('.')[0]) + 10}.0.0"
        dependent.deps[other.name] = f"^{old}"
        packages.append(Package(f"{dependent.folder}/node_modules/{other.name}", other.name, old))
    direct = {p.name: f"^{p.version}" for p in hoisted[:40]}
    for package in hoisted[30:40]:
        package.dev = True
    hoisted[40].optional = True
    direct[hoisted[40].name] = f"^{hoisted[40].version}"
    return packages, direct


def _integrity(package: Package) -> str:
    digest = hashlib.sha512(f"{package.name}@{package.version}".encode()).digest()
    return f"sha512-{base64.b64encode(digest).decode()}"


def _tarball(package: Package) -> str:
    return f"{REGISTRY}/{package.name}/-/{package.name.rpartition('/')[2]}-{package.version}.tgz"


def render_lock(packages: list[Package], direct: dict[str, str]) -> str:
    """package-lock.json v3 exactly as npm lays it out (two-space indent, sorted keys)."""
    dev = {p.name for p in packages if p.dev}
    root: dict[str, object] = {
        "name": "bench-app",
        "version": "1.0.0",
        "dependencies": {n: r for n, r in direct.items() if n not in dev},
        "devDependencies": {n: r for n, r in direct.items() if n in dev},
    }
    entries: dict[str, object] = {"": root}
    for package in sorted(packages, key=lambda p: p.folder):
        entry: dict[str, object] = {"version": package.version, "resolved": _tarball(package)}
        entry["integrity"] = _integrity(package)
        if package.dev:
            entry["dev"] = True
        if package.optional:
            entry["optional"] = True
        entry["license"] = "MIT"
        if package.deps:
            entry["dependencies"] = dict(sorted(package.deps.items()))
        entries[package.folder] = entry
    doc = {"name": "bench-app", "version": "1.0.0", "lockfileVersion": 3, "requires": True}
    doc["packages"] = entries
    return json.dumps(doc, indent=2) + "\n"


def render_manifest(package: Package, rng: random.Random) -> str:
    """An installed package.json as published packages write them."""
    bare = package.name.rpartition("/")[2]
    owner = rng.choice(_WORDS)
    doc = {
        "name": package.name,
        "version": package.version,
        "description": f"The {bare} package",
        "main": "index.js",
        "repository": {"type": "git", "url": f"git+https://github.com/{owner}/{bare}.git"},
        "author": f"{owner.title()} Author <{owner}@example.com>",
        "license": rng.choice(("MIT", "ISC", "Apache-2.0", "BSD-3-Clause")),
        "homepage": f"https://github.com/{owner}/{bare}#readme",
        "bugs": {"url": f"https://github.com/{owner}/{bare}/issues"},
        "engines": {"node": ">=14"},
        "dependencies": dict(sorted(package.deps.items())),
        "files": ["index.js", "lib/"],
    }
    return json.dumps(doc, indent=2) + "\n"


def _fixture(dest: Path) -> Path:
    """The real npm install of the tests (lock, manifests, node_modules) in one folder."""
    data = Path(__file__).resolve().parent.parent / "tests" / "data" / "js" / "npm" / "v3"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    with tarfile.open(data / "node_modules.tar.gz") as tar:
        tar.extractall(dest, filter="data")
    shutil.copy(data / "package-lock.json", dest)
    return dest


def write_inputs(work: Path, seed: int) -> tuple[Path, Path]:
    """Write both inputs below `work`; returns their folders."""
    packages, direct = synthetic_tree(2000, seed)
    lock_dir = work / "npmlock2000"
    shutil.rmtree(lock_dir, ignore_errors=True)
    lock_dir.mkdir(parents=True)
    root = {"name": "bench-app", "version": "1.0.0", "dependencies": direct}
    (lock_dir / "package.json").write_text(json.dumps(root, indent=2) + "\n")
    (lock_dir / "package-lock.json").write_text(render_lock(packages, direct))

    packages, direct = synthetic_tree(1000, seed + 1)
    tree_dir = work / "nodemodules1000"
    shutil.rmtree(tree_dir, ignore_errors=True)
    tree_dir.mkdir(parents=True)
    root = {"name": "bench-app", "version": "1.0.0", "dependencies": direct}
    (tree_dir / "package.json").write_text(json.dumps(root, indent=2) + "\n")
    rng = random.Random(seed)
    for package in packages:
        folder = tree_dir / package.folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text(render_manifest(package, rng))
        (folder / "index.js").write_text(f"module.exports = {json.dumps(package.name)};\n")
    return lock_dir, tree_dir


def trivy_js_command(trivy: Path, target: Path, cache_dir: Path) -> ToolCommand:
    """`trivy fs` reads lockfiles only; installed package.json files need `trivy rootfs`."""
    command = trivy_command(trivy, target, cache_dir)
    if (target / "node_modules").is_dir() and not (target / "package-lock.json").is_file():
        argv = tuple("rootfs" if a == "fs" else a for a in command.argv)
        return ToolCommand(argv, command.env)
    return command


def syft_js_command(syft: Path, target: Path) -> ToolCommand:
    """syft catalogs installed package.json files in directories only when asked to."""
    command = syft_command(syft, target)
    extra = ("--select-catalogers", "+javascript-package-cataloger")
    return ToolCommand(command.argv + extra, command.env)


def _identities(text: str) -> set[str]:
    """`name@version` of every npm package in a CycloneDX or auditor JSON report."""
    try:
        doc = json.loads(text)
    except ValueError:
        return set()
    found = set()
    for component in doc.get("components", []) if isinstance(doc, dict) else []:
        raw = component.get("purl") if isinstance(component, dict) else None
        if isinstance(raw, str) and raw.startswith("pkg:npm/"):
            purl = PackageURL.from_string(raw)
            name = f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name
            found.add(f"{name}@{purl.version}")
    return found


def _root_name(folder: Path) -> str:
    try:
        return str(json.loads((folder / "package.json").read_text())["name"])
    except (OSError, ValueError, KeyError):
        return ""


def check(folders: list[Path], auditor: Path = DEFAULT_AUDITOR) -> None:
    """How many packages trivy and syft find in each input, and whether auditor finds them all."""
    trivy, syft = find_trivy(), find_syft()
    with tempfile.TemporaryDirectory() as cache:
        for folder in folders:
            mine = auditor_command(auditor, folder, Path(cache) / "check.db")
            reports: dict[str, set[str]] = {}
            for name, command in (
                ("auditor", mine),
                ("trivy", trivy and trivy_js_command(trivy, folder, Path(cache))),
                ("syft", syft and syft_js_command(syft, folder)),
            ):
                if not command:
                    print(f"{folder.name}: {name} not installed (bench/setup.sh)")
                    continue
                done = subprocess.run(
                    command.argv, capture_output=True, text=True, env=child_env(command.env)
                )
                reports[name] = _identities(done.stdout)
                found = count_components(done.stdout)
                total = "no report" if found is None else f"{found.total} ({found.unique} unique)"
                print(f"{folder.name}: {name} found {total}")
            # The project and its workspaces are graph roots for auditor, not inventory; a
            # versionless or path-named identity is a peer's view of a link entry.
            roots = {_root_name(p) for p in [folder, *folder.glob("packages/*")]}
            for peer in ("trivy", "syft"):
                missed = sorted(
                    i
                    for i in reports.get(peer, set()) - reports.get("auditor", set())
                    if i.rpartition("@")[0] not in roots
                    and not i.endswith("@None")
                    and not i.startswith("packages/")
                )
                verdict = "auditor finds all" if not missed else f"auditor misses {missed[:5]}"
                print(f"{folder.name}: {peer}'s npm packages: {verdict}")


def main() -> None:
    """Write the inputs (and optionally count what the peers find in them)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--check", action="store_true", help="count packages with trivy, syft")
    parser.add_argument(
        "--fixture", action="store_true", help="also check tests/data/js/npm/v3 (lock + tree)"
    )
    args = parser.parse_args()
    folders = list(write_inputs(WORK, args.seed))
    if args.fixture:
        folders.append(_fixture(WORK / "npmfixture"))
    for folder in folders:
        print(f"wrote {folder}", file=sys.stderr)
    if args.check:
        check(list(folders))


if __name__ == "__main__":
    main()
