"""WHAT bytes mean: one Collector per kind of thing, registered in COLLECTORS.

A collector turns a Tree into components, dependency edges, findings and diagnostics. It
never raises for a bad discovered file: that becomes a Diagnostic.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import ClassVar

# Re-exported: every collector and parser returns it (defined below both packages).
from auditor.collected import Collected as Collected
from auditor.hashing import Hasher
from auditor.signatures import SignatureTrust
from auditor.sources import Tree


@dataclass(frozen=True, slots=True)
class CollectContext:
    """What a scan tells every collector beyond the tree itself."""

    verify: bool = True
    """False with `--no-verify`: file contents are not hashed against their names/records."""
    hasher: Hasher = field(default_factory=Hasher)
    signatures: SignatureTrust = field(default_factory=SignatureTrust)
    """Keys, certificate chains and identities a model or image signature may chain to."""


class Collector(ABC):
    """Reads one kind of thing from a tree."""

    name: ClassVar[str]

    @abstractmethod
    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """Everything of this collector's kind in `tree`."""


@dataclass(frozen=True, slots=True)
class Registered:
    """A registry line: which files a collector reads, by name, and where its class lives.

    The collector's module is imported only when the tree holds a file it could read, so a
    lockfile-only scan never imports the image, weights and signature machinery. `wants`
    may claim more than the collector then reads (it is a cheap test on paths); it must
    never claim less.
    """

    name: str
    """The collector's `name` (tests/test_registry.py keeps the two equal)."""
    target: str
    """`module:Class` inside this package."""
    names: frozenset[str] = frozenset()
    """Base names of files it reads."""
    suffixes: tuple[str, ...] = ()
    """Endings of paths it reads (compared lower-cased)."""
    within: tuple[str, ...] = ()
    """Substrings of `/<path>` it reads (a folder it looks into)."""
    ignored: frozenset[str] = frozenset()
    """Base names that match a suffix but that it never reads."""
    outside: tuple[str, ...] = ()
    """Substrings of `/<path>` where a suffix match does not count (installed packages)."""
    claims: Callable[[str], bool] | None = None
    """A test another registry owns (the lockfile parsers' patterns)."""
    claims_any: Callable[[list[str], set[str]], bool] | None = None
    """`claims` over many paths at once (given with their base names), where it is faster."""

    def wants(self, path: str) -> bool:
        """Whether the collector could read the file at `path` (a tree-relative path)."""
        name = path.rpartition("/")[2]
        if name in self.names:
            return True
        if (
            self.suffixes
            and path.lower().endswith(self.suffixes)
            and name not in self.ignored
            and not any(part in f"/{path}" for part in self.outside)
        ):
            return True
        if self.within and any(part in f"/{path}" for part in self.within):
            return True
        return self.claims is not None and self.claims(path)

    def load(self) -> Collector:
        """A new instance of the collector (its module imported on first use)."""
        module, _, cls = self.target.partition(":")
        made = getattr(import_module(f"{__name__}.{module}"), cls)()
        assert isinstance(made, Collector)
        return made


CHUNK = 8192
"""Paths tested together by `collectors_for`: bounds its memory on an image of a million
files and lets it stop early once every collector is found."""


class _Chunk:
    """A run of paths prepared so a registry line tests them all in a few C-speed steps:
    base names as a set, extensions as a set, and the `/`-prefixed paths joined by newlines
    (a `within` part, holding no newline, is in the text only inside one path)."""

    __slots__ = ("exts", "names", "paths", "text")

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        self.names = {p.rpartition("/")[2] for p in paths}
        self.exts = {n[n.rfind(".") :].lower() for n in self.names if "." in n}
        self.text = "\n/" + "\n/".join(paths)


def _wanted_in(line: Registered, chunk: _Chunk) -> bool:
    """`any(line.wants(p) for p in chunk.paths)`, without a Python call per path where the
    sets already answer (an image lists tens of thousands of paths, each tested by every
    line that has not matched yet)."""
    if not line.names.isdisjoint(chunk.names):
        return True
    if line.within and any(part in chunk.text for part in line.within):
        return True
    if line.suffixes:
        extensions = _extensions(line.suffixes)
        if (extensions is None or not chunk.exts.isdisjoint(extensions)) and any(
            line.wants(p) for p in chunk.paths
        ):
            return True
    if line.claims_any is not None:
        return line.claims_any(chunk.paths, chunk.names)
    return line.claims is not None and any(line.claims(p) for p in chunk.paths)


@cache
def _extensions(suffixes: tuple[str, ...]) -> frozenset[str] | None:
    """The suffixes as extensions (`.py`), or None when one is not a single `.ext`: then
    the per-path test alone decides."""
    if all(s.startswith(".") and s.count(".") == 1 for s in suffixes):
        return frozenset(suffixes)
    return None


def collectors_for(paths: Iterable[str], chunk_size: int = CHUNK) -> list[Collector]:
    """The collectors (in registry order) that have a file to read among `paths`.

    Paths are tested a chunk at a time; a line is no longer tested once it has matched.
    """
    waiting = list(COLLECTORS)
    found: set[str] = set()
    batch: list[str] = []
    for path in paths:
        batch.append(path)
        if len(batch) < chunk_size:
            continue
        chunk, batch = _Chunk(batch), []
        found.update(line.name for line in waiting if _wanted_in(line, chunk))
        waiting = [c for c in waiting if c.name not in found]
        if not waiting:
            break
    if batch and waiting:
        chunk = _Chunk(batch)
        found.update(line.name for line in waiting if _wanted_in(line, chunk))
    return [line.load() for line in COLLECTORS if line.name in found]


def _lockfile(path: str) -> bool:
    from auditor.collectors.parsers import registered_for

    return registered_for(path) is not None


def _lockfiles_among(paths: list[str], names: set[str]) -> bool:
    from auditor.collectors.parsers import any_registered

    return any_registered(paths, names)


# Kept in step with auditor.weights.inspect.WEIGHT_SUFFIXES and model_signatures'.
_WEIGHTS = (
    ".safetensors", ".gguf", ".onnx", ".npy", ".npz", ".keras", ".h5", ".hdf5", ".pkl",
    ".pickle", ".joblib", ".dill", ".bin", ".pt", ".pth", ".ckpt", ".tflite",
)  # fmt: skip
_HF_REPOS = ("/models--", "/datasets--", "/spaces--")
# Installed packages' data files (and site-packages' `.pth` path files) are not the
# target's models; model-files and model-signatures skip them too. The interpreter's own
# library folder (`lib/python3.11/`: lib2to3's grammar pickles, the test suite) neither.
_INSTALLED = (
    "/node_modules/",
    "/site-packages/",
    "/dist-packages/",
    "/lib/python3.",
    "/lib/python2.",
)

_NOT_SERVICE_CONFIGS = frozenset(
    {"pyproject.toml", "package.json", "package-lock.json", "npm-shrinkwrap.json",
     "pnpm-lock.yaml", "tsconfig.json", "jsconfig.json", "composer.json"}
)  # fmt: skip

COLLECTORS: tuple[Registered, ...] = (
    Registered(
        "lockfiles", "lockfiles:LockfileCollector", claims=_lockfile, claims_any=_lockfiles_among
    ),
    Registered(
        "python-env",
        "python_env:PythonEnvironmentCollector",
        names=frozenset({"METADATA", "PKG-INFO"}),
        suffixes=(".egg-info",),
    ),
    Registered("node-modules", "node_modules:NodeModulesCollector", within=("/node_modules/",)),
    Registered(
        "os-packages",
        "os_packages:OsPackagesCollector",
        names=frozenset({"status", "installed", "rpmdb.sqlite", "Packages", "Packages.db"}),
        within=("/var/lib/dpkg/status.d/",),
    ),
    Registered("hf-cache", "hf_cache:HuggingFaceCacheCollector", within=_HF_REPOS),
    Registered(
        "modelscope-cache",
        "modelscope_cache:ModelScopeCacheCollector",
        names=frozenset({".msc", ".mdl", ".mv"}),
    ),
    Registered(
        "ollama-store",
        "ollama_store:OllamaStoreCollector",
        within=("/blobs/sha256-",),
    ),
    Registered("llama-cpp-cache", "llama_cpp_cache:LlamaCppCacheCollector", within=("/manifest=",)),
    # A named `lmstudio:` folder has no marker in its paths: any weight file may be one.
    Registered("lmstudio", "lmstudio:LMStudioCollector", suffixes=_WEIGHTS, outside=_INSTALLED),
    Registered(
        "model-files",
        "model_files:ModelFilesCollector",
        names=frozenset({"config.json", "adapter_config.json", "README.md", "readme.md"}),
        suffixes=_WEIGHTS,
        outside=_INSTALLED,
    ),
    Registered(
        "model-refs",
        "model_refs:ModelRefsCollector",
        names=frozenset({"Dockerfile", "Containerfile", "Makefile"}),
        suffixes=(
            ".py",
            ".pyi",
            ".yaml",
            ".yml",
            ".json",
            ".toml",
            ".sh",
            ".bash",
            ".zsh",
            ".dockerfile",
        ),
        within=("/Dockerfile.", "/Containerfile."),
        # Lockfiles and build configs name packages, not models (references.kind_of).
        ignored=frozenset(
            {"pyproject.toml", "package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml"}
        ),
    ),
    Registered(
        "ai-services",
        "ai_services:AiServicesCollector",
        suffixes=(
            ".py",
            ".js",
            ".mjs",
            ".cjs",
            ".ts",
            ".mts",
            ".cts",
            ".jsx",
            ".tsx",
            ".yaml",
            ".yml",
            ".json",
            ".toml",
            ".env",
        ),
        within=("/.env",),
        # Lockfiles and build manifests name packages, not services (services.kind_of).
        ignored=_NOT_SERVICE_CONFIGS,
        outside=_INSTALLED,
    ),
    Registered(
        "github-actions",
        "github_actions:GitHubActionsCollector",
        names=frozenset({"action.yml", "action.yaml"}),
        within=("/.github/workflows/",),
    ),
    Registered(
        "gitlab-ci",
        "gitlab_ci:GitLabCiCollector",
        names=frozenset({".gitlab-ci.yml", ".gitlab-ci.yaml"}),
        within=("/.gitlab/",),
    ),
    Registered(
        "container-images",
        "container_images:ContainerImagesCollector",
        names=frozenset({"Dockerfile", "Containerfile"}),
        suffixes=(".yaml", ".yml", ".dockerfile", ".containerfile"),
        within=("/Dockerfile.", "/Containerfile."),
    ),
    # Last: a model's own collector (hf_cache, model_files) names the component first.
    Registered(
        "model-signatures",
        "model_signatures:ModelSignatureCollector",
        names=frozenset({"model.sig"}),
        suffixes=_WEIGHTS,
        within=_HF_REPOS,
        outside=_INSTALLED,
    ),
    Registered(
        "image-signatures",
        "image_signatures:ImageSignatureCollector",
        names=frozenset({"oci-layout"}),
    ),
)
"""Every collector, in the order they run, with the files that make it worth importing."""
