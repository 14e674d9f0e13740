"""Which configuration wins: an explicit policy over the scanned target's own file.

A scanned repository is untrusted input. Without an explicit policy its `auditor.toml` /
`[tool.auditor]` is the configuration (a team configuring its own hook). With one —
`--policy`, else the organisation policy named by AUDITOR_POLICY — the explicit policy is
the base and the target's file may only tighten it: enable more (raise severities and
actions, add review countries and required signatures, turn on vulnerability lookups,
widen the release-age and typosquat thresholds). It never disables, lowers, vets, swaps
packs or defines lists; its waivers apply only when the explicit policy sets
`allow_target_waivers = true`. Everything refused is named (file and key) in
`PolicySettings.refused`, which the CLI prints.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.config import POLICY_FILE
from auditor.model import Action, Severity
from auditor.policy.settings import (
    INT_KEYS,
    PolicySettings,
    enum_value,
    load_settings,
    parse_waiver,
    read_table,
)
from auditor.policy.yamlnodes import PolicyError

if TYPE_CHECKING:
    from auditor.policy.engine import Policy

POLICY_ENV = "AUDITOR_POLICY"
ADDITIVE_LISTS = ("review_countries", "require_signatures", "sbom_profiles")
"""Lists where more entries mean more findings; `vetted_*` lists mean fewer."""


def explicit_policy(flag: Path | None, environ: Mapping[str, str]) -> Path | None:
    """`--policy`, else AUDITOR_POLICY; None when neither is given."""
    if flag is not None:
        return flag
    named = environ.get(POLICY_ENV, "").strip()
    if not named:
        return None
    path = Path(named).expanduser()
    if not path.exists():
        raise PolicyError(f"{POLICY_ENV}={named}", None, "no such file or directory")
    return path


def settings_in_effect(discovered: Path | None, explicit: Path | None) -> PolicySettings:
    """The target's file alone without an explicit policy; else the explicit policy, which
    the target's file may only tighten."""
    if explicit is None:
        return load_settings(discovered, None)
    base = load_settings(None, explicit)
    if discovered is None or _same(discovered, explicit):
        return base
    table, where = read_table(discovered)
    return tighten(base, table, where)


def _same(discovered: Path, explicit: Path) -> bool:
    own = explicit / POLICY_FILE if explicit.is_dir() else explicit
    try:
        return discovered.resolve() == own.resolve()
    except OSError:
        return False


def tighten(base: PolicySettings, table: Mapping[str, Any], where: str) -> PolicySettings:
    """`base` with what of a target's `table` only adds findings; the rest in `refused`."""
    refused: list[str] = list(base.refused)

    def refuse(key: str, why: str) -> None:
        refused.append(f"{where}: {key} ignored: {why}")

    names = dict(base.names)
    raise_severity = dict(base.raise_severity)
    raise_action = dict(base.raise_action)
    waivers = list(base.waivers)
    vulnerabilities = base.vulnerabilities
    block = list(base.screening_block)
    for key, value in table.items():
        if key in ("severity", "action") and not isinstance(value, dict):
            raise PolicyError(where, None, f"{key}: must be a table")
        if key == "severity":
            for rule, level in value.items():
                raise_severity[rule] = enum_value(Severity, level, where, f"severity.{rule}")
        elif key == "action":
            for rule, act in value.items():
                raise_action[rule] = enum_value(Action, act, where, f"action.{rule}")
        elif key in ADDITIVE_LISTS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise PolicyError(where, None, f"{key}: must be a list of text")
            current_list = names.get(key)
            have = [str(v) for v in current_list] if isinstance(current_list, list) else []
            names[key] = have + [v for v in value if v not in have]
        elif key in INT_KEYS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise PolicyError(where, None, f"{key}: must be a whole number >= 0")
            current = names.get(key)
            if isinstance(current, int) and value < current:
                refuse(key, f"{value} would loosen the explicit policy's {current}")
            else:
                names[key] = value
        elif key == "vulnerabilities":
            if not isinstance(value, bool):
                raise PolicyError(where, None, "vulnerabilities: true or false")
            if value:
                vulnerabilities = True
            elif vulnerabilities:
                refuse(key, "only an explicit policy turns vulnerability lookups off")
        elif key == "screening":  # blocking more lists only tightens
            wanted = value.get("block", []) if isinstance(value, dict) else None
            if not isinstance(wanted, list) or not all(isinstance(v, str) for v in wanted):
                raise PolicyError(where, None, "screening.block: must be a list of list ids")
            block += [v for v in wanted if v not in block]
        elif key == "waivers" and base.allow_target_waivers:
            if not isinstance(value, list):
                raise PolicyError(where, None, "waivers: must be a list")
            start = len(waivers) + 1
            waivers += [parse_waiver(item, where, n) for n, item in enumerate(value, start)]
        else:
            refuse(key, _why(key))
    return replace(
        base,
        names=names,
        raise_severity=raise_severity,
        raise_action=raise_action,
        waivers=tuple(waivers),
        vulnerabilities=vulnerabilities,
        screening_block=tuple(block),
        sources=(*base.sources, where),
        refused=tuple(refused),
    )


def _why(key: str) -> str:
    if key == "waivers":
        return "the explicit policy does not set allow_target_waivers = true"
    return {
        "disable": "a scanned target cannot disable rules under an explicit policy",
        "vetted_publishers": "a scanned target cannot vet publishers under an explicit policy",
        "vetted_models": "a scanned target cannot vet models under an explicit policy",
        "vetted_services": "a scanned target cannot vet AI services under an explicit policy",
        "packs": "rule packs come from the explicit policy",
        "lists": "named lists come from the explicit policy",
        "allow_target_waivers": "only an explicit policy can allow target waivers",
    }.get(key, "not allowed in a scanned target under an explicit policy")


def lowered(policy: Policy) -> list[str]:
    """Notes for a target's severities and actions that would have lowered a rule: they
    are ignored where they do (an at-least setting), and said so."""
    from auditor.policy.builtin import builtin_rules

    settings = policy.settings
    if not (settings.raise_severity or settings.raise_action):
        return []
    plain = replace(policy, settings=replace(settings, raise_severity={}, raise_action={}))
    rules = [(b.id, b.severity, b.action) for b in builtin_rules()]
    rules += [(r.id, r.severity, r.action) for p in policy.packs for r in p.rules]
    where = settings.sources[-1] if settings.sources else "the target's configuration"
    order = list(Action)
    notes: list[str] = []
    for rule_id, severity, action in rules:
        judged = plain.stamp(rule_id, severity, action)
        if judged is None:
            continue
        for pattern, level in settings.raise_severity.items():
            if fnmatch.fnmatchcase(rule_id, pattern) and level.rank < judged[0].rank:
                notes.append(
                    f"{where}: severity.{pattern} ignored for {rule_id}: "
                    f"would lower it from {judged[0].value} to {level.value}"
                )
        for pattern, act in settings.raise_action.items():
            if fnmatch.fnmatchcase(rule_id, pattern) and order.index(act) < order.index(judged[1]):
                notes.append(
                    f"{where}: action.{pattern} ignored for {rule_id}: "
                    f"would lower it from {judged[1].value} to {act.value}"
                )
    return notes
