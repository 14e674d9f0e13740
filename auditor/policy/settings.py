"""The policy configuration: `[tool.auditor]` (pyproject.toml) or `auditor.toml`, and `--policy`.

Every key is documented in the README ("Configuration"). A configuration file found near
the target is read first; `--policy PATH` is laid over it: its scalar keys and tables win,
its packs, disables and waivers are added (`auditor.policy.precedence` lets a target only
tighten an explicit policy). A YAML file or a directory given to `--policy`
adds its rule packs (and a directory's own auditor.toml).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from auditor.bounded import load_toml
from auditor.config import POLICY_FILE, PYPROJECT, SBOM_PROFILES
from auditor.model import Action, Finding, Severity
from auditor.policy.yamlnodes import PolicyError

T = TypeVar("T")

LIST_KEYS = (
    "vetted_publishers",
    "vetted_models",
    "vetted_services",
    "review_countries",
    "require_signatures",
    "sbom_profiles",
)
INT_KEYS = {"young_release_days": 7, "typosquat_distance": 1, "typosquat_min_score": 50}
KEYS = {
    "packs", "disable", "severity", "action", "lists", "waivers", "vulnerabilities",
    "allow_target_waivers", "screening", *LIST_KEYS, *INT_KEYS,
}  # fmt: skip
SCREENING_KEYS = {"block"}
"""`[screening]`: `block`, the screening-list ids whose matches block."""
WAIVER_KEYS = {"rule", "purl", "reason", "approver", "expires"}
PACK_SUFFIXES = (".yaml", ".yml")
NOT_PACKS = frozenset({"publishers.yaml"})
"""YAML data kept beside the packs in rules/ (the publisher knowledge base, checked by
`auditor publishers validate`), never read as a rule pack."""


def is_pack_file(path: Path) -> bool:
    """A rule pack by its name: YAML, and not one of the data files beside the packs."""
    return path.suffix in PACK_SUFFIXES and path.name not in NOT_PACKS


@dataclass(frozen=True, slots=True)
class Waiver:
    """Permission to keep a finding without failing on it, until `expires` (inclusive)."""

    rule: str
    """A rule id or glob."""
    purl: str
    """A purl glob: `pkg:pypi/reqeusts@*`."""
    reason: str
    approver: str
    expires: date
    source: str = ""
    """Where it was configured (file and waiver number)."""

    def matches(self, finding: Finding) -> bool:
        """The finding's rule and purl match the waiver's patterns."""
        return fnmatch.fnmatchcase(finding.rule, self.rule) and fnmatch.fnmatchcase(
            finding.purl, self.purl
        )

    def expired(self, today: date) -> bool:
        """After its expiry day."""
        return today > self.expires

    def describe(self) -> str:
        """What Finding.waiver holds."""
        return f"{self.reason} (approved by {self.approver}, until {self.expires.isoformat()})"


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """The configuration in effect (before the packs are read)."""

    packs: tuple[str, ...] = ("default",)
    """Shipped pack names (`default`) or YAML files/directories (absolute paths)."""
    disable: tuple[str, ...] = ()
    """Rule ids or globs that produce nothing."""
    severity: dict[str, Severity] = field(default_factory=dict)
    action: dict[str, Action] = field(default_factory=dict)
    names: dict[str, object] = field(default_factory=dict)
    """`$name` values: the lists above, the integer settings, `lists` entries."""
    waivers: tuple[Waiver, ...] = ()
    vulnerabilities: bool = False
    """Look components up in OSV (needs the network or a cache/snapshot)."""
    sources: tuple[str, ...] = ()
    """The configuration files read, in order."""
    allow_target_waivers: bool = False
    """Set in an explicit policy: the scanned target's own waivers apply too."""
    raise_severity: dict[str, Severity] = field(default_factory=dict)
    """At-least severities from a target's own file under an explicit policy (tighten only)."""
    raise_action: dict[str, Action] = field(default_factory=dict)
    """At-least actions from a target's own file under an explicit policy (tighten only)."""
    refused: tuple[str, ...] = ()
    """What a target's own file asked for and an explicit policy did not let it do."""
    screening_block: tuple[str, ...] = ()
    """`[screening] block`: list ids (`fcc-covered` …) whose `origin.listed-entity` matches
    take the action `block`."""


def default_names() -> dict[str, object]:
    """Names every policy has, before configuration."""
    names: dict[str, object] = {key: [] for key in LIST_KEYS}
    names.update(INT_KEYS)
    return names


class PolicyProblems(PolicyError):
    """Every problem found in the configuration files, not only the first."""

    def __init__(self, problems: list[PolicyError]) -> None:
        first = problems[0]
        super().__init__(first.file, first.line, first.reason)
        self.message = "\n".join(p.message for p in problems)
        self.problems = tuple(problems)


def load_settings(discovered: Path | None, flag: Path | None) -> PolicySettings:
    """The settings from the discovered file, with `--policy` laid over it; PolicyProblems
    lists every problem of every file read."""
    problems: list[PolicyError] = []
    settings = _load_settings(discovered, flag, problems)
    if problems:
        raise PolicyProblems(problems)
    return settings


def _load_settings(
    discovered: Path | None, flag: Path | None, problems: list[PolicyError]
) -> PolicySettings:
    raw: dict[str, Any] = {}
    sources: list[str] = []
    packs: list[str] = ["default"]
    if discovered is not None:
        _lay(raw, packs, _read_toml(discovered, problems), discovered, problems)
        sources.append(str(discovered))
    if flag is not None:
        if not flag.exists():
            raise PolicyError(str(flag), None, "no such file or directory")
        if flag.is_dir():
            own = flag / POLICY_FILE
            if own.is_file():
                _lay(raw, packs, _read_toml(own, problems), own, problems)
                sources.append(str(own))
            found = sorted(p for p in flag.iterdir() if is_pack_file(p))
            packs.extend(str(p.resolve()) for p in found)
            sources.extend(str(p) for p in found)
        elif flag.suffix in PACK_SUFFIXES:
            packs.append(str(flag.resolve()))
            sources.append(str(flag))
        else:
            _lay(raw, packs, _read_toml(flag, problems), flag, problems)
            sources.append(str(flag))
    return _settings(raw, packs, tuple(sources), problems)


def _read_toml(path: Path, problems: list[PolicyError]) -> tuple[dict[str, Any], str]:
    """The file's policy table (`{}` when it cannot be read: the problem is recorded)."""
    try:
        return _read_table(path, problems)
    except PolicyError as exc:
        problems.append(exc)
        return {}, str(path)


def read_table(path: Path) -> tuple[dict[str, Any], str]:
    """A policy file's table (`[tool.auditor]` or the top level) and how to name where it
    came from; PolicyProblems for unreadable TOML or unknown keys (every one)."""
    problems: list[PolicyError] = []
    found = _read_table(path, problems)
    if problems:
        raise PolicyProblems(problems)
    return found


def _read_table(path: Path, problems: list[PolicyError]) -> tuple[dict[str, Any], str]:
    try:
        doc = load_toml(path.read_text(encoding="utf-8"))  # a project's: nesting checked
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(str(path), None, f"cannot read: {exc}") from None
    except ValueError as exc:  # TOMLDecodeError, TooDeep
        raise PolicyError(str(path), None, f"not valid TOML: {exc}") from None
    tool = doc.get("tool")
    if isinstance(tool, dict) and "auditor" in tool:
        table = tool["auditor"]
        where = f"{path} [tool.auditor]"
    elif path.name == PYPROJECT:
        raise PolicyError(str(path), None, "no [tool.auditor] table")
    else:
        table = {k: v for k, v in doc.items() if k != "tool"}
        where = str(path)
    if not isinstance(table, dict):
        raise PolicyError(str(path), None, "[tool.auditor] must be a table")
    known = ", ".join(sorted(KEYS))
    problems.extend(
        PolicyError(where, None, f"unknown key {key!r} (known: {known})")
        for key in table
        if key not in KEYS
    )
    return {k: v for k, v in table.items() if k in KEYS}, where


def _lay(
    raw: dict[str, Any],
    packs: list[str],
    found: tuple[dict[str, Any], str],
    path: Path,
    problems: list[PolicyError],
) -> None:
    table, where = found
    for key, value in table.items():
        try:
            _lay_key(raw, packs, key, value, where, path)
        except PolicyError as exc:
            problems.append(exc)


def _lay_key(
    raw: dict[str, Any], packs: list[str], key: str, value: Any, where: str, path: Path
) -> None:
    """One key of one file laid over what earlier files set; PolicyError when malformed."""
    if key == "packs":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise PolicyError(where, None, "packs: a list of pack names or paths")
        packs[:] = [
            v
            if "/" not in v and not v.endswith(PACK_SUFFIXES)
            else str((path.parent / v).resolve())
            for v in value
        ]
    elif key in ("disable", "waivers"):
        if not isinstance(value, list):
            raise PolicyError(where, None, f"{key}: must be a list")
        raw.setdefault(key, []).extend((item, where) for item in value)
    elif key == "screening":
        if not isinstance(value, dict):
            raise PolicyError(where, None, "screening: must be a table")
        unknown = sorted(set(value) - SCREENING_KEYS)
        if unknown:
            raise PolicyError(where, None, f"screening: unknown key {unknown[0]!r} (known: block)")
        block = value.get("block", [])
        if not isinstance(block, list) or not all(isinstance(v, str) for v in block):
            raise PolicyError(where, None, "screening.block: must be a list of list ids")
        raw["screening"] = (block, where)
    elif key in ("severity", "action", "lists"):
        if not isinstance(value, dict):
            raise PolicyError(where, None, f"{key}: must be a table")
        raw.setdefault(key, {}).update({k: (v, where) for k, v in value.items()})
    else:
        raw[key] = (value, where)


def _settings(
    raw: dict[str, Any], packs: list[str], sources: tuple[str, ...], problems: list[PolicyError]
) -> PolicySettings:
    """Each key checked on its own, so one run names every problem (`problems`)."""

    def checked(check: Callable[..., T], *args: Any) -> T | None:
        try:
            return check(*args)
        except PolicyError as exc:
            problems.append(exc)
            return None

    names = default_names()
    for key in LIST_KEYS:
        if key in raw:
            texts = checked(_text_list, key, *raw[key])
            if texts is not None:
                names[key] = texts
    for key in INT_KEYS:
        if key in raw:
            number = checked(_whole_number, key, *raw[key])
            if number is not None:
                names[key] = number
    for name, (value, where) in raw.get("lists", {}).items():
        if not isinstance(value, list) or name in names:
            problems.append(PolicyError(
                where, None, f"lists.{name}: must be a list, named unlike the built-in settings"
            ))  # fmt: skip
            continue
        names[name] = list(value)
    disable: list[str] = []
    for item, where in raw.get("disable", []):
        if not isinstance(item, str):
            problems.append(PolicyError(where, None, "disable: a list of rule ids or globs"))
            continue
        disable.append(item)
    severity = {
        rule: found
        for rule, (v, where) in raw.get("severity", {}).items()
        if (found := checked(enum_value, Severity, v, where, f"severity.{rule}")) is not None
    }
    action = {
        rule: found
        for rule, (v, where) in raw.get("action", {}).items()
        if (found := checked(enum_value, Action, v, where, f"action.{rule}")) is not None
    }
    waivers = tuple(
        waiver
        for n, (item, where) in enumerate(raw.get("waivers", []), 1)
        if (waiver := checked(parse_waiver, item, where, n)) is not None
    )
    vulns, allow = (
        bool(checked(_flag, raw, key)) for key in ("vulnerabilities", "allow_target_waivers")
    )
    return PolicySettings(
        packs=tuple(dict.fromkeys(packs)),
        disable=tuple(disable),
        severity=severity,
        action=action,
        names=names,
        waivers=waivers,
        vulnerabilities=vulns,
        sources=sources,
        allow_target_waivers=allow,
        screening_block=tuple(raw["screening"][0]) if "screening" in raw else (),
    )


def _text_list(key: str, value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(where, None, f"{key}: must be a list of text")
    if key == "review_countries":
        from iso3166 import countries_by_alpha2

        # Matched case-insensitively, as `origin.review-country` compares them.
        wrong = [v for v in value if v.upper() not in countries_by_alpha2]
        if wrong:
            raise PolicyError(
                where, None, f"review_countries: {', '.join(map(repr, wrong))} "
                "not ISO 3166-1 alpha-2 codes (two capital letters, such as \"DE\" or \"CN\")",
            )  # fmt: skip
    if key == "sbom_profiles" and (wrong := [v for v in value if v not in SBOM_PROFILES]):
        raise PolicyError(
            where,
            None,
            f"sbom_profiles: {', '.join(map(repr, wrong))} not a profile"
            f" ({', '.join(SBOM_PROFILES)})",
        )
    return list(value)


def _whole_number(key: str, value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PolicyError(where, None, f"{key}: must be a whole number >= 0")
    return value


def _flag(raw: dict[str, Any], key: str) -> bool:
    if key not in raw:
        return False
    value, where = raw[key]
    if not isinstance(value, bool):
        raise PolicyError(where, None, f"{key}: true or false")
    return value


def enum_value(kind: type[Severity] | type[Action], value: object, where: str, key: str) -> Any:
    """`value` as a Severity or Action; PolicyError naming `where` and `key` otherwise."""
    try:
        return kind(str(value))
    except ValueError:
        allowed = ", ".join(e.value for e in kind)
        raise PolicyError(where, None, f"{key}: {value!r} is not one of {allowed}") from None


def parse_waiver(item: object, where: str, number: int) -> Waiver:
    """One `[[waivers]]` table, checked; PolicyError naming the waiver otherwise."""
    subject = f"{where} waivers[{number}]"
    if not isinstance(item, dict):
        raise PolicyError(
            subject, None, "a waiver is a table: rule, purl, reason, approver, expires"
        )
    missing = WAIVER_KEYS - set(item)
    extra = set(item) - WAIVER_KEYS
    if missing or extra:
        what = (
            f"missing {', '.join(sorted(missing))}"
            if missing
            else f"unknown {', '.join(sorted(extra))}"
        )
        raise PolicyError(
            subject, None, f"waiver: {what} (needs rule, purl, reason, approver, expires)"
        )
    expires = item["expires"]
    if isinstance(expires, str):
        try:
            expires = date.fromisoformat(expires)
        except ValueError:
            raise PolicyError(
                subject, None, f"expires: {expires!r} is not a YYYY-MM-DD date"
            ) from None
    if not isinstance(expires, date) or hasattr(expires, "hour"):
        raise PolicyError(subject, None, "expires: a date such as 2026-12-31")
    for key in ("rule", "purl", "reason", "approver"):
        if not isinstance(item[key], str) or not item[key].strip():
            raise PolicyError(subject, None, f"{key}: must be non-empty text")
    return Waiver(item["rule"], item["purl"], item["reason"], item["approver"], expires, subject)
