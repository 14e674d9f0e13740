"""Rule packs: YAML files of data-driven rules and of overrides for the built-in rules.

A pack file is a mapping: `pack` (name), `description`, `rules` (a list). Each entry is
either a rule (`id`, `title`, `severity`, `action`, `applies_to`, `when`, `message`,
`remediation`, `references`, `report_only_unless`) or an override of code-emitted rules
(`builtin: ID-or-glob` with any of `severity`, `action`, `title`, `remediation`,
`references`). Every problem is reported with its file and line; `load_pack` collects them
all so `auditor rules validate` can list every mistake at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from auditor.model import Action, ComponentKind, Severity
from auditor.policy import Predicate
from auditor.policy.conditions import parse_condition
from auditor.policy.facts import FACTS
from auditor.policy.subject import Subject
from auditor.policy.yamlnodes import PolicyError, Y, load_shipped_yaml, load_yaml

RULE_ID = re.compile(r"[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+")
ID_GLOB = re.compile(r"[a-z0-9*?][a-z0-9.*?-]*")
PLACEHOLDER = re.compile(r"\{([a-z_.]+)\}")
RULE_KEYS = {
    "id", "title", "severity", "action", "applies_to", "when", "message", "remediation",
    "references", "report_only_unless",
}  # fmt: skip
OVERRIDE_KEYS = {"builtin", "severity", "action", "title", "remediation", "references"}


@dataclass(frozen=True, slots=True)
class Rule:
    """A data-driven rule, parsed and checked."""

    id: str
    title: str
    severity: Severity
    action: Action
    when: Predicate
    message: str
    remediation: str = ""
    references: tuple[str, ...] = ()
    kinds: frozenset[str] = frozenset()
    """Component kinds it applies to; empty: all."""
    ecosystems: frozenset[str] = frozenset()
    """purl types it applies to; empty: all."""
    report_only_unless: tuple[str, ...] = ()
    """Names of lists: while all are empty the rule only reports (`vetted_publishers` …)."""
    where: str = ""
    """`file:line` of its definition."""
    parts: tuple[str, ...] = ()
    """The message split at its placeholders (odd items are fact names), split once."""

    def applies(self, kind: str, ecosystem: str) -> bool:
        """The `applies_to` filter."""
        return (not self.kinds or kind in self.kinds) and (
            not self.ecosystems or ecosystem in self.ecosystems
        )

    def render(self, subject: Subject) -> str:
        """The message with `{fact.name}` placeholders filled (unknown values: `unknown`)."""
        parts = self.parts or tuple(PLACEHOLDER.split(self.message))
        if len(parts) == 1:
            return self.message
        out = []
        for i, part in enumerate(parts):
            if i % 2 == 0:
                out.append(part)
                continue
            value = FACTS[part](subject)
            if isinstance(value, tuple):
                out.append(", ".join(str(v) for v in value) or "none")
            else:
                out.append("unknown" if value is None else str(value))
        return "".join(out)


@dataclass(frozen=True, slots=True)
class Override:
    """New defaults for built-in (code-emitted) rules whose id matches `pattern`."""

    pattern: str
    severity: Severity | None = None
    action: Action | None = None
    title: str | None = None
    remediation: str | None = None
    references: tuple[str, ...] = ()
    where: str = ""


@dataclass(frozen=True, slots=True)
class Pack:
    """One rule file, loaded."""

    name: str
    file: str
    description: str
    rules: tuple[Rule, ...]
    overrides: tuple[Override, ...]


def read_pack(path: Path, shipped: bool = False) -> tuple[Pack | None, list[PolicyError]]:
    """The pack in `path` and every problem found (a pack is returned only without any);
    `shipped`: one of the tool's own packs (its parse is cached, `load_shipped_yaml`)."""
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [PolicyError(label, None, f"cannot read: {exc}")]
    return parse_pack(text, label, path.stem, shipped)


def parse_pack(
    text: str, file: str, default_name: str, shipped: bool = False
) -> tuple[Pack | None, list[PolicyError]]:
    """Parse a pack's text; (pack or None, problems)."""
    errors: list[PolicyError] = []
    try:
        doc = load_shipped_yaml(text, file) if shipped else load_yaml(text, file)
    except PolicyError as exc:
        return None, [exc]
    if doc is None or not isinstance(doc.value, dict):
        return None, [
            PolicyError(
                file, doc.line if doc else 1, "a rule pack is a mapping with a `rules` list"
            )
        ]
    extra = set(doc.value) - {"pack", "description", "rules"}
    errors.extend(
        doc.value[k].error(f"unexpected key {k!r} (allowed: pack, description, rules)")
        for k in sorted(extra)
    )
    entries = doc.value.get("rules")
    if entries is None or not isinstance(entries.value, list):
        errors.append((entries or doc).error("`rules` must be a list"))
        return None, errors
    rules: list[Rule] = []
    overrides: list[Override] = []
    seen: dict[str, str] = {}
    for entry in entries.value:
        try:
            if isinstance(entry.value, dict) and "builtin" in entry.value:
                overrides.append(parse_override(entry))
                continue
            found = parse_rule(entry)
        except PolicyError as exc:
            # The first problem first, then the others parse_rule stopped before.
            errors.extend({e.message: e for e in (exc, *_rule_problems(entry))}.values())
            continue
        if found.id in seen:
            errors.append(
                entry.error(f"rule {found.id} is defined twice (first at {seen[found.id]})")
            )
        seen[found.id] = found.where
        rules.append(found)
    name = _text(doc.value["pack"], "pack") if "pack" in doc.value else default_name
    description = (
        _text(doc.value["description"], "description") if "description" in doc.value else ""
    )
    if errors:
        return None, errors
    return Pack(name, file, description, tuple(rules), tuple(overrides)), []


def _rule_problems(entry: Y) -> list[PolicyError]:
    """Problems of a rule entry that parse_rule refused at its first: each field checked on
    its own, so `rules validate` names them all in one run."""
    if not isinstance(entry.value, dict):
        return []
    fields = entry.value
    problems = [
        value.error(f"unexpected key {key!r} (allowed: {', '.join(sorted(RULE_KEYS))})")
        for key, value in fields.items()
        if key not in RULE_KEYS
    ]
    if missing := _missing(fields):
        problems.append(entry.error(missing))
    rule_id = fields.get("id")
    if rule_id is not None and not RULE_ID.fullmatch(str(rule_id.value)):
        shape = "lower-case words joined by dots, like origin.unknown"
        problems.append(rule_id.error(f"id {rule_id.value!r}: {shape}"))
    checks: list[Callable[[], object]] = [
        lambda: _text(fields["title"], "title"),
        lambda: _choice(fields["severity"], "severity", Severity),
        lambda: _choice(fields["action"], "action", Action),
        lambda: parse_condition(fields["when"]),
    ]
    keys = ("title", "severity", "action", "when")
    for key, check in zip(keys, checks, strict=True):
        if key in fields:
            try:
                check()
            except PolicyError as exc:
                problems.append(exc)
    return problems


REQUIRED = ("id", "title", "severity", "action", "when", "message")


def _missing(fields: dict[str, Y]) -> str | None:
    """ "rule x without `title`, `when`", naming every required key that is missing."""
    missing = [k for k in REQUIRED if k not in fields]
    if not missing:
        return None
    named = f"rule {fields['id'].value}" if "id" in fields else "rule"
    return f"{named} without {', '.join(f'`{k}`' for k in missing)}"


def _text(node: Y, key: str) -> str:
    if not isinstance(node.value, str) or not node.value.strip():
        raise node.error(f"{key}: must be non-empty text")
    return node.value


def _texts(node: Y, key: str) -> tuple[str, ...]:
    if not isinstance(node.value, list) or not all(isinstance(i.value, str) for i in node.value):
        raise node.error(f"{key}: must be a list of text")
    return tuple(str(i.value) for i in node.value)


def _choice(node: Y, key: str, enum: type[Severity] | type[Action]) -> Severity | Action:
    allowed = [e.value for e in enum]
    if node.value not in allowed:
        raise node.error(f"{key}: {node.value!r} is not one of {', '.join(allowed)}")
    return enum(node.value)


def parse_rule(entry: Y) -> Rule:
    """One rule entry; PolicyError at the first problem."""
    if not isinstance(entry.value, dict):
        raise entry.error("a rule is a mapping (id, title, severity, action, when, message …)")
    fields = entry.value
    for key, value in fields.items():
        if key not in RULE_KEYS:
            raise value.error(f"unexpected key {key!r} (allowed: {', '.join(sorted(RULE_KEYS))})")
    if "id" not in fields:
        raise entry.error(str(_missing(fields)))
    rule_id = _text(fields["id"], "id")
    if not RULE_ID.fullmatch(rule_id):
        raise fields["id"].error(
            f"id {rule_id!r}: lower-case words joined by dots, like origin.unknown"
        )
    from auditor.policy.builtin import builtin_rules

    if any(b.id == rule_id for b in builtin_rules()):
        raise fields["id"].error(
            f"id {rule_id} is a built-in rule: override it with `builtin: {rule_id}`"
        )
    if missing := _missing(fields):
        raise entry.error(missing)
    message = _text(fields["message"], "message")
    for name in PLACEHOLDER.findall(message):
        if name not in FACTS:
            raise fields["message"].error(f"message: unknown fact {{{name}}}")
    kinds: frozenset[str] = frozenset()
    ecosystems: frozenset[str] = frozenset()
    if "applies_to" in fields:
        applies = fields["applies_to"]
        if not isinstance(applies.value, dict):
            raise applies.error("applies_to: a mapping with `kinds` and/or `ecosystems`")
        for key, value in applies.value.items():
            if key == "kinds":
                kinds = frozenset(_texts(value, "kinds"))
                bad = kinds - {k.value for k in ComponentKind}
                if bad:
                    raise value.error(f"kinds: unknown {', '.join(sorted(bad))}")
            elif key == "ecosystems":
                ecosystems = frozenset(_texts(value, "ecosystems"))
            else:
                raise value.error(f"applies_to: unexpected key {key!r} (kinds, ecosystems)")
    return Rule(
        id=rule_id,
        title=_text(fields["title"], "title"),
        severity=Severity(_choice(fields["severity"], "severity", Severity)),
        action=Action(_choice(fields["action"], "action", Action)),
        when=parse_condition(fields["when"]),
        message=message,
        remediation=_text(fields["remediation"], "remediation") if "remediation" in fields else "",
        references=_texts(fields["references"], "references") if "references" in fields else (),
        kinds=kinds,
        ecosystems=ecosystems,
        report_only_unless=(
            _texts(fields["report_only_unless"], "report_only_unless")
            if "report_only_unless" in fields
            else ()
        ),
        where=entry.where,
        parts=tuple(PLACEHOLDER.split(message)),
    )


def parse_override(entry: Y) -> Override:
    """One `builtin:` entry."""
    assert isinstance(entry.value, dict)
    fields = entry.value
    for key, value in fields.items():
        if key not in OVERRIDE_KEYS:
            raise value.error(
                f"unexpected key {key!r} in a builtin override "
                f"(allowed: {', '.join(sorted(OVERRIDE_KEYS))})"
            )
    pattern = _text(fields["builtin"], "builtin")
    if not ID_GLOB.fullmatch(pattern):
        raise fields["builtin"].error(f"builtin: {pattern!r} is not a rule id or id glob")
    return Override(
        pattern=pattern,
        severity=Severity(_choice(fields["severity"], "severity", Severity))
        if "severity" in fields
        else None,
        action=Action(_choice(fields["action"], "action", Action)) if "action" in fields else None,
        title=_text(fields["title"], "title") if "title" in fields else None,
        remediation=_text(fields["remediation"], "remediation")
        if "remediation" in fields
        else None,
        references=_texts(fields["references"], "references") if "references" in fields else (),
        where=entry.where,
    )


def walk(predicate: Predicate) -> list[Predicate]:
    """The predicate and everything nested in it."""
    out = [predicate]
    for child in predicate.children():
        out.extend(walk(child))
    return out
