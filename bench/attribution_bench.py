"""Issue 9: precision and coverage of organisation/country attribution on a labelled set.

The set (tests/data/attribution/) is real core metadata of 92 packages, as
`pip install --dry-run --no-deps --report` wrote it (registry hosts rewritten to `.invalid`),
and labels.csv: the organisation (knowledge-base id) and country a person would name for
each, or nothing for projects run by individuals and communities. Each package becomes the
component the installed-environment collector would make (the same METADATA labels as
evidence), with no registry answer: the declared-metadata floor of attribution, which is
what an offline scan or a mirror without ownership data gets.

precision = correct claims / claims made (organisation and country counted separately; a
claim for an individual or community project is wrong); coverage = labelled-organisation
packages that received the right claim / labelled-organisation packages. Targets (issue 9):
precision >= 0.99, coverage >= 0.9. tests/test_attribution_set.py asserts the same.

Run: `.venv/bin/python bench/attribution_bench.py [--markdown]`.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "attribution"
sys.path.insert(0, str(REPO))

from auditor import purls  # noqa: E402
from auditor.attribution import attribute  # noqa: E402
from auditor.model import Component, ComponentKind, Evidence, OriginStatus, Strength  # noqa: E402
from auditor.resolvers.local import local_origin  # noqa: E402
from auditor.resolvers.publishers import KnowledgeBase, load  # noqa: E402

# The installed-environment collector's labels for METADATA fields (collectors/python_env.py).
FIELDS = (("home_page", "Home-page"), ("download_url", "Download-URL"), ("author", "Author"),
          ("author_email", "Author-email"), ("maintainer", "Maintainer"),
          ("maintainer_email", "Maintainer-email"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Outcome:
    """One package: what was expected and what attribution claimed."""

    package: str
    expected_org: str | None
    expected_country: str | None
    org: str | None
    country: str | None
    strength: str | None


@dataclass(frozen=True, slots=True)
class Score:
    """The figures the issue names."""

    outcomes: tuple[Outcome, ...]
    claims: int
    correct: int
    covered: int
    labelled: int
    seconds: float

    @property
    def precision(self) -> float:
        return self.correct / self.claims if self.claims else 1.0

    @property
    def coverage(self) -> float:
        return self.covered / self.labelled if self.labelled else 1.0


def components() -> list[Component]:
    """One component per package of the pip report, as the collector would build it."""
    report = json.loads((DATA / "pip-report.json").read_text(encoding="utf-8"))
    found = []
    for item in report["install"]:
        meta = item["metadata"]
        where = f"{meta['name']}-{meta['version']}.dist-info/METADATA"
        evidence = [
            Evidence("metadata", label, meta[key], where, Strength.DECLARED)
            for key, label in FIELDS
            if isinstance(meta.get(key), str) and meta[key].strip()
        ]
        for entry in meta.get("project_url", []):
            label, _, url = entry.partition(",")
            if url.strip():
                evidence.append(Evidence("metadata", f"Project-URL.{label.strip()}", url.strip(),
                                         where, Strength.DECLARED))  # fmt: skip
        found.append(
            Component(
                purls.pypi(meta["name"], meta["version"]),
                ComponentKind.LIBRARY,
                meta["name"],
                meta["version"],
                evidence=tuple(evidence),
            )
        )
    return found


def labels() -> dict[str, tuple[str | None, str | None]]:
    """Canonical package name -> (organisation id, country), None for no organisation."""
    with (DATA / "labels.csv").open(newline="", encoding="utf-8") as handle:
        return {
            canonicalize_name(row["package"]): (row["organisation"] or None, row["country"] or None)
            for row in csv.DictReader(handle)
        }


def score(kb: KnowledgeBase | None = None) -> Score:
    """Attribute every labelled package and count."""
    kb = kb or load()
    names = {o.name: o.key for o in kb.organisations}
    expected = labels()
    started = time.perf_counter()
    outcomes = []
    for c in components():
        origin = attribute(c, local_origin(c, OriginStatus.UNKNOWN, None), kb)
        org = names.get(origin.organisation.value) if origin.organisation else None
        country = origin.country.value if origin.country else None
        want_org, want_country = expected[canonicalize_name(c.name)]
        strength = origin.organisation.strength.value if origin.organisation else None
        outcomes.append(Outcome(c.name, want_org, want_country, org, country, strength))
    seconds = time.perf_counter() - started
    claims = sum((o.org is not None) + (o.country is not None) for o in outcomes)
    correct = sum(
        (o.org is not None and o.org == o.expected_org)
        + (o.country is not None and o.country == o.expected_country)
        for o in outcomes
    )
    labelled = [o for o in outcomes if o.expected_org]
    covered = sum(o.org == o.expected_org and o.country == o.expected_country for o in labelled)
    return Score(tuple(outcomes), claims, correct, covered, len(labelled), seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--markdown", action="store_true", help="a RESULTS.md table")
    args = parser.parse_args()
    result = score()
    missing = set(labels()) - {canonicalize_name(o.package) for o in result.outcomes}
    if missing:
        sys.exit(f"labels without metadata: {sorted(missing)}")
    wrong = [o for o in result.outcomes if (o.org, o.country) != (o.expected_org,
             o.expected_country) and (o.org or o.expected_org)]  # fmt: skip
    verdict = {True: "PASS", False: "MISS"}
    rows = [
        ("packages", str(len(result.outcomes)), ">= 60", verdict[len(result.outcomes) >= 60]),
        ("claims made (org + country)", str(result.claims), "", ""),
        ("precision", f"{result.precision:.3f}", ">= 0.99", verdict[result.precision >= 0.99]),
        ("coverage", f"{result.coverage:.3f} ({result.covered}/{result.labelled})", ">= 0.9",
         verdict[result.coverage >= 0.9]),
        ("time per package", f"{result.seconds / len(result.outcomes) * 1e6:.0f} µs", "", ""),
    ]  # fmt: skip
    if args.markdown:
        print("| figure | value | target | |\n|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        for row in rows:
            print(f"{row[0]:30} {row[1]:18} {row[2]:8} {row[3]}")
    for o in wrong:
        print(f"  {o.package}: expected {o.expected_org}/{o.expected_country},"
              f" got {o.org}/{o.country} ({o.strength})")  # fmt: skip


if __name__ == "__main__":
    main()
