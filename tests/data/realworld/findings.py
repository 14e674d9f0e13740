"""Draft findings-expected.json from a scan of the real-world set (issue 25).

Every finding a default rule raises on the real lockfiles, judged by hand: `true` with the
reason it is true, or `false` with what is wrong. Reasons already written are kept; a new
finding gets the reason "UNCHECKED", which tests/test_realworld_findings.py refuses, so each
one is read before it lands. `origin.repository-unattested` (info) is judged once for the rule:
it is true by construction (a repository is claimed and the recorded registry serves no
attestation for the release), so it is counted, not listed.

    .venv/bin/python tests/data/realworld/findings.py
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

TODAY = date(2026, 12, 7)
"""The day the answers were recorded: release ages are judged on it, so the set repeats."""
COUNTED = ("origin.repository-unattested",)


def main() -> None:
    import realworld_bench

    path = HERE / "findings-expected.json"
    old = json.loads(path.read_text()) if path.exists() else {"findings": []}
    judged = {(f["rule"], f["purl"]): f for f in old["findings"]}
    result, _ = realworld_bench.scan(today=TODAY)
    findings = []
    for f in sorted(result.findings, key=lambda f: (f.rule, f.purl)):
        if f.rule in COUNTED:
            continue
        was = judged.get((f.rule, f.purl), {})
        findings.append({
            "rule": f.rule, "purl": f.purl, "severity": f.severity.value,
            "true": was.get("true", True), "reason": was.get("reason", "UNCHECKED"),
        })  # fmt: skip
    counted = {r: sum(f.rule == r for f in result.findings) for r in COUNTED}
    doc = {"today": TODAY.isoformat(), "counted": counted, "findings": findings}
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
