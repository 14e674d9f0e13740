"""Issue 24: attribution on real dependency trees — precision and coverage, offline.

The set (tests/data/realworld/, see its README): the real lockfiles of public projects,
the PyPI and npm answers for exactly the packages they lock (recorded by regenerate.py,
hosts rewritten to `.invalid`), and labels.csv: hand-labelled packages with the expected
organisation (a knowledge-base id), `individual` or `community` (no organisation to name),
the country, and the public page each label rests on. A full `auditor` scan of the lockfiles
runs against loopback PyPI and npm servers replaying those answers.

Figures (issue 24):
- precision: correct organisation + country claims / claims made, on labelled packages
  (a claim on an `individual` or `community` package is wrong) — target >= 0.98;
- coverage of knowable packages: labelled-organisation packages given the right
  organisation and country / labelled-organisation packages — target >= 0.90;
- coverage of all PyPI packages: answered `organisation` or `individual` — target >= 0.80;
- claims resting on an e-mail domain alone — target 0.

Run: `.venv/bin/python bench/realworld_bench.py [--markdown]`; tests/test_realworld.py
asserts the same figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "realworld"
sys.path.insert(0, str(REPO))

from auditor.config import Config  # noqa: E402
from auditor.endpoints import GITHUB_ENV  # noqa: E402
from auditor.http import HttpSettings  # noqa: E402
from auditor.model import Origin, PublisherKind, Scan  # noqa: E402
from auditor.resolvers.publishers import lineage, load  # noqa: E402

NOT_ORGANISATIONS = frozenset({"individual", "community"})


@dataclass(frozen=True, slots=True)
class Label:
    """What a person established for one package, and where."""

    ecosystem: str
    package: str
    expected: str
    """A knowledge-base organisation id, `individual` or `community`."""
    country: str | None
    source: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """One labelled package: expected and claimed."""

    label: Label
    org: str | None
    country: str | None
    kind: str | None
    email_alone: bool


@dataclass(frozen=True, slots=True)
class Score:
    """The figures the issue names."""

    outcomes: tuple[Outcome, ...]
    pypi_total: int
    pypi_answered: int
    email_alone: int
    components: int
    seconds: float

    @property
    def claims(self) -> int:
        return sum((o.org is not None) + (o.country is not None) for o in self.outcomes)

    @property
    def correct(self) -> int:
        return sum(
            (o.org is not None and o.org == o.label.expected)
            + (o.country is not None and o.country == o.label.country)
            for o in self.outcomes
        )

    @property
    def precision(self) -> float:
        return self.correct / self.claims if self.claims else 1.0

    @property
    def knowable(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.label.expected not in NOT_ORGANISATIONS]

    @property
    def covered(self) -> int:
        return sum(o.org == o.label.expected and o.country == o.label.country
                   for o in self.knowable)  # fmt: skip

    @property
    def coverage(self) -> float:
        return self.covered / len(self.knowable) if self.knowable else 1.0

    @property
    def pypi_coverage(self) -> float:
        return self.pypi_answered / self.pypi_total if self.pypi_total else 1.0

    @property
    def individuals(self) -> tuple[int, int]:
        """(packages answered `individual`, of those labelled `individual`)."""
        said = [o for o in self.outcomes if o.kind == PublisherKind.INDIVIDUAL.value]
        return len(said), sum(o.label.expected == "individual" for o in said)


def labels(name: str = "labels.csv") -> list[Label]:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return [
            Label(
                row["ecosystem"],
                row["package"],
                row["expected"],
                row["country"] or None,
                row["source"],
            )
            for row in csv.DictReader(handle)
        ]


def pypi_projects() -> list[dict[str, object]]:
    return [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted((DATA / "pypi").glob("*.json"))
    ]


def npm_routes() -> dict[str, object]:
    routes: dict[str, object] = {}
    for path in sorted((DATA / "npm").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        routes[f"/{doc['name']}"] = doc
    return routes


def github_routes() -> dict[str, object]:
    """GitHub REST answers built in the documented shapes ("Get a repository": `owner.login`,
    `owner.type`, `fork`, `archived`; "Get a user": `login`, `type`) for the repository
    owners github-owners.csv types by hand, at every repository of theirs a recorded PyPI
    answer links (lower case, as the resolver asks)."""
    with (DATA / "github-owners.csv").open(newline="", encoding="utf-8") as handle:
        owners = {row["owner"].lower(): row for row in csv.DictReader(handle)}
    routes: dict[str, object] = {}
    pattern = re.compile(r"https?://(?:www\.)?github\.com/([\w.-]+)/([\w.-]+)", re.I)
    for project in pypi_projects():
        for owner, name in pattern.findall(json.dumps(project.get("info"))):
            row = owners.get(owner.lower())
            name = name.lower().removesuffix(".git")
            if row is None or not name:
                continue
            login = row["owner"]
            account = {"login": login, "type": row["type"]}
            routes[f"/repos/{owner.lower()}/{name}"] = {
                "name": name, "full_name": f"{login}/{name}", "owner": account,
                "fork": False, "archived": False, "visibility": "public",
            }  # fmt: skip
            routes[f"/users/{login}"] = account
    return routes


@contextmanager
def servers() -> Iterator[tuple[str, str, str]]:
    """Loopback PyPI (without the per-version route, as the recorded index answered), npm
    and GitHub replaying the recorded (and, for GitHub, built) answers; their base URLs."""
    from tests.servers import running
    from tests.servers.jsonapi import JsonApiState, _JsonHandler, _JsonServer
    from tests.servers.pypi import PyPIState, _Handler, _Server

    pypi = PyPIState(version_route=False)
    for doc in pypi_projects():
        pypi.add_project(doc)
    npm = JsonApiState(routes=npm_routes())
    github = JsonApiState(routes=github_routes())
    servers = (_Server(_Handler, pypi), _JsonServer(_JsonHandler, npm),
               _JsonServer(_JsonHandler, github))  # fmt: skip
    with running(*servers) as (p, n, g):
        yield p, n, g


def scan(
    github_api: bool = True, target: str = "lockfiles", today: date | None = None
) -> tuple[Scan, float]:
    """A full scan of the lockfiles against the loopback registries, and its seconds;
    `github_api` False: as a user without GITHUB_API_URL (no source-host answers)."""
    from auditor.pipeline import run_scan

    with servers() as (pypi, npm, github):
        settings = HttpSettings(backoff=0.01, connect_timeout=2, read_timeout=5, attempts=2)
        config = Config(pypi_url=pypi, npm_registry=npm, store=False, http=settings, today=today)
        saved = os.environ.get(GITHUB_ENV)
        os.environ[GITHUB_ENV] = github
        if not github_api:
            del os.environ[GITHUB_ENV]
        try:
            started = time.perf_counter()
            result = run_scan([str(DATA / target)], config)
            return result, time.perf_counter() - started
        finally:
            if saved is None:
                os.environ.pop(GITHUB_ENV, None)
            else:
                os.environ[GITHUB_ENV] = saved


def email_alone(origin: Origin) -> bool:
    """An organisation claim whose only knowledge-base support is an e-mail domain."""
    if origin.organisation is None:
        return False
    claimed = origin.organisation.value
    support = [e for e in origin.evidence if e.source == "knowledge-base"
               and e.field.startswith("organisation[") and e.value == claimed]  # fmt: skip
    return bool(support) and all(e.field.startswith("organisation[email:") for e in support)


def score(result: Scan | None = None, seconds: float = 0.0, name: str = "labels.csv") -> Score:
    if result is None:
        result, seconds = scan()
    kb = load()
    keys = {o.name: o.key for o in kb.organisations}
    chains = {o.key: lineage(kb, o) for o in kb.organisations}
    by_name: dict[tuple[str, str], Origin] = {}
    names = {c.purl: c.name for c in result.components}
    for origin in result.origins:
        ecosystem = origin.purl[4:].partition("/")[0]
        by_name.setdefault((ecosystem, _canonical(ecosystem, names[origin.purl])), origin)
    outcomes = []
    for label in labels(name):
        found = by_name.get((label.ecosystem, _canonical(label.ecosystem, label.package)))
        if found is None:
            raise SystemExit(f"labels.csv: {label.package} is in none of the lockfiles")
        org = keys.get(found.organisation.value) if found.organisation else None
        if org is not None and label.expected in chains.get(org, ()):
            org = label.expected  # a subsidiary's claim counts for its parent too
        if found.organisation is not None and org is None:
            org = found.organisation.value  # not a knowledge-base name: wrong by construction
        outcomes.append(Outcome(
            label, org, found.country.value if found.country else None,
            found.publisher_kind.value if found.publisher_kind else None, email_alone(found),
        ))  # fmt: skip
    pypi = [o for (eco, _), o in by_name.items() if eco == "pypi"]
    answered = sum(o.publisher_kind is not None for o in pypi)
    alone = sum(email_alone(o) for o in result.origins)
    return Score(tuple(outcomes), len(pypi), answered, alone, len(result.components), seconds)


def _canonical(ecosystem: str, name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name)) if ecosystem == "pypi" else name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--markdown", action="store_true", help="a RESULTS.md table")
    parser.add_argument("--wrong", action="store_true", help="list misses and wrong claims")
    args = parser.parse_args()
    result = score()
    without = score(*scan(github_api=False))
    held = score(*scan(target="heldout"), name="heldout-labels.csv")
    verdict = {True: "PASS", False: "MISS"}
    said, right = result.individuals
    rows = [
        ("components scanned (offline, loopback registries)", str(result.components), "", ""),
        ("labelled packages", str(len(result.outcomes)), ">= 150",
         verdict[len(result.outcomes) >= 150]),
        ("precision of organisation + country claims",
         f"{result.precision:.3f} ({result.correct}/{result.claims})", ">= 0.98",
         verdict[result.precision >= 0.98]),
        ("coverage of knowable packages",
         f"{result.coverage:.3f} ({result.covered}/{len(result.knowable)})", ">= 0.90",
         verdict[result.coverage >= 0.90]),
        ("PyPI packages answered organisation or individual",
         f"{result.pypi_coverage:.3f} ({result.pypi_answered}/{result.pypi_total})", ">= 0.80",
         verdict[result.pypi_coverage >= 0.80]),
        ("… the same without GitHub answers (no GITHUB_API_URL)",
         f"{without.pypi_coverage:.3f} ({without.pypi_answered}/{without.pypi_total})", "", ""),
        ("… precision / knowable coverage without GitHub answers",
         f"{without.precision:.3f} / {without.coverage:.3f}", "", ""),
        ("held-out (volcengine/verl, labelled first): precision / knowable coverage",
         f"{held.precision:.3f} ({held.correct}/{held.claims}) / {held.coverage:.3f}"
         f" ({held.covered}/{len(held.knowable)})", "", ""),
        ("held-out: PyPI packages answered organisation or individual",
         f"{held.pypi_coverage:.3f} ({held.pypi_answered}/{held.pypi_total})", "", ""),
        ("claims from an e-mail domain alone", str(result.email_alone), "0",
         verdict[result.email_alone == 0]),
        ("`individual` answers right on labelled packages", f"{right}/{said}", "", ""),
        ("scan time", f"{result.seconds:.1f} s", "", ""),
    ]  # fmt: skip
    if args.markdown:
        print("| figure | value | target | |\n|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        for row in rows:
            print(f"{row[0]:<64} {row[1]:>22} {row[2]:>8} {row[3]}")
    if args.wrong:
        for o in (*result.outcomes, *held.outcomes):
            wrong = o.org is not None and (o.org, o.country) != (o.label.expected, o.label.country)
            missed = o.label.expected not in NOT_ORGANISATIONS and o.org != o.label.expected
            if wrong or missed:
                what = "WRONG" if wrong else "miss"
                got = f"{o.org}/{o.country} ({o.kind})"
                print(f"{what}: {o.label.ecosystem}/{o.label.package}: expected"
                      f" {o.label.expected}/{o.label.country}, got {got}")  # fmt: skip


if __name__ == "__main__":
    main()
