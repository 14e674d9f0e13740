"""`auditor screening validate`: every problem of the screening list files, not only the first.

A list is trusted only as far as its sources: each list and entry source must be an official
page (a host under `.gov` or `.mil`, which only US government bodies can register), each date
ISO 8601, each id unique, each entry named once, and each organisation a list names must be a
knowledge-base id (rules/publishers.yaml) — a match is made by hand, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from auditor.resolvers.publishers import KnowledgeBase

OFFICIAL_SUFFIXES = (".gov", ".mil")
"""Hosts an official source may be on: the US government's own top-level domains (fcc.gov,
ecfr.gov, federalregister.gov, acquisition.gov, defense.gov, bis.gov, state sites …)."""

LIST_KEYS = {"id", "title", "authority", "source", "version", "published", "scope", "entries",
             "checked", "notes"}  # fmt: skip
REQUIRED = ("id", "title", "authority", "source", "version", "published", "scope", "entries")
ENTRY_KEYS = {"name", "organisations", "aliases", "note", "source", "listed"}
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Checked:
    """What validating a folder (or one file) found."""

    files: int
    lists: int
    entries: int
    matched: int
    """Entries matched to at least one knowledge-base organisation."""
    problems: tuple[str, ...]


def official(url: str) -> bool:
    """An https URL on a US government host."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    return parts.scheme == "https" and host.endswith(OFFICIAL_SUFFIXES)


def validate(path: Path, kb: KnowledgeBase) -> Checked:
    """Every `.yaml` list in `path` (a folder or one file), checked against `kb`."""
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    problems: list[str] = []
    ids: dict[str, str] = {}
    lists = entries = matched = 0
    keys = {o.key for o in kb.organisations}
    for file in files:
        data = _read(file, problems)
        if data is None:
            continue
        lists += 1
        found = _list_problems(file.name, data, keys)
        problems += found.problems
        entries += found.entries
        matched += found.matched
        list_id = data.get("id")
        if isinstance(list_id, str):
            if list_id in ids:
                problems.append(f"{file.name}: id {list_id!r} is also the id of {ids[list_id]}")
            ids.setdefault(list_id, file.name)
    if not files:
        problems.append(f"{path}: no .yaml screening lists to check")
    return Checked(len(files), lists, entries, matched, tuple(problems))


def _read(file: Path, problems: list[str]) -> dict[str, Any] | None:
    import yaml

    from auditor.bounded import load_yaml

    try:
        data = load_yaml(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{file.name}: cannot read: {exc}")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file.name}:{mark.line + 1}" if mark is not None else file.name
        problems.append(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}")
        return None
    except ValueError as exc:  # too deep or too large
        problems.append(f"{file.name}: not a usable YAML document: {exc}")
        return None
    if not isinstance(data, dict):
        problems.append(f"{file.name}: a screening list is a mapping (id, source, entries …)")
        return None
    return data


@dataclass(frozen=True, slots=True)
class _Found:
    problems: list[str]
    entries: int
    matched: int


def _list_problems(name: str, data: dict[str, Any], keys: set[str]) -> _Found:
    problems = [f"{name}: unknown key {k!r}" for k in sorted(map(str, data)) if k not in LIST_KEYS]
    problems += [f"{name}: missing {k!r}" for k in REQUIRED if k not in data]
    for k in ("id", "title", "authority", "source", "version", "scope"):
        if k in data and (not isinstance(data[k], str) or not data[k].strip()):
            problems.append(f"{name}: {k!r} must be non-empty text")
    list_id = data.get("id")
    if isinstance(list_id, str) and not _ID.match(list_id):
        problems.append(f"{name}: id {list_id!r} is not kebab-case (fcc-covered)")
    if isinstance(list_id, str) and name.removesuffix(".yaml") != list_id:
        problems.append(f"{name}: id {list_id!r} differs from the file name")
    source = data.get("source")
    if isinstance(source, str) and not official(source):
        problems.append(f"{name}: source {source!r} is not an official (https, .gov) page")
    for k in ("published", "checked"):
        if k in data and not _iso(data[k]):
            problems.append(f"{name}: {k} {data[k]!r} is not an ISO date (YYYY-MM-DD)")
    raw = data.get("entries", [])
    if not isinstance(raw, list):
        return _Found([*problems, f"{name}: entries must be a list"], 0, 0)
    seen: set[str] = set()
    matched = 0
    for number, entry in enumerate(raw, start=1):
        where = f"{name}: entry {number}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a mapping with name and organisations")
            continue
        problems += _entry_problems(where, entry, keys)
        label = entry.get("name")
        if isinstance(label, str):
            if label.casefold() in seen:
                problems.append(f"{where} ({label}): listed twice")
            seen.add(label.casefold())
        orgs = entry.get("organisations")
        matched += bool(isinstance(orgs, list) and orgs)
    return _Found(problems, len(raw), matched)


def _entry_problems(where: str, entry: dict[str, Any], keys: set[str]) -> list[str]:
    problems = [
        f"{where}: unknown key {k!r}" for k in sorted(map(str, entry)) if k not in ENTRY_KEYS
    ]
    label = entry.get("name")
    if not isinstance(label, str) or not label.strip():
        problems.append(f"{where}: name (as the list publishes it) must be non-empty text")
    else:
        where = f"{where} ({label})"
    orgs = entry.get("organisations")
    if not isinstance(orgs, list) or not all(isinstance(o, str) for o in orgs):
        problems.append(f"{where}: organisations must be a list of knowledge-base ids ([] if none)")
    else:
        problems += [f"{where}: organisation {o!r} is not in the knowledge base" for o in orgs
                     if o not in keys]  # fmt: skip
        if len(set(orgs)) != len(orgs):
            problems.append(f"{where}: an organisation is named twice")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        problems.append(f"{where}: aliases must be a list of names")
    source = entry.get("source")
    if source is not None and (not isinstance(source, str) or not official(source)):
        problems.append(f"{where}: source {source!r} is not an official (https, .gov) page")
    if "listed" in entry and not _iso(entry["listed"]):
        problems.append(f"{where}: listed {entry['listed']!r} is not an ISO date (YYYY-MM-DD)")
    if "note" in entry and not isinstance(entry["note"], str):
        problems.append(f"{where}: note must be text")
    return problems


def _iso(value: object) -> bool:
    if isinstance(value, date):  # YAML reads an unquoted 2024-09-03 as a date
        return True
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
