"""Issue 24: the organisation claims of one scan, listed for a person to check by hand.

For a held-out check on a lockfile the labelled sets have not seen: scan it (online, one
lockfile's packages), then `bench/origin_claims.py scan.json [--before old.json]` prints how
many PyPI components got an organisation claim and how many were answered `organisation` or
`individual`, every claim (organisation, country, evidence strength, package) to judge, and,
with `--before`, the components whose claim changed between two scans of the same lockfile
(e.g. `--offline` with an older knowledge base).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Claim:
    """What one scan said of one PyPI component's origin."""

    package: str
    organisation: str | None
    country: str | None
    strength: str | None
    kind: str | None


def claims(path: Path) -> list[Claim]:
    """The PyPI components of a scan's JSON report, in report order."""
    report = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for component in report["components"]:
        if not str(component.get("purl", "")).startswith("pkg:pypi/"):
            continue
        origin = component.get("origin") or {}
        organisation = origin.get("organisation") or {}
        country = origin.get("country") or {}
        found.append(
            Claim(
                package=component["name"],
                organisation=organisation.get("value"),
                country=country.get("value"),
                strength=organisation.get("strength"),
                kind=origin.get("publisher_kind"),
            )
        )
    return found


def summary(found: list[Claim]) -> str:
    kinds = Counter(c.kind for c in found)
    answered = kinds["organisation"] + kinds["individual"]
    total = len(found) or 1
    return (
        f"PyPI components {len(found)}; organisation claims"
        f" {sum(c.organisation is not None for c in found)}; answered organisation or"
        f" individual {answered} ({answered / total:.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scan", type=Path, help="a scan's JSON report")
    parser.add_argument("--before", type=Path, help="an earlier report of the same lockfile")
    args = parser.parse_args()
    after = claims(args.scan)
    if args.before is not None:
        before = claims(args.before)
        print("before:", summary(before))
        old = {c.package: c.organisation for c in before}
        for claim in after:
            if old.get(claim.package) != claim.organisation:
                print(f"changed: {claim.package}: {old.get(claim.package)} -> {claim.organisation}")
    print("after: " if args.before is not None else "", summary(after), sep="")
    made = [c for c in after if c.organisation is not None]
    for c in sorted(made, key=lambda c: (c.organisation or "", c.package)):
        print(f"claim: {c.organisation} | {c.country} | {c.strength} | {c.package}")


if __name__ == "__main__":
    main()
