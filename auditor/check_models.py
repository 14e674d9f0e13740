"""`auditor check-models FILES…`: the pre-commit hook's judgement of the models a change names.

Only the named files are read: model references in code, configs and scripts
(`auditor.references`), weight files (`auditor.weights`) and the hosted AI services code
and configuration call (`auditor.services`: judged by `service.unvetted`). Each model is
resolved the way a scan resolves it — offline by default, from the store's registry cache
and imported snapshots, so the hook is fast and works without a network — then judged by
the policy's one-component check (`auditor.policy.check`). A finding whose action is `block` blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from auditor.collectors import CollectContext, Collected
from auditor.collectors.model_files import ModelFilesCollector
from auditor.collectors.model_refs import reference_results
from auditor.errors import Diagnostic
from auditor.escape import terminal_safe
from auditor.graph.trace import SELF, Tracer, chain_text
from auditor.model import (
    Action,
    Component,
    ComponentKind,
    Dependency,
    Finding,
    Origin,
    Scan,
    ScanStatus,
)
from auditor.policy.check import check_model
from auditor.policy.engine import Policy
from auditor.policy.snippets import vetting_toml, waiver_toml
from auditor.references import kind_of, references_in_text
from auditor.services import kind_of as service_kind
from auditor.sources.directory import DirectoryTree, special_kind
from auditor.weights.inspect import is_weight_path

MAX_SOURCE = 4 * 1024 * 1024
"""Source and config files larger than this are data, not code that names models."""


@dataclass(frozen=True, slots=True)
class Blocked:
    """One model a change may not bring in, and why."""

    component: Component
    origin: Origin | None
    finding: Finding


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the hook concluded about the files it was given."""

    components: tuple[Component, ...]
    blocked: tuple[Blocked, ...]
    diagnostics: tuple[Diagnostic, ...]


def models_in(files: Sequence[Path]) -> Collected:
    """Model references and weight files in exactly these files (paths as given)."""
    parts: list[Collected] = []
    for file in files:
        shown = file.as_posix()
        if (what := _special(file)) is not None:
            parts.append(Collected(diagnostics=(Diagnostic(shown, f"{what}; not read"),)))
        elif is_weight_path(shown):
            tree = DirectoryTree(shown, file.parent, only=(file.name,))
            parts.append(ModelFilesCollector().collect(tree, CollectContext()))
        else:
            if kind_of(shown) is not None:
                parts.append(_references(file, shown))
            if service_kind(shown) is not None:
                parts.append(_services(file, shown))
    return Collected.merge(parts)


def _services(file: Path, shown: str) -> Collected:
    """Hosted AI services the file calls (`service` components at file:line)."""
    from auditor.collectors.ai_services import service_component
    from auditor.services import services_in_text

    try:
        if file.stat().st_size > MAX_SOURCE:
            return Collected()
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return Collected(diagnostics=(Diagnostic(shown, f"cannot read: {exc}"),))
    found = services_in_text(shown, text)
    components = tuple(service_component(u, shown, "check-models") for u in found.uses)
    return Collected(components=components, diagnostics=found.diagnostics)


def _special(file: Path) -> str | None:
    """ "a FIFO, not a regular file" (never opened: reading one waits for a writer), or None."""
    try:
        what = special_kind(file.stat().st_mode)
    except OSError:
        return None  # the reader names the problem
    return None if what is None else f"{what}, not a regular file"


def _references(file: Path, shown: str) -> Collected:
    try:
        if file.stat().st_size > MAX_SOURCE:
            return Collected()
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return Collected(diagnostics=(Diagnostic(shown, f"cannot read: {exc}"),))
    found = references_in_text(shown, text)
    components, _ = reference_results(found.references, shown, "check-models")
    return Collected(components=tuple(components), diagnostics=found.diagnostics)


def judge(
    components: Iterable[Component],
    origins: Mapping[str, Origin],
    policy: Policy,
    today: date | None = None,
) -> tuple[Blocked, ...]:
    """Every blocking, unwaived finding the policy makes on each model."""
    return tuple(
        Blocked(component, origins.get(component.purl), f)
        for component in components
        for f in check_model(component, policy, origins.get(component.purl), today)
        if f.action is Action.BLOCK and not f.waived
    )


def explain(
    blocked: Sequence[Blocked],
    policy_file: str | None,
    today: date | None = None,
    vetting_configured: bool = True,
    lineage: Sequence[Dependency] = (),
) -> str:
    """For each blocked model: where, what, whose, which rule, the lineage to its roots (every
    hop), and how to vet or waive it; then the configuration that would vet them all, to
    review before committing it."""
    today = today or date.today()
    where_set = policy_file or "[tool.auditor] in pyproject.toml (or auditor.toml)"
    lines: list[str] = []
    # metadata: one line each
    safe, edges = terminal_safe((tuple(blocked), tuple(lineage)))
    tracer = Tracer(_scan_of(safe, edges))
    for b in safe:
        c, o, f = b.component, b.origin, b.finding
        if c.kind is ComponentKind.SERVICE:
            lines.extend(_explain_service(b, policy_file, today))
            continue
        for loc in c.locations or (None,):
            at = f"{loc.path}:{loc.line}" if loc and loc.line else (loc.path if loc else c.name)
            lines.append(f"{at}: {c.name} blocked by {f.rule} ({f.severity.value})")
        namespace = c.name.rpartition("/")[0]
        publisher = _claim(o, "publisher")
        if publisher == "unknown" and namespace:
            publisher = f"{namespace} (the repo id's namespace)"
        lines.append(f"  publisher: {publisher} · organisation: "
                     f"{_claim(o, 'organisation')} · country: {_claim(o, 'country')}")  # fmt: skip
        for source in tracer.trace(c.purl).sources:
            if source.relation == SELF:
                continue
            support = source.strength.value if source.strength else "no evidence"
            if source.retrieved_at:
                support += f", fetched {source.retrieved_at}"
            lines.append(
                f"  lineage root ({source.relation}): {source.root} · organisation: "
                f"{source.organisation or 'unknown'} · country: {source.country or 'unknown'}"
                f" [{support}]"
            )
            lines.append(f"    via {chain_text(source)}")
        lines.append(f"  why: {f.message}")
        vet = f'"{namespace}" to vetted_publishers, or ' if namespace else ""
        lines.append(f'  to vet: add {vet}"{c.name}" to vetted_models in {where_set}')
        pattern = c.purl.partition("@")[0].partition("?")[0] + "*"
        lines.append(f"  to waive: add to {policy_file or 'pyproject.toml'}:")
        lines.extend(
            f"    {t}" for t in waiver_toml(f.rule, pattern, policy_file, today).split("\n")
        )
    services = sorted({b.component.name for b in safe if b.finding.rule == "service.unvetted"})
    if services:
        names = ", ".join(f'"{n}"' for n in services)
        lines.append(f"to vet these AI services, review who operates each, then add to "
                     f"{where_set}:")  # fmt: skip
        lines.append(f"    vetted_services = [{names}]")
    unvetted = [b.component.name for b in blocked if b.finding.rule == "model.unvetted"]
    if unvetted:
        none = (
            ""
            if vetting_configured
            else " (no vetted_publishers or vetted_models is configured, so no model is vetted yet)"
        )
        lines.append(
            f"to vet them, review each model, then add to {policy_file or 'pyproject.toml'}{none}:"
        )
        lines.extend(f"    {t}" for t in vetting_toml(unvetted, policy_file).split("\n"))
    return "\n".join(lines) + ("\n" if lines else "")


def _explain_service(b: Blocked, policy_file: str | None, today: date) -> list[str]:
    """Where the change calls the service, who operates the endpoint and from where, and how
    to vet or waive it."""
    c, o, f = b.component, b.origin, b.finding
    lines = [
        f"{loc.path}:{loc.line}: calls AI service {c.name} blocked by {f.rule} ({f.severity.value})"
        for loc in c.locations
    ] or [f"{c.name}: AI service blocked by {f.rule} ({f.severity.value})"]
    fields: dict[str, list[str]] = {}
    for e in (*c.evidence, *(o.evidence if o else ())):
        if e.value not in (seen := fields.setdefault(e.field, [])):
            seen.append(e.value)
    lines.append(f"  operator: {_claim(o, 'organisation')} · country: {_claim(o, 'country')}")
    endpoints = ", ".join(fields.get("endpoint", [])) or "the client library's default"
    regions = ", ".join(fields.get("endpoint_region", []))
    lines.append(f"  endpoint: {endpoints}" + (f" (operated in {regions})" if regions else ""))
    if lab := fields.get("model.lab"):
        lines.append(f"  model lab: {lab[0]}")
    lines.append(f"  why: {f.message}")
    provider = fields.get("provider", [c.name])[0]
    where = policy_file or "[tool.auditor] in pyproject.toml (or auditor.toml)"
    lines.append(f'  to vet: add "{provider}" or "{c.name}" to vetted_services in {where}')
    lines.append(f"  to waive: add to {policy_file or 'pyproject.toml'}:")
    pattern = c.purl + "*"
    lines.extend(f"    {t}" for t in waiver_toml(f.rule, pattern, policy_file, today).split("\n"))
    return lines


def _scan_of(blocked: Sequence[Blocked], lineage: Sequence[Dependency]) -> Scan:
    """The hook's components, origins and lineage edges as a scan, for the one trace every
    view uses."""
    components = tuple({b.component.purl: b.component for b in blocked}.values())
    origins = tuple({b.origin.purl: b.origin for b in blocked if b.origin}.values())
    return Scan("check-models", "", "", ScanStatus.COMPLETE, "", (), components, origins,
                tuple(lineage))  # fmt: skip


def _claim(origin: Origin | None, name: str) -> str:
    claim = getattr(origin, name) if origin is not None else None
    return f"{claim.value} ({claim.strength.value})" if claim is not None else "unknown"
