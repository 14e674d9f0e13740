"""Issue 25: are the default rules precise enough to gate on? Measured on real inputs.

- Precision of every default rule on the real-world set (tests/data/realworld/: 8 public
  projects' real lockfiles, scanned against loopback registries replaying the recorded
  answers): findings judged true / findings raised, from the hand-checked
  findings-expected.json; and the high or critical findings that are false (target 0).
- The rules that fire on examples/ (offline, from its registry snapshot).
- Typosquat recall on real typosquat names from public reports
  (tests/data/typosquat/documented.yaml; names only, as a scan without registry answers sees
  them): reported at any severity, and at high, per kind.

Run: `.venv/bin/python bench/findings_bench.py`
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import realworld_bench  # noqa: E402
import yaml  # noqa: E402

from auditor.policy.typosquat_score import score  # noqa: E402

DATA = REPO / "tests" / "data"


def rule_precision() -> None:
    expected = json.loads((DATA / "realworld" / "findings-expected.json").read_text())
    result, seconds = realworld_bench.scan(today=date.fromisoformat(expected["today"]))
    truth = {(f["rule"], f["purl"]): f["true"] for f in expected["findings"]}
    raised: Counter[str] = Counter(f.rule for f in result.findings)
    right: Counter[str] = Counter(
        f.rule for f in result.findings
        if f.rule in expected["counted"] or truth.get((f.rule, f.purl)) is True
    )  # fmt: skip
    severe_false = [
        f for f in result.findings
        if f.severity.value in ("high", "critical") and truth.get((f.rule, f.purl)) is not True
    ]  # fmt: skip
    print(f"real-world set: {len(result.components)} components, scanned in {seconds:.1f} s")
    print("| rule | raised | true | precision |\n| --- | --- | --- | --- |")
    for rule, n in sorted(raised.items(), key=lambda kv: -kv[1]):
        print(f"| `{rule}` | {n} | {right[rule]} | {right[rule] / n:.2f} |")
    print(f"high or critical findings that are false: {len(severe_false)}")


def examples() -> None:
    from auditor.config import Config
    from auditor.pipeline import run_scan

    result = run_scan([str(REPO / "examples")], Config(store=False, no_resolve=True))
    fired = Counter((f.rule, f.severity.value) for f in result.findings)
    print("examples/ (--no-resolve):", dict(fired) or "no findings")


def typosquat_recall() -> None:
    doc = yaml.safe_load((DATA / "typosquat" / "documented.yaml").read_text())
    by_kind: dict[str, Counter[str]] = {}
    for entry in doc["names"]:
        hit = score(entry["ecosystem"], entry["name"], None, date.today())
        level = "none" if hit is None or hit.score < 25 else "high" if hit.score >= 50 else "low"
        by_kind.setdefault(entry["kind"], Counter())[level] += 1
    print("| kind | names | reported (low or high) | at high |\n| --- | --- | --- | --- |")
    for kind, seen in sorted(by_kind.items()):
        total = sum(seen.values())
        print(f"| {kind} | {total} | {(seen['low'] + seen['high']) / total:.2f} |"
              f" {seen['high'] / total:.2f} |")  # fmt: skip


if __name__ == "__main__":
    rule_precision()
    examples()
    typosquat_recall()
