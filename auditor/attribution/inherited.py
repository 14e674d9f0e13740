"""`origin.inherited-metadata`: fields that name another organisation than the package's
own evidence (issue 24). A fork keeps its upstream's `author_email`, repository and labelled
links; a maintainer writes from an employer's address. Such a field never names the
publisher (attribution/candidates.py marks it corroborating only); when the registry's
owners or the own repository say something else, this records that it lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from auditor.attribution.candidates import Candidate
from auditor.model import Component, Finding, Origin, PublisherKind

if TYPE_CHECKING:
    from auditor.resolvers.publishers import Organisation

RULE = "origin.inherited-metadata"


def inherited_findings(
    component: Component, origin: Origin, matches: Sequence[tuple[Organisation, Candidate]]
) -> tuple[Finding, ...]:
    """At most one finding: the fields that named an organisation the answer is not."""
    from auditor.policy.builtin import finding

    if origin.publisher_kind is None:
        return ()  # nothing of the package's own to disagree with
    answer = origin.organisation.value if origin.organisation is not None else None
    lost: dict[str, list[str]] = {}
    for org, candidate in matches:
        if candidate.names or candidate.because == "licence" or org.name == answer:
            continue
        if candidate.platform == "web":
            continue  # a home page's site: shared hosting and project sites, not inheritance
        lost.setdefault(org.name, [])
        if candidate.because not in lost[org.name]:
            lost[org.name].append(candidate.because)
    if not lost:
        return ()
    if origin.publisher_kind is PublisherKind.ORGANISATION:
        kind = next((e.value for e in origin.evidence if e.field == "publisher_kind"), "")
        own = f"its own evidence names {answer or kind.partition(': ')[2] or 'another account'}"
    else:
        accounts = next((e.value for e in origin.evidence if e.field == "publisher_kind"), "")
        own = f"its registry owners and own repository are individual maintainers ({accounts})"
    parts = "; ".join(
        f"{', '.join(fields)} {'names' if len(fields) == 1 else 'name'} {name}"
        for name, fields in lost.items()
    )
    message = (
        f"{component.name}: {parts}, but {own}: inherited or employer metadata, not"
        " taken as the publisher"
    )
    steps = tuple(e for e in origin.evidence if e.source == "knowledge-base"
                  and "corroborating only" in e.field and e.value in lost)  # fmt: skip
    return (finding(RULE, component.purl, message, steps),)
