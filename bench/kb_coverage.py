"""Issue 24: how far the publisher knowledge base covers the most-used packages.

For every `tests/data/kb/popular-<ecosystem>-owners.csv` (columns `package,owner,organisation,
source`: the package's own repository owner or scope as `platform:account`, the organisation
behind it as a knowledge-base id, or `community`, `individual`, `unknown`, and the public page
that says so), this prints, for the top N names of `rules/data/popular-<ecosystem>.txt`
(ranked), how many have a row, how many of those name an organisation, and how many rows
disagree with rules/publishers.yaml (an id it does not define, or an owner it maps to another
organisation, or to none): 0 is the only healthy value.

Run: `.venv/bin/python bench/kb_coverage.py [--top 100,500,2000] [--markdown]`.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KB_DATA = REPO / "tests" / "data" / "kb"
POPULAR = REPO / "rules" / "data"
sys.path.insert(0, str(REPO))

from auditor.resolvers.publishers import KnowledgeBase, load  # noqa: E402

COLUMNS = ["package", "owner", "organisation", "source"]
NOT_ORGANISATIONS = frozenset({"community", "individual", "unknown"})


@dataclass(frozen=True, slots=True)
class Row:
    """One package's recorded owner and organisation."""

    package: str
    owner: str
    organisation: str
    source: str


@dataclass(frozen=True, slots=True)
class Tier:
    """The figures for the top N names of one ecosystem."""

    ecosystem: str
    top: int
    recorded: int
    organisations: int
    community: int
    individual: int
    unknown: int
    disagreements: int


def tables() -> dict[str, Path]:
    """Each ecosystem's evidence table, by ecosystem name."""
    found = sorted(KB_DATA.glob("popular-*-owners.csv"))
    return {p.name.removeprefix("popular-").removesuffix("-owners.csv"): p for p in found}


def read_rows(path: Path) -> list[Row]:
    """The table's rows; ValueError naming the file and line when it is malformed."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header != COLUMNS:
            raise ValueError(f"{path.name}:1: columns must be exactly {','.join(COLUMNS)}")
        rows = []
        for line, fields in enumerate(reader, start=2):
            if len(fields) != len(COLUMNS):
                raise ValueError(f"{path.name}:{line}: expected {len(COLUMNS)} fields")
            rows.append(Row(*fields))
    return rows


def ranked(ecosystem: str) -> list[str]:
    """The ecosystem's most-used names, most used first."""
    text = (POPULAR / f"popular-{ecosystem}.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def disagreement(row: Row, kb: KnowledgeBase) -> str | None:
    """Why the row and the knowledge base disagree, or None when they agree."""
    platform, _, account = row.owner.partition(":")
    found = kb.lookup(platform, account) if account else None
    if row.organisation in NOT_ORGANISATIONS:
        if found is not None and row.organisation != "unknown":
            return f"{row.owner} is {found.key}'s in the knowledge base, not {row.organisation}"
        return None
    if found is None:
        return f"{row.owner or '(no owner)'} maps to no organisation, not {row.organisation}"
    if found.key != row.organisation:
        return f"{row.owner} maps to {found.key}, not {row.organisation}"
    return None


def problems(rows: list[Row], kb: KnowledgeBase) -> list[str]:
    """Every row whose organisation id is not in the knowledge base, or which the knowledge
    base contradicts (`disagreement`); empty when the table and the base agree."""
    ids = {org.key for org in kb.organisations}
    unknown = [f"{row.package}: no organisation {row.organisation!r} in the knowledge base"
               for row in rows if row.organisation not in ids | NOT_ORGANISATIONS]  # fmt: skip
    return unknown + [f"{row.package}: {why}" for row in rows if (why := disagreement(row, kb))]


def tier(ecosystem: str, rows: list[Row], names: list[str], top: int, kb: KnowledgeBase) -> Tier:
    by_name = {row.package: row for row in rows}
    mine = [by_name[name] for name in names[:top] if name in by_name]
    kinds = [row.organisation for row in mine]
    return Tier(
        ecosystem=ecosystem,
        top=min(top, len(names)),
        recorded=len(mine),
        organisations=sum(kind not in NOT_ORGANISATIONS for kind in kinds),
        community=kinds.count("community"),
        individual=kinds.count("individual"),
        unknown=kinds.count("unknown"),
        disagreements=sum(disagreement(row, kb) is not None for row in mine),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", default="100,500,1000,2000", help="comma-separated tiers")
    parser.add_argument("--markdown", action="store_true", help="a RESULTS.md section")
    args = parser.parse_args()
    tops = [int(t) for t in args.top.split(",") if t.strip()]
    kb = load()
    results: list[Tier] = []
    for ecosystem, path in tables().items():
        rows, names = read_rows(path), ranked(ecosystem)
        results += [tier(ecosystem, rows, names, top, kb) for top in tops]
        for row in rows:
            why = disagreement(row, kb)
            if why is not None:
                print(f"disagreement: {path.name}: {row.package}: {why}", file=sys.stderr)
    head = (
        "| ecosystem | top N | recorded | organisation | community | individual | unknown"
        " | disagreements |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    lines += [
        f"| {t.ecosystem} | {t.top} | {t.recorded} | {t.organisations} | {t.community}"
        f" | {t.individual} | {t.unknown} | {t.disagreements} |"
        for t in results
    ]
    if args.markdown:
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        load1, load5, load15 = os.getloadavg()
        print(f"- date: {now}; load average (1/5/15 min): {load1:.2f}/{load5:.2f}/{load15:.2f}")
        print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
