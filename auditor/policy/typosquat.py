"""Near misses of the most-downloaded names: the shape of a typosquat.

The lists (rules/data/popular-pypi.txt, popular-npm.txt) are trimmed from the ranked
registry listings named in rules/data/README.md. Distance is optimal string alignment
(insert, delete, substitute, swap two neighbours). Candidates come from a symmetric-delete
index, so a lookup checks a handful of names instead of all of them.
"""

from __future__ import annotations

from functools import cache

from packaging.utils import canonicalize_name

from auditor.config import data_path

LISTS = {"pypi": "popular-pypi.txt", "npm": "popular-npm.txt"}


def _normal(ecosystem: str, name: str) -> str:
    if ecosystem != "pypi":
        return name.lower()
    lowered = name.lower()
    if "_" not in lowered and "." not in lowered and "--" not in lowered:
        return lowered  # already canonical: skips packaging's regex on the common case
    return str(canonicalize_name(name))


@cache
def popular(ecosystem: str) -> tuple[frozenset[str], dict[int, tuple[str, ...]]]:
    """(every popular name, names by length) for `ecosystem`; empty when it has no list."""
    file = LISTS.get(ecosystem)
    if file is None:
        return frozenset(), {}
    text = (data_path("rules") / "data" / file).read_text(encoding="utf-8")
    names = [
        _normal(ecosystem, line.strip())
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    ]
    by_length: dict[int, list[str]] = {}
    for name in names:
        by_length.setdefault(len(name), []).append(name)
    return frozenset(names), {n: tuple(v) for n, v in by_length.items()}


MAX_INDEXED = 2
"""Distances up to this use the deletion index; larger ones compare with every name."""


def near_miss(ecosystem: str, name: str, max_distance: int = 1) -> str | None:
    """The most popular name within `max_distance` edits of `name`, unless `name` is
    popular itself (or too short for a distance to mean anything)."""
    from rapidfuzz.distance import OSA

    names, _ = popular(ecosystem)
    wanted = _normal(ecosystem, name)
    if not names or wanted in names or len(wanted) < 4 or max_distance < 1:
        return None
    if max_distance <= MAX_INDEXED:
        index = _deletion_index(ecosystem, max_distance)
        found: set[int] = set()
        for variant in _deletions(wanted, max_distance):
            hit = index.get(variant)
            if hit is not None:
                found.update(hit)
        if not found:
            return None
        ranked = _ranked(ecosystem)
        candidates: tuple[str, ...] = tuple(ranked[i] for i in sorted(found))
    else:
        candidates = _near_lengths(ecosystem, len(wanted), max_distance)
    for candidate in candidates:  # rank order: the most popular near miss wins
        if OSA.distance(wanted, candidate, score_cutoff=max_distance) <= max_distance:
            return candidate
    return None


def _deletions(word: str, depth: int) -> set[str]:
    """`word` and every string made from it by deleting up to `depth` characters."""
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


@cache
def _ranked(ecosystem: str) -> tuple[str, ...]:
    """The popular names in rank order."""
    file = LISTS[ecosystem]
    text = (data_path("rules") / "data" / file).read_text(encoding="utf-8")
    return tuple(
        dict.fromkeys(
            _normal(ecosystem, line.strip())
            for line in text.splitlines()
            if line.strip() and not line.startswith("#")
        )
    )


@cache
def _deletion_index(ecosystem: str, depth: int) -> dict[str, tuple[int, ...]]:
    """Deletion variant -> ranks of the popular names that produce it (symmetric-delete
    search: two strings within d edits share a variant with at most d deletions each)."""
    index: dict[str, list[int]] = {}
    for rank, name in enumerate(_ranked(ecosystem)):
        for variant in _deletions(name, depth):
            index.setdefault(variant, []).append(rank)
    return {k: tuple(v) for k, v in index.items()}


@cache
def _near_lengths(ecosystem: str, length: int, spread: int) -> tuple[str, ...]:
    """Popular names whose length is within `spread` of `length`, in rank order."""
    return tuple(n for n in _ranked(ecosystem) if abs(len(n) - length) <= spread)
