"""Hand-built scans for rules whose facts no collector of this version produces yet
(model lineage, attestations, organisation and country claims, pickle findings)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from auditor.model import (
    Claim,
    Component,
    ComponentKind,
    Dependency,
    Evidence,
    Finding,
    Origin,
    OriginStatus,
    Scan,
    ScanStatus,
    Strength,
)
from auditor.policy.engine import Policy, evaluate, load_policy
from auditor.policy.settings import PolicySettings, load_settings

TODAY = date(2026, 11, 28)
SHA = "0123456789abcdef0123456789abcdef01234567"


def component(purl: str, kind: ComponentKind = ComponentKind.LIBRARY, **kw: object) -> Component:
    """A component named after its purl."""
    body = purl.partition("?")[0]
    name_version = body.rpartition("/")[2]
    name, _, version = name_version.partition("@")
    return Component(purl, kind, name, version or None, **kw)  # type: ignore[arg-type]


def claim(value: str, strength: Strength = Strength.REGISTRY) -> Claim:
    return Claim(value, strength)


def origin(purl: str, **kw: object) -> Origin:
    """A resolved origin unless `status` says otherwise."""
    kw.setdefault("status", OriginStatus.RESOLVED)
    return Origin(purl, **kw)  # type: ignore[arg-type]


def scan(
    components: Iterable[Component],
    origins: Iterable[Origin] = (),
    findings: Iterable[Finding] = (),
    dependencies: Iterable[Dependency] = (),
) -> Scan:
    return Scan(
        id="s",
        started_at="2026-11-28T00:00:00Z",
        finished_at="2026-11-28T00:00:01Z",
        status=ScanStatus.COMPLETE,
        tool_version="0",
        targets=(),
        components=tuple(components),
        origins=tuple(origins),
        dependencies=tuple(dependencies),
        findings=tuple(findings),
    )


def policy_from(tmp: Path, toml: str = "") -> Policy:
    """The policy of an auditor.toml with `toml` in it (the default pack included)."""
    path = tmp / "auditor.toml"
    path.write_text(toml, encoding="utf-8")
    return load_policy(load_settings(path, None))


def judge(
    s: Scan, policy: Policy | None = None, previous: Scan | None = None, today: date = TODAY
) -> Scan:
    return evaluate(s, policy or load_policy(PolicySettings()), previous, today)


def rules_on(s: Scan, purl: str) -> set[str]:
    """Rule ids of the findings on `purl`."""
    return {f.rule for f in s.findings if f.purl == purl}


def upload(when: str) -> Evidence:
    return Evidence("pypi", "upload_time", when, "pypi:/pypi/x/json", Strength.REGISTRY)
