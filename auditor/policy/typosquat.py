"""Near misses of the most-downloaded names: the shape of a typosquat.

The lists (rules/data/popular-pypi.txt, popular-npm.txt) are trimmed from the ranked
registry listings named in rules/data/README.md. Distance is optimal string alignment
(insert, delete, substitute, swap two neighbours). Candidates come from a symmetric-delete
index, so a lookup checks a handful of names instead of all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from packaging.utils import canonicalize_name

from auditor.config import data_path

LISTS = {"pypi": "popular-pypi.txt", "npm": "popular-npm.txt"}


def normal(ecosystem: str, name: str) -> str:
    """The name as the registry compares names (PEP 503 for PyPI, lower case for npm)."""
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
        normal(ecosystem, line.strip())
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
    names, _ = popular(ecosystem)
    wanted = normal(ecosystem, name)
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
        order = ranked(ecosystem)
        # A handful of candidates: checked here, without importing rapidfuzz for them.
        for i in sorted(found):  # rank order: the most popular near miss wins
            if osa_distance(wanted, order[i]) <= max_distance:
                return order[i]
        return None
    from rapidfuzz.distance import OSA

    for candidate in _near_lengths(ecosystem, len(wanted), max_distance):
        if OSA.distance(wanted, candidate, score_cutoff=max_distance) <= max_distance:
            return candidate
    return None


def osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (rapidfuzz's `OSA.distance`): inserts, deletes,
    substitutions and swaps of two neighbours, no substring edited twice."""
    if a == b:
        return 0
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        above, row = row, [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            best = min(above[j] + 1, row[j - 1] + 1, above[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, before[j - 2] + 1)
            row[j] = best
        before = above
    return row[len(b)]


def _deletions(word: str, depth: int) -> set[str]:
    """`word` and every string made from it by deleting up to `depth` characters."""
    if depth == 1:
        return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def rank_of(ecosystem: str, name: str) -> int | None:
    """1 for the most-used popular name; None when `name` is not popular."""
    found = _ranks(ecosystem).get(name)
    return None if found is None else found + 1


@cache
def _ranks(ecosystem: str) -> dict[str, int]:
    return {n: i for i, n in reversed(list(enumerate(ranked(ecosystem))))}


@cache
def ranked(ecosystem: str) -> tuple[str, ...]:
    """The popular names in rank order."""
    file = LISTS[ecosystem]
    text = (data_path("rules") / "data" / file).read_text(encoding="utf-8")
    return tuple(
        dict.fromkeys(
            normal(ecosystem, line.strip())
            for line in text.splitlines()
            if line.strip() and not line.startswith("#")
        )
    )


@cache
def _deletion_index(ecosystem: str, depth: int) -> dict[str, list[int]]:
    """Deletion variant -> ranks of the popular names that produce it (symmetric-delete
    search: two strings within d edits share a variant with at most d deletions each)."""
    index: dict[str, list[int]] = {}
    get = index.get  # built on every scan that checks names: kept to plain dict operations
    for rank, name in enumerate(ranked(ecosystem)):
        # Depth 1 (the default) inline, without a set per name: ~30% of the build (issue 36).
        # i == len(name) is the name itself; a variant met twice (`aab` -> `ab`) is kept
        # once, as ranks only grow and each name's variants come together.
        variants: Iterable[str] = (
            [name[:i] + name[i + 1 :] for i in range(len(name) + 1)]
            if depth == 1
            else _deletions(name, depth)
        )
        for variant in variants:
            ranks = get(variant)
            if ranks is None:
                index[variant] = [rank]
            elif ranks[-1] != rank:
                ranks.append(rank)
    return index


@cache
def _near_lengths(ecosystem: str, length: int, spread: int) -> tuple[str, ...]:
    """Popular names whose length is within `spread` of `length`, in rank order."""
    return tuple(n for n in ranked(ecosystem) if abs(len(n) - length) <= spread)


AFFIXES = {
    "npm": (("suffix", ".js"), ("suffix", "-js"), ("suffix", "js"), ("suffix", "-node"),
            ("prefix", "node-"), ("prefix", "node")),
    "pypi": (("prefix", "python-"), ("prefix", "python3-"), ("prefix", "py"),
             ("suffix", "-python"), ("suffix", "3")),
}  # fmt: skip
"""Decorations squatters add to a popular name (the crossenv campaign's `jquery.js`,
`nodesass`; PyPI's `python3-…`), as typosquatting studies of both registries list them."""


def affix_miss(
    ecosystem: str, name: str, among: frozenset[str] | None = None
) -> tuple[str, str] | None:
    """(target, the affix added) when `name` is a name of `among` (default: the popular
    names) with a decoration added and is not popular itself; None otherwise."""
    popular_names, _ = popular(ecosystem)
    names = popular_names if among is None else among
    wanted = normal(ecosystem, name)
    if not names or wanted in popular_names or wanted in names:
        return None
    for where, affix in AFFIXES.get(ecosystem, ()):
        if where == "suffix" and wanted.endswith(affix):
            base = wanted[: -len(affix)]
        elif where == "prefix" and wanted.startswith(affix):
            base = wanted[len(affix) :]
        else:
            continue
        # `d3.js`: a suffix on a two-letter name is still a decoration; a prefix is not.
        if len(base) >= (2 if where == "suffix" else 3) and base in names:
            return base, affix
    return None
