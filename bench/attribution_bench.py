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
from auditor.resolvers.publishers import KnowledgeBase, lineage, load  # noqa: E402

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


SETS = {"labelled": ("pip-report.json", "labels.csv"),
        "held-out": ("heldout-report.json", "heldout-labels.csv")}  # fmt: skip


def components(which: str = "labelled") -> list[Component]:
    """One component per package of the pip report, as the collector would build it."""
    report = json.loads((DATA / SETS[which][0]).read_text(encoding="utf-8"))
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


def labels(which: str = "labelled") -> dict[str, tuple[str | None, str | None]]:
    """Canonical package name -> (organisation id, country), None for no organisation."""
    with (DATA / SETS[which][1]).open(newline="", encoding="utf-8") as handle:
        return {
            canonicalize_name(row["package"]): (row["organisation"] or None, row["country"] or None)
            for row in csv.DictReader(handle)
        }


def score(which: str = "labelled", kb: KnowledgeBase | None = None) -> Score:
    """Attribute every labelled package and count."""
    kb = kb or load()
    names = {o.name: o.key for o in kb.organisations}
    # A subsidiary's claim counts for its parent too (Volcengine is ByteDance's).
    chains = {o.key: lineage(kb, o) for o in kb.organisations}
    expected = labels(which)
    started = time.perf_counter()
    outcomes = []
    for c in components(which):
        origin = attribute(c, local_origin(c, OriginStatus.UNKNOWN, None), kb)
        org = names.get(origin.organisation.value) if origin.organisation else None
        country = origin.country.value if origin.country else None
        want_org, want_country = expected[canonicalize_name(c.name)]
        if org is not None and want_org in chains.get(org, ()):
            org = want_org
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


def _verify_ms(rounds: int = 20) -> str:
    """Median time to verify the real pypi-attestations 0.0.19 provenance (warm verifier)."""
    import statistics

    from auditor.resolvers.attestations import check_provenance

    sdist = "pypi_attestations-0.0.19.tar.gz"
    body = (REPO / "tests" / "data" / "attestations" / f"{sdist}.provenance").read_bytes()
    doc = json.loads((REPO / "tests" / "data" / "pypi" / "pypi-attestations.json").read_text())
    [digest] = [f["digests"]["sha256"] for f in doc["releases"]["0.0.19"] if f["filename"] == sdist]
    first = time.perf_counter()
    assert all(a.verified for a in check_provenance(body, sdist, digest))
    cold = time.perf_counter() - first
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        check_provenance(body, sdist, digest)
        times.append(time.perf_counter() - started)
    return f"{statistics.median(times) * 1e3:.1f} ms (first, with imports: {cold * 1e3:.0f} ms)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--markdown", action="store_true", help="a RESULTS.md table")
    args = parser.parse_args()
    verdict = {True: "PASS", False: "MISS"}
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    for which in SETS:
        result = score(which)
        missing = set(labels(which)) - {canonicalize_name(o.package) for o in result.outcomes}
        if missing:
            sys.exit(f"{which}: labels without metadata: {sorted(missing)}")
        per = result.seconds / len(result.outcomes) * 1e6
        rows += [
            (which, "packages", str(len(result.outcomes)), ">= 60 (both sets)", ""),
            (which, "claims made (org + country)", str(result.claims), "", ""),
            (which, "precision", f"{result.precision:.3f} ({result.correct}/{result.claims})",
             ">= 0.99", verdict[result.precision >= 0.99]),
            (which, "coverage", f"{result.coverage:.3f} ({result.covered}/{result.labelled})",
             ">= 0.9", verdict[result.coverage >= 0.9]),
            (which, "time per package", f"{per:.0f} µs", "", ""),
        ]  # fmt: skip
        notes += [
            f"{which}: {o.package}: expected {o.expected_org}/{o.expected_country},"
            f" got {o.org}/{o.country} ({o.strength})"
            for o in result.outcomes
            if (o.org, o.country) != (o.expected_org, o.expected_country)
        ]
    rows.append(("PEP 740", "verify one provenance object, offline", _verify_ms(), "", ""))
    if args.markdown:
        print("| set | figure | value | target | |\n|---|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        for row in rows:
            print(f"{row[0]:9} {row[1]:30} {row[2]:18} {row[3]:18} {row[4]}")
    for note in notes:
        print(f"- {note}")


if __name__ == "__main__":
    main()
