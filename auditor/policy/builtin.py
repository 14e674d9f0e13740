"""The built-in rule registry: stable ids, default severity and action, one-line description.

Ids never change once released: SARIF fingerprints, waivers and scan history refer to them.
Collectors and resolvers create findings only through `finding()`, so an unknown id is a
programming error caught by the tests, never a silent typo.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.model import Action, Evidence, Finding, Severity


@dataclass(frozen=True, slots=True)
class BuiltinRule:
    """A check a collector or resolver makes."""

    id: str
    severity: Severity
    action: Action
    description: str


BUILTIN_RULES: tuple[BuiltinRule, ...] = (
    BuiltinRule(
        "package.unpinned",
        Severity.LOW,
        Action.WARN,
        "A requirement does not pin one exact version, so what gets installed can change.",
    ),
    BuiltinRule(
        "package.direct-reference",
        Severity.LOW,
        Action.REPORT,
        "Installed from a URL, VCS or local path instead of a registry: no registry origin.",
    ),
    BuiltinRule(
        "package.editable",
        Severity.INFO,
        Action.REPORT,
        "An editable (development) install: the code is a local checkout.",
    ),
    BuiltinRule(
        "package.record-mismatch",
        Severity.HIGH,
        Action.WARN,
        "An installed file's bytes differ from the hash in the distribution's RECORD.",
    ),
)

_BY_ID = {rule.id: rule for rule in BUILTIN_RULES}


def rule(rule_id: str) -> BuiltinRule:
    """The registered rule; KeyError for an unregistered id (a bug, not user input)."""
    return _BY_ID[rule_id]


def finding(
    rule_id: str, purl: str, message: str, evidence: tuple[Evidence, ...] = ()
) -> Finding:
    """A finding for a built-in rule with its default severity and action."""
    found = rule(rule_id)
    return Finding(found.id, found.severity, found.action, purl, message, evidence)
