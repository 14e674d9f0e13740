"""The built-in rule registry: stable ids, default severity and action, one-line description.

The rules are data (`rules/builtin.toml`) so auditors can read them without the code.
Collectors and resolvers create findings only through `finding()`, so an unknown id is a
programming error caught by the tests, never a silent typo.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from auditor.config import data_path
from auditor.errors import ConfigError
from auditor.model import Action, Evidence, Finding, Severity

BUILTIN_FILE = "builtin.toml"


@dataclass(frozen=True, slots=True)
class BuiltinRule:
    """A check a collector or resolver makes."""

    id: str
    severity: Severity
    action: Action
    description: str


@cache
def builtin_rules() -> tuple[BuiltinRule, ...]:
    """The rules in `rules/builtin.toml`, in file order (read once per process)."""
    source = data_path("rules") / BUILTIN_FILE
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
        return tuple(
            BuiltinRule(
                id=str(item["id"]),
                severity=Severity(item["severity"]),
                action=Action(item["action"]),
                description=str(item["description"]),
            )
            for item in raw["rule"]
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"rules/{BUILTIN_FILE}: unusable built-in rule file: {exc}",
            hint="reinstall origin-auditor",
        ) from None


def rule(rule_id: str) -> BuiltinRule:
    """The registered rule; KeyError for an unregistered id (a bug, not user input)."""
    for found in builtin_rules():
        if found.id == rule_id:
            return found
    raise KeyError(rule_id)


def finding(rule_id: str, purl: str, message: str, evidence: tuple[Evidence, ...] = ()) -> Finding:
    """A finding for a built-in rule with its default severity and action."""
    found = rule(rule_id)
    return Finding(found.id, found.severity, found.action, purl, message, evidence)
