"""Gating: which findings fail a run, and a plain account of each for the CI log."""

from __future__ import annotations

from datetime import date

from auditor.escape import terminal_safe
from auditor.model import Action, Finding, Scan, Severity
from auditor.policy.snippets import waiver_toml

MAX_EVIDENCE = 3


def failing(scan: Scan, fail_on: Severity | None) -> tuple[Finding, ...]:
    """Unwaived findings whose action is `block`, or at/above `fail_on`."""
    return tuple(
        f
        for f in scan.findings
        if not f.waived
        and (f.action is Action.BLOCK or (fail_on is not None and f.severity.rank >= fail_on.rank))
    )


def explain(
    found: tuple[Finding, ...],
    fail_on: Severity | None,
    remediation: dict[str, str],
    policy_file: str | None = None,
    today: date | None = None,
) -> str:
    """What blocked and why: rule, component, message, evidence, fix, and the waiver to paste
    into `policy_file` (the last configuration file read; pyproject.toml when none)."""
    today = today or date.today()
    if not found:
        return ""
    found, remediation = terminal_safe((found, remediation))  # metadata: one line each
    lines = [f"policy failed: {len(found)} finding(s) block this run"]
    for f in found:
        limit = fail_on.value if fail_on else ""
        why = "action block" if f.action is Action.BLOCK else f"at or above --fail-on {limit}"
        lines.append(f"  {f.rule}  {f.purl}")
        lines.append(f"    why: {why} ({f.severity.value}, {f.action.value}): {f.message}")
        for e in f.evidence[:MAX_EVIDENCE]:
            said = f"{e.source} {e.field} = {e.value}"
            lines.append(f"    evidence: {said} ({e.where}, {e.strength.value})")
        if len(f.evidence) > MAX_EVIDENCE:
            lines.append(
                f"    evidence: … {len(f.evidence) - MAX_EVIDENCE} more (`auditor show SCAN PURL`)"
            )
        if remediation.get(f.rule):
            lines.append(f"    fix: {remediation[f.rule]}")
        where = policy_file or "pyproject.toml"
        lines.append(f"    waive: add to {where}, once reviewed:")
        lines.extend(
            f"      {line}" for line in waiver_toml(f.rule, f.purl, policy_file, today).splitlines()
        )
    return "\n".join(lines) + "\n"
