"""`--format sarif`: SARIF 2.1.0 for code-scanning tools (GitHub code scanning among them).

One result per finding. Rules carry the built-in registry's description and default
severity; a finding whose rule the registry does not know (a policy rule, an old scan)
still renders, under a generic rule. Every result has a location, because GitHub refuses
results without one: where the component was found (lockfile line, file path, image path
with its layer), else the target itself. `partialFingerprints` hash the rule, the purl and
the location's path, never the scan id or line, so a finding keeps its identity across scans
and GitHub does not reopen it when a lockfile shifts by a line.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from typing import Any, ClassVar
from urllib.parse import quote

from auditor.model import Finding, Location, Scan, ScanStatus, Severity, Target, TargetKind
from auditor.render import Renderer

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT = "originAuditor/v1"
SRCROOT = "%SRCROOT%"
TOOL_NAME = "origin-auditor"
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub's bands: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, below 4.0 low.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
_FILE_TARGETS = (TargetKind.LOCKFILE, TargetKind.FILE, TargetKind.SBOM)


class SarifRenderer(Renderer):
    """`--format sarif`."""

    name: ClassVar[str] = "sarif"

    def render(self, scan: Scan) -> str:
        """The SARIF log as indented JSON; identical scans give identical text."""
        return json.dumps(sarif_log(scan), indent=2, ensure_ascii=False) + "\n"


def sarif_log(scan: Scan) -> dict[str, Any]:
    """The scan as a SARIF 2.1.0 log with one run."""
    rule_ids = sorted({f.rule for f in scan.findings})
    index = {rule_id: n for n, rule_id in enumerate(rule_ids)}
    first_severity: dict[str, Severity] = {}
    for f in scan.findings:
        first_severity.setdefault(f.rule, f.severity)
    rules = [_rule(rule_id, first_severity[rule_id]) for rule_id in rule_ids]
    components = {c.purl: c for c in scan.components}
    targets = {t.ref: t for t in scan.targets}
    results = []
    for f in scan.findings:
        component = components.get(f.purl)
        locations = list(component.locations) if component else []
        results.append(_result(f, index[f.rule], locations, targets, scan.targets))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": scan.tool_version,
                "semanticVersion": scan.tool_version,
                "rules": rules,
            }
        },
        "invocations": [
            {
                "executionSuccessful": scan.status is not ScanStatus.FAILED,
                "startTimeUtc": scan.started_at,
                "endTimeUtc": scan.finished_at,
                "toolExecutionNotifications": [
                    {"level": "warning", "message": {"text": f"{d.location}: {d.message}"}}
                    for d in scan.diagnostics
                ],
            }
        ],
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "The scanned directory."}}},
        "results": results,
        "properties": {"scanId": scan.id, "scanStatus": scan.status.value},
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _rule(rule_id: str, seen: Severity) -> dict[str, Any]:
    from auditor.policy.builtin import rule

    try:
        known = rule(rule_id)
        severity, description = known.severity, known.description
    except KeyError:  # a rule the registry does not know: generic text, the finding's severity
        severity, description = seen, f"Origin Auditor rule {rule_id}."
    short = description.split(": ")[0].split(". ")[0].rstrip(".")
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in _words(rule_id)),
        "shortDescription": {"text": short},
        "fullDescription": {"text": description},
        "help": {
            "text": f"{description}\nRule {rule_id}; default severity {severity.value}.",
            "markdown": f"{description}\n\nRule `{rule_id}`; default severity "
            f"**{severity.value}**.",
        },
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[severity],
            "tags": ["security", "supply-chain", rule_id.split(".")[0]],
            "precision": "high",
        },
    }


def _words(rule_id: str) -> list[str]:
    return [w for w in rule_id.replace("-", ".").replace("_", ".").split(".") if w]


def _result(
    f: Finding,
    rule_index: int,
    found: list[Location],
    targets: dict[str, Target],
    all_targets: tuple[Target, ...],
) -> dict[str, Any]:
    locations = [_location(loc, targets.get(loc.target)) for loc in found]
    if not locations:  # GitHub needs a location: the target(s) the scan read
        locations = [_target_location(t) for t in all_targets[:1]]
    if not locations:
        locations = [_physical(".", None, {})]
    path = locations[0]["physicalLocation"]["artifactLocation"]["uri"]
    digest = hashlib.sha256(f"{f.rule}\0{f.purl}\0{path}".encode()).hexdigest()
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVEL[f.severity],
        "message": {"text": f"{f.message} ({f.purl})"},
        "locations": locations,
        "partialFingerprints": {FINGERPRINT: digest},
        "properties": {
            "purl": f.purl,
            "severity": f.severity.value,
            "action": f.action.value,
            "evidence": [f"{e.source} {e.field}={e.value} ({e.where})" for e in f.evidence],
        },
    }
    if f.waiver is not None:
        result["suppressions"] = [{"kind": "external", "justification": f.waiver}]
    return result


def _location(loc: Location, target: Target | None) -> dict[str, Any]:
    facts = {"target": loc.target} | ({"layer": loc.layer} if loc.layer else {})
    # An installed distribution is found at its metadata folder; code scanning wants a file.
    path = f"{loc.path}/METADATA" if loc.path.endswith(".dist-info") else loc.path
    if loc.layer is not None or target is None or target.kind is TargetKind.IMAGE:
        # A path inside an image (or an unknown target) is relative to that image's root.
        return _physical(path, loc.line, facts)
    return _physical(_repo_path(target, path), loc.line, facts)


def _target_location(target: Target) -> dict[str, Any]:
    path = _repo_path(target, "") if target.kind is not TargetKind.IMAGE else target.ref
    return _physical(path, None, {"target": target.ref})


def _repo_path(target: Target, path: str) -> str:
    """The location relative to where the scan ran: GitHub wants repository-relative URIs.

    A file target's location is the file itself; a directory's is the path below it. An
    absolute target ref cannot be made relative, so only the path inside it is kept.
    """
    ref = target.ref.replace("\\", "/")
    absolute = ref.startswith("/") or (len(ref) > 1 and ref[1] == ":")
    if target.kind in _FILE_TARGETS:
        joined = posixpath.basename(ref) if absolute else ref
    else:
        joined = path if absolute else posixpath.join(ref, path)
    return posixpath.normpath(joined) if joined else "."


def _physical(path: str, line: int | None, facts: dict[str, str]) -> dict[str, Any]:
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": quote(path.lstrip("/"), safe="/"), "uriBaseId": SRCROOT}
    }
    if line is not None and line >= 1:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical, "properties": facts}
