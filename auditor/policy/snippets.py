"""Configuration a person can paste: a waiver or a vetting list, as valid TOML for the file the
policy lives in (`pyproject.toml` holds it under `[tool.auditor]`, `auditor.toml` at the top).

Printed by the gate and the pre-commit hook; what is printed parses, so a pasted waiver works
on the next run (tests paste it)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, timedelta

WAIVER_DAYS = 90
"""A printed waiver expires this long after today: waivers are meant to be revisited."""


def _in_pyproject(policy_file: str | None) -> bool:
    return policy_file is None or policy_file.endswith("pyproject.toml")


def _string(value: str) -> str:
    # A JSON string is a valid TOML basic string (TOML accepts every JSON escape).
    return json.dumps(value, ensure_ascii=False)


def waiver_toml(rule: str, purl: str, policy_file: str | None, today: date) -> str:
    """A `[[…waivers]]` table for this rule and purl glob; reason and approver to fill in."""
    table = "[[tool.auditor.waivers]]" if _in_pyproject(policy_file) else "[[waivers]]"
    expires = (today + timedelta(days=WAIVER_DAYS)).isoformat()
    return "\n".join(
        (
            table,
            f"rule = {_string(rule)}",
            f"purl = {_string(purl)}",
            'reason = "why this is acceptable"',
            'approver = "who accepted it"',
            f"expires = {expires}",
        )
    )


def vetting_toml(models: Iterable[str], policy_file: str | None) -> str:
    """The `vetted_models` list that would vet exactly these models (for review first)."""
    names = ", ".join(_string(m) for m in sorted(set(models)))
    lines = ["[tool.auditor]"] if _in_pyproject(policy_file) else []
    lines.append(f"vetted_models = [{names}]")
    return "\n".join(lines)


def policy_file(sources: Iterable[str]) -> str | None:
    """Where a pasted snippet belongs: the last TOML configuration file read (rule packs are
    YAML and hold no waivers); None when there is none (then pyproject.toml)."""
    tomls = [s for s in sources if s.endswith(".toml")]
    return tomls[-1] if tomls else None
