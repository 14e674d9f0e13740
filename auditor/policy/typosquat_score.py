"""How likely a near-miss name is a typosquat: a score from the evidence, not from the name alone.

A name within a few edits of a popular one is only a *candidate*: short common words, vendors'
SDKs a letter apart and decade-old packages are near misses too. As the field's detectors do
(PyPI's typosquatting checks, GuardDog's and typomania's heuristics, the Vu et al. study of
typosquatting on PyPI), the score weighs:

- the shape of the miss (a swap or a dropped separator is a typing slip; a longer name is a
  less likely accident);
- the popularity of *both* names: the target's rank (squatters aim at the top), and whether
  the candidate is an established package itself (`rules/data/established-*.txt`);
- the candidate's own evidence: its age (a release years old is not a fresh squat), an
  organisation account or a verified provenance, an npm scope (a namespace its owner holds),
  and a publisher it shares with the popular name when both are in the same scan;
- a curated list of known legitimate near pairs (`rules/data/typosquat-legitimate.yaml`, each
  with its source).

The result is 0 to 100 with the reasons that moved it; `package.typosquat` fires at
`typosquat_min_score` and above, `package.typosquat-weak` below it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from auditor.config import data_path
from auditor.model import Origin, PublisherKind, Strength
from auditor.policy.typosquat import affix_miss, near_miss, normal, rank_of

BASE = 60
"""A one-edit miss of a popular name, before any other evidence."""


@dataclass(frozen=True, slots=True)
class Squat:
    """A candidate and the score its evidence gives it."""

    of: str
    """The popular name it nearly matches."""
    score: int
    reasons: tuple[str, ...]


@cache
def established(ecosystem: str) -> frozenset[str]:
    """Names used widely enough not to be anybody's squat (beyond the popular 2,000)."""
    path = data_path("rules") / "data" / f"established-{ecosystem}.txt"
    if not path.is_file():
        return frozenset()
    text = path.read_text(encoding="utf-8")
    return frozenset(normal(ecosystem, n) for n in text.split() if n and not n.startswith("#"))


@cache
def legitimate_pairs(ecosystem: str) -> Mapping[str, str]:
    """Known legitimate near pairs: candidate -> why (with its source)."""
    from auditor.policy.yamlnodes import load_shipped_yaml

    path = data_path("rules") / "data" / "typosquat-legitimate.yaml"
    found = load_shipped_yaml(path.read_text(encoding="utf-8"), f"rules/data/{path.name}")
    plain = found.plain() if found is not None else None
    doc: dict[str, Any] = plain if isinstance(plain, dict) else {}
    out: dict[str, str] = {}
    for entry in doc.get("pairs", ()):
        if entry.get("ecosystem") == ecosystem:
            out[normal(ecosystem, entry["name"])] = f"{entry['why']} ({entry['source']})"
    return out


ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-_."


def established_miss(ecosystem: str, name: str) -> str | None:
    """An established (not popular) name one edit from `name`, which is neither itself."""
    wanted = normal(ecosystem, name)
    known = established(ecosystem)
    if len(wanted) < 5 or wanted in known or rank_of(ecosystem, wanted) is not None:
        return None
    # Every single edit of the name, looked up (a few hundred set probes, no index to build).
    splits = [(wanted[:i], wanted[i:]) for i in range(len(wanted) + 1)]
    edits = (
        [a + b[1:] for a, b in splits if b]
        + [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
        + [a + c + b[1:] for a, b in splits if b for c in ALPHABET]
        + [a + c + b for a, b in splits for c in ALPHABET]
    )
    hits = sorted({normal(ecosystem, e) for e in edits} & known - {wanted})
    return hits[0] if hits else None


def _shape(wanted: str, target: str) -> tuple[int, str]:
    """Points for the kind of miss, and how to say it."""
    if wanted.replace("-", "").replace("_", "").replace(".", "") == target.replace("-", "").replace(
        "_", ""
    ).replace(".", ""):
        return 15, f"differs from {target} only in separators"
    if len(wanted) == len(target) and sorted(wanted) == sorted(target):
        return 10, f"swaps letters of {target}"
    return 0, f"one edit from {target}"


def _age_days(origin: Origin | None, today: date) -> int | None:
    if origin is None:
        return None
    stamps = [e.value for e in origin.evidence if e.field in ("upload_time", "time")]
    if not stamps:
        return None
    try:
        first = date.fromisoformat(min(stamps)[:10])
    except ValueError:
        return None
    return (today - first).days


def score(
    ecosystem: str,
    name: str,
    origin: Origin | None,
    today: date,
    peers: Callable[[str], frozenset[str]] | None = None,
    distance: int = 1,
) -> Squat | None:
    """The score of `name` as a squat of the popular name it nearly matches; None when it
    matches none (or is popular itself). `peers(name)` gives the publishers and organisations
    the scan found for another package name (to see a shared owner)."""
    wanted = normal(ecosystem, name)
    target = near_miss(ecosystem, name, distance)
    if target is not None:
        points, said = _shape(wanted, target)
    elif (decorated := affix_miss(ecosystem, name)) is not None:
        target, affix = decorated
        points, said = -5, f"is {target} with {affix!r} added"
    elif (less := established_miss(ecosystem, name)) is not None:
        # A near miss of a package below the top 2,000: squatted too, but so much more
        # often by accident that the name alone does not make it a squat.
        target, (points, said) = less, _shape(wanted, less)
        points -= 15
        said += " (a less used package)"
    elif (decorated := affix_miss(ecosystem, name, established(ecosystem))) is not None:
        target, affix = decorated
        points, said = -20, f"is {target} (a less used package) with {affix!r} added"
    else:
        return None
    reasons: list[str] = []
    total = BASE + points
    reasons.append(said)
    rank = rank_of(ecosystem, target)
    if rank is not None and rank <= 100:
        total += 15
        reasons.append(f"{target} is among the 100 most-used names")
    elif rank is not None and rank > 500:
        total -= 10
        reasons.append(f"{target} ranks {rank}")
    if normal(ecosystem, name) in established(ecosystem):
        total -= 60
        reasons.append(f"{name} is itself an established package")
    if len(wanted) <= 4:
        total -= 25
        reasons.append("a short name: near misses of short words are common")
    if ecosystem == "npm" and name.startswith("@"):
        total -= 40
        reasons.append(f"scoped under {name.partition('/')[0]}, a namespace its owner holds")
    age = _age_days(origin, today)
    if age is not None and age >= 3 * 365:
        total -= 45
        reasons.append(f"first seen {age // 365} years ago")
    elif age is not None and age >= 365:
        total -= 25
        reasons.append("first seen over a year ago")
    elif age is not None and age < 30:
        total += 10
        reasons.append(f"released {age} days ago")
    total -= _owner_points(origin, reasons)
    if peers is not None and origin is not None:
        mine = {
            c.value.casefold()
            for c in (origin.publisher, origin.organisation)
            if c is not None and c.strength.rank >= Strength.REGISTRY.rank
        }
        shared = mine & peers(target)
        if shared:
            total -= 60
            reasons.append(f"shares publisher {sorted(shared)[0]} with {target} in this scan")
    why = legitimate_pairs(ecosystem).get(normal(ecosystem, name))
    if why is not None:
        total = 0
        reasons.append(f"a known legitimate near pair: {why}")
    return Squat(target, max(0, min(100, total)), tuple(reasons))


def _owner_points(origin: Origin | None, reasons: list[str]) -> int:
    """An organisation account or a verified provenance: someone answerable publishes it."""
    if origin is None:
        return 0
    if origin.repository is not None and origin.repository.strength is Strength.ATTESTED:
        reasons.append(f"built from {origin.repository.value} (verified provenance)")
        return 40
    if origin.organisation is not None and origin.organisation.strength.rank >= (
        Strength.REGISTRY.rank
    ):
        reasons.append(f"published by the organisation {origin.organisation.value}")
        return 35
    if origin.publisher_kind is PublisherKind.ORGANISATION and origin.publisher is not None:
        reasons.append(f"published by the organisation account {origin.publisher.value}")
        return 35
    return 0
