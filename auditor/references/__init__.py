"""Model references in code and configuration: which hub models a project downloads.

`references_in_text(path, text)` (and `references_in_files(paths)` for files on disk) is the
whole extraction for one file (Python through `ast`,
YAML/JSON/TOML configs, Dockerfiles and shell scripts); it needs no Tree and no scan, so the
pre-commit hook (`auditor check-models FILES…`) calls it on changed files directly. The
`model-refs` collector calls it on every candidate file of a target. Each reference keeps
its file and line; a reference without a 40-hex `revision` is unpinned.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import Diagnostic
from auditor.sources.directory import special_kind

PINNED = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True, slots=True)
class ModelReference:
    """One place that names a hub model (or dataset)."""

    repo_id: str
    path: str
    line: int
    via: str
    """What named it: `from_pretrained`, `hf download`, `config:model_name_or_path` …"""
    revision: str | None = None
    hub: str = "huggingface"
    """`huggingface` or `modelscope`."""
    repo_type: str | None = None
    """None for models; `dataset` or `space`."""

    @property
    def pinned(self) -> bool:
        """A commit id, not a branch or tag that can move."""
        return self.revision is not None and PINNED.fullmatch(self.revision) is not None


@dataclass(frozen=True, slots=True)
class Extracted:
    """References and problems from one file."""

    references: tuple[ModelReference, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


PYTHON_SUFFIXES = (".py", ".pyi")
CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml")
SHELL_SUFFIXES = (".sh", ".bash", ".zsh", ".dockerfile")
_SHELL_NAMES = re.compile(r"(?:Dockerfile|Containerfile)(?:\.(?![0-9])[\w-]+)?|Makefile")
"""`Dockerfile`, `Containerfile.dev`: build files. A suffix of several parts or starting with
a digit is something else (`Containerfile.5.gz` is the format's man page)."""
_NOT_BUILD_FILES = frozenset(
    ("md", "txt", "rst", "adoc", "html", "pdf", "man", "gz", "bz2", "xz", "zst", "zip", "tar",
     "bak", "orig", "rej", "old", "tmp", "swp", "sig", "asc", "sha256", "json", "yaml", "yml",
     "toml", "dockerignore")
)  # fmt: skip
"""Suffixes of documents, archives, backups and sidecars named after a build file."""
_NOT_CONFIG = re.compile(
    r"(?:package-lock|npm-shrinkwrap|composer|tsconfig|jsconfig|pnpm-lock|pyproject)\.\w+$"
    r"|(?:config|adapter_config|tokenizer_config|generation_config)\.json$"
)
"""Lockfiles and build configs name packages, not models; model folders' own sidecar JSON is
lineage (read by model-files), not a download."""


def kind_of(path: str) -> str | None:
    """`python`, `config` or `shell` for files that can hold references; None otherwise."""
    name = posixpath.basename(path)
    lower = name.lower()
    if lower.endswith(PYTHON_SUFFIXES):
        return "python"
    if lower.endswith(CONFIG_SUFFIXES) and not _NOT_CONFIG.search(name):
        return "config"
    if lower.endswith(SHELL_SUFFIXES) or _is_build_file(name):
        return "shell"
    return None


def _is_build_file(name: str) -> bool:
    """A Dockerfile, Containerfile (with a variant suffix such as `.dev`) or Makefile."""
    return _SHELL_NAMES.fullmatch(name) is not None and (
        name.rpartition(".")[2].lower() not in _NOT_BUILD_FILES
    )


def references_in_text(path: str, text: str) -> Extracted:
    """Every model reference in one file's text (empty for files of no known kind)."""
    kind = kind_of(path)
    if kind == "python":
        from auditor.references.python_refs import python_references

        return python_references(path, text)
    if kind == "config":
        from auditor.references.config_refs import config_references

        return config_references(path, text)
    if kind == "shell":
        from auditor.references.shell_refs import shell_references

        return shell_references(path, text)
    return Extracted()


MAX_FILE = 4 * 1024 * 1024
"""Larger files are generated or data, not code or configuration someone wrote."""


def references_in_files(paths: Iterable[Path]) -> Extracted:
    """References in files on disk (the pre-commit hook's changed files); a file that cannot
    be read or decoded is a diagnostic naming it, never an exception."""
    references: list[ModelReference] = []
    diagnostics: list[Diagnostic] = []
    for path in paths:
        name = path.as_posix()
        if kind_of(name) is None:
            continue
        try:
            st = path.stat()
            if (what := special_kind(st.st_mode)) is not None:
                diagnostics.append(Diagnostic(name, f"{what}, not a regular file; not read"))
                continue
            if st.st_size > MAX_FILE:
                continue
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            diagnostics.append(Diagnostic(name, f"cannot read: {exc.strerror}"))
            continue
        except UnicodeDecodeError as exc:
            diagnostics.append(Diagnostic(name, f"not UTF-8 text (byte {exc.start})"))
            continue
        extracted = references_in_text(name, text)
        references.extend(extracted.references)
        diagnostics.extend(extracted.diagnostics)
    return Extracted(tuple(references), tuple(diagnostics))
