"""The screening lists as data: each list file is one official list at one version.

An entry names the party exactly as the list publishes it and the knowledge-base
organisation ids it was matched to by hand (reviewed, with aliases kept); nothing is matched
by a guess at name similarity.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from auditor.model import LIST_FIELD, SCREENING_SOURCE

__all__ = ["LIST_FIELD", "SOURCE", "ListEntry", "ScreeningList", "load_lists"]

SCREENING_DIR = "screening"
"""Folder under the shipped `rules/` holding one YAML file per list."""

SOURCE = SCREENING_SOURCE
"""`Evidence.source` of a list match."""


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One listed party."""

    name: str
    """As the list publishes it."""
    organisations: tuple[str, ...]
    """Knowledge-base organisation ids it matches (rules/publishers.yaml)."""
    aliases: tuple[str, ...] = ()
    """Other names the list gives (a.k.a., formerly), as published."""
    note: str | None = None
    source: str | None = None
    """The official page naming this entry when it is not the list's own (the Federal
    Register rule that added it …)."""
    listed: str | None = None
    """ISO date the entry took effect, when the source states it."""


@dataclass(frozen=True, slots=True)
class ScreeningList:
    """One official list at one version."""

    id: str
    """Stable kebab-case id used in `[screening] block = [...]` (`fcc-covered` …)."""
    title: str
    authority: str
    """Who publishes it (`Federal Communications Commission` …)."""
    source: str
    """The official URL the entries were taken from."""
    version: str
    """The list's own version or revision date, as the authority states it."""
    published: str
    """ISO date the version was published or took effect."""
    scope: str
    """What the list restricts, one sentence (for the README and the attestation)."""
    entries: tuple[ListEntry, ...] = ()
    file: str = ""
    """The file it was read from (for messages)."""
    checked: str = ""
    """ISO date the entries were last compared with the official source."""
    notes: str = ""
    """What could not be confirmed on an official page and was left out, and similar."""


def default_dir() -> Path:
    """The shipped lists."""
    from auditor.config import data_path

    return Path(str(data_path("rules") / SCREENING_DIR))


def load_lists(directory: Path | None = None) -> tuple[ScreeningList, ...]:
    """Every list in `directory` (the shipped lists by default), sorted by id; the shipped
    lists are read once per process, from their cached parse (every scan records their
    versions, `auditor.screening.basis`: a lockfile-only scan must not import PyYAML).

    ConfigError names the file when one cannot be read or is not a list; the full checks
    (official source, known organisations, dates) are `auditor screening validate`'s.
    """
    if directory is None:
        return _shipped()
    return _read(directory)


@cache
def _shipped() -> tuple[ScreeningList, ...]:
    return _read(default_dir(), shipped=True)


def _read(folder: Path, shipped: bool = False) -> tuple[ScreeningList, ...]:
    from auditor.errors import ConfigError

    found: list[ScreeningList] = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the screening list: {exc}") from None
        found.append(_parse(_shipped_data(text, path) if shipped else _data(text, path), path))
    return tuple(sorted(found, key=lambda s: s.id))


def _data(text: str, path: Path) -> object:
    """A user's list file, parsed."""
    import yaml

    from auditor.bounded import load_yaml
    from auditor.errors import ConfigError

    try:
        return load_yaml(text)
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: hostile (too deep/large)
        raise ConfigError(f"{path}: not a usable YAML document: {exc}") from None


def _shipped_data(text: str, path: Path) -> object:
    """A shipped list file from its parse cached by text digest (no PyYAML once cached).
    Dates come back as ISO text, as `str()` of a parsed date gives them."""
    from auditor.policy.yamlnodes import load_shipped_yaml

    doc = load_shipped_yaml(text, str(path))
    return doc.plain() if doc is not None else None


def _parse(data: object, path: Path) -> ScreeningList:
    from auditor.errors import ConfigError

    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a screening list is a mapping with id, source and entries")
    try:
        entries = tuple(
            ListEntry(
                name=str(e["name"]),
                organisations=tuple(str(o) for o in e.get("organisations", ())),
                aliases=tuple(str(a) for a in e.get("aliases", ())),
                note=str(e["note"]) if e.get("note") is not None else None,
                source=str(e["source"]) if e.get("source") is not None else None,
                listed=str(e["listed"]) if e.get("listed") is not None else None,
            )
            for e in data.get("entries", ())
        )
        return ScreeningList(
            id=str(data["id"]),
            title=str(data["title"]),
            authority=str(data["authority"]),
            source=str(data["source"]),
            version=str(data["version"]),
            published=str(data["published"]),
            scope=str(data["scope"]),
            entries=entries,
            file=path.name,
            checked=str(data.get("checked", "")),
            notes=str(data.get("notes", "")),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{path}: missing or malformed field {exc}") from None
