"""Near misses of the most-downloaded names: the shape of a typosquat.

The lists (rules/data/popular-pypi.txt, popular-npm.txt) are trimmed from the ranked
registry listings named in rules/data/README.md. Candidates are bucketed by length, since
an edit distance (optimal string alignment: insert, delete, substitute,
swap two neighbours) of d allows a length difference of at most d: each lookup compares a name
with a few hundred others instead of thousands.
"""

from __future__ import annotations

from functools import cache

from packaging.utils import canonicalize_name

from auditor.config import data_path

LISTS = {"pypi": "popular-pypi.txt", "npm": "popular-npm.txt"}


def _normal(ecosystem: str, name: str) -> str:
    return str(canonicalize_name(name)) if ecosystem == "pypi" else name.lower()


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


def near_miss(ecosystem: str, name: str, max_distance: int = 1) -> str | None:
    """The popular name within `max_distance` edits of `name`, unless `name` is popular
    itself (or too short for a distance to mean anything)."""
    from rapidfuzz.distance import OSA

    names, by_length = popular(ecosystem)
    wanted = _normal(ecosystem, name)
    if not names or wanted in names or len(wanted) < 4 or max_distance < 1:
        return None
    best: tuple[int, str] | None = None
    for length in range(len(wanted) - max_distance, len(wanted) + max_distance + 1):
        for candidate in by_length.get(length, ()):
            d = OSA.distance(wanted, candidate, score_cutoff=max_distance)
            if d <= max_distance and (best is None or d < best[0]):
                best = (d, candidate)
    return None if best is None else best[1]
