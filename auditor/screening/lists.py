"""The screening lists as data: each list file is one official list at one version.

An entry names the party exactly as the list publishes it and the knowledge-base
organisation ids it was matched to by hand (reviewed, with aliases kept); nothing is matched
by a guess at name similarity.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SCREENING_DIR = "screening"
"""Folder under the shipped `rules/` holding one YAML file per list."""


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


def default_dir() -> Path:
    """The shipped lists."""
    from auditor.config import data_path

    return Path(str(data_path("rules") / SCREENING_DIR))
