"""The origin the collected files alone support."""

from __future__ import annotations

from auditor.model import Claim, Component, ComponentKind, Evidence, OriginStatus, Strength
from auditor.resolvers.local import local_origin


def _component(*evidence: tuple[str, str]) -> Component:
    return Component(
        "pkg:pypi/x@1",
        ComponentKind.LIBRARY,
        "x",
        "1",
        evidence=tuple(
            Evidence("metadata", f, v, "METADATA", Strength.DECLARED) for f, v in evidence
        ),
    )


def test_declared_repository_is_declared_strength() -> None:
    origin = local_origin(
        _component(("Project-URL.Source", "https://github.com/Org/X.git"), ("Author", "Someone")),
        OriginStatus.SKIPPED,
        "--no-resolve",
    )
    assert origin.repository == Claim("https://github.com/org/x", Strength.DECLARED)
    assert origin.status is OriginStatus.SKIPPED and origin.reason == "--no-resolve"
    assert origin.publisher is None and origin.organisation is None and origin.country is None
    assert len(origin.evidence) == 2


def test_disagreeing_claims_are_a_conflict_not_a_guess() -> None:
    origin = local_origin(
        _component(
            ("Project-URL.Source", "https://github.com/a/x"),
            ("Home-page", "https://gitlab.com/b/x"),
            ("Project-URL.Documentation", "https://github.com/c/docs"),
        ),
        OriginStatus.SKIPPED,
        None,
    )
    assert origin.repository == Claim("https://github.com/a/x", Strength.DECLARED)
    assert origin.conflicts == (
        "declared repositories disagree: https://github.com/a/x, https://gitlab.com/b/x",
    )


def test_non_repository_urls_claim_nothing() -> None:
    origin = local_origin(
        _component(("Home-page", "https://example.invalid/project")), OriginStatus.SKIPPED, None
    )
    assert origin.repository is None and origin.conflicts == ()
