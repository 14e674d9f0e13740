"""Judging one model reference offline: what `auditor check-models` (the pre-commit hook)
needs from the policy, without a scan, a graph, a store or the network."""

from __future__ import annotations

from datetime import date

from auditor.model import Component, Finding, Origin, Scan, ScanStatus
from auditor.policy.engine import Policy, evaluate
from auditor.policy.subject import Context
from auditor.policy.vetting import is_vetted


def vetted(component: Component, policy: Policy, origin: Origin | None = None) -> bool:
    """On `vetted_models`, or its publisher (the purl's namespace when no origin is known)
    and every lineage root on `vetted_publishers`."""
    names = Context(policy.names, date.today())
    return is_vetted(
        component, origin, names.text_set("vetted_publishers"), names.text_set("vetted_models")
    )


def check_model(
    component: Component,
    policy: Policy,
    origin: Origin | None = None,
    today: date | None = None,
) -> tuple[Finding, ...]:
    """Every finding the policy makes on this one component (model.unvetted,
    licence.restrictive …), with waivers applied and expired waivers reported;
    `Finding.action` says whether it blocks. Vetting is required: with no vetted_publishers
    or vetted_models configured, no model is vetted (a hook that passes everything protects
    nothing)."""
    single = Scan(
        id="check",
        started_at="",
        finished_at="",
        status=ScanStatus.COMPLETE,
        tool_version="",
        targets=(),
        components=(component,),
        origins=(origin,) if origin is not None else (),
    )
    return evaluate(single, policy, None, today, vetting_required=True).findings
