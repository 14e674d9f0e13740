"""Screening lists written for a test: the same YAML shape as the shipped ones."""

from __future__ import annotations

from pathlib import Path

from auditor.screening.lists import ScreeningList, load_lists


def write_list(
    folder: Path, list_id: str, entries: list[tuple[str, list[str]]], version: str = "v1"
) -> Path:
    """rules/screening-style `<list_id>.yaml` in `folder`, each entry (name, organisations)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        f"id: {list_id}",
        f"title: Test list {list_id}",
        "authority: Test Authority",
        f"source: https://www.example.gov/{list_id}",
        f'version: "{version}"',
        "published: 2026-01-02",
        "scope: What the test list restricts.",
        "entries:",
    ]
    for name, orgs in entries:
        lines += [f'  - name: "{name}"', f"    organisations: [{', '.join(orgs)}]"]
    path = folder / f"{list_id}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def one_list(folder: Path, list_id: str, entries: list[tuple[str, list[str]]]) -> ScreeningList:
    write_list(folder, list_id, entries)
    [found] = [s for s in load_lists(folder) if s.id == list_id]
    return found
