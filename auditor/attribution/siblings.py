"""A package known only by its PyPI owner, linked to a sibling package of the same project.

A project's satellite packages (`llama-index-llms-openai` beside `llama-index`) are often
published from one maintainer's PyPI account with no project URLs of their own, so the
only evidence left is that account, a person's: the package would be answered "individual
maintainers" although the same account publishes the project's main package, whose own
repository names its organisation. This pass runs once every origin of the scan is
attributed, and links such a package to its sibling when all of these hold:

- the package has no organisation, no repository and no home page of its own (nothing of its
  own names anyone: the sibling can then not contradict it);
- the sibling is in the same scan, is a PyPI package whose organisation is known, and shares
  one of the package's PyPI owner accounts;
- the two names are one project family: the package's normalised name extends the sibling's
  (`<sibling>-…`), or they share at least their first two name segments
  (`llama-index-llms-openai` beside `llama-index-core`);
- every such sibling names the same organisation (else nothing is claimed).

The claim is `inferred`, with the sibling named in the evidence; a person still never gets a
country of their own: the country is the sibling organisation's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from auditor.model import (
    PARENT_FIELD,
    Claim,
    Component,
    Evidence,
    Origin,
    PublisherKind,
    Strength,
)

SOURCE = "attribution"
FIELD = "sibling-package"
_OWNER = "ownership.roles."
# what a package says of itself that could name someone else: any link of its own (the
# installed METADATA's fields, the index's `info`) or an index organisation account
_OWN_LINKS = (
    "Project-URL",
    "Home-page",
    "Download-URL",
    "info.home_page",
    "info.project_urls",
    "info.download_url",
    "ownership.organization",
)


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _family(name: str, sibling: str) -> int:
    """How many leading name segments make `name` one family with `sibling` (0: none)."""
    mine, theirs = name.split("-"), sibling.split("-")
    common = 0
    for a, b in zip(mine, theirs, strict=False):
        if a != b:
            break
        common += 1
    extends = common == len(theirs) and len(mine) > len(theirs)
    return common if extends or (common >= 2 and len(mine) > common) else 0


def _owners(origin: Origin) -> frozenset[str]:
    return frozenset(e.value.lower() for e in origin.evidence if e.field.startswith(_OWNER))


def _alone(origin: Origin) -> bool:
    """Nothing of the package's own names a repository, a home page or an organisation."""
    return (
        origin.organisation is None
        and origin.repository is None
        and origin.publisher_kind is not PublisherKind.SELF_HOSTED
        and not any(e.field.startswith(_OWN_LINKS) for e in origin.evidence)
    )


def link_siblings(components: Sequence[Component], origins: Sequence[Origin]) -> list[Origin]:
    """`origins` (in component order), with packages known only by a PyPI owner account that
    also owns a sibling of the same project family given that sibling's organisation."""
    known: list[tuple[str, frozenset[str], Component, Origin]] = [
        (_normalised(c.name), _owners(o), c, o)
        for c, o in zip(components, origins, strict=True)
        if c.purl.startswith("pkg:pypi/") and o.organisation is not None and _owners(o)
    ]
    if not known:
        return list(origins)
    linked = []
    for component, origin in zip(components, origins, strict=True):
        owners = _owners(origin)
        if not component.purl.startswith("pkg:pypi/") or not owners or not _alone(origin):
            linked.append(origin)
            continue
        name = _normalised(component.name)
        family = [
            (closeness, sibling, found, owners & their)
            for stem, their, sibling, found in known
            if owners & their and (closeness := _family(name, stem))
        ]
        organisations = {f.organisation.value for _, _, f, _ in family if f.organisation}
        if len(organisations) != 1:
            linked.append(origin)
            continue
        _, sibling, found, shared = max(family, key=lambda f: f[0])
        linked.append(_linked(origin, sibling, found, sorted(shared)[0]))
    return linked


def _linked(origin: Origin, sibling: Component, found: Origin, account: str) -> Origin:
    from dataclasses import replace

    assert found.organisation is not None
    organisation = found.organisation.value
    note = Evidence(
        SOURCE,
        FIELD,
        f"{sibling.name}: the same PyPI owner account ({account}) publishes it, and its "
        f"organisation is {organisation}",
        sibling.purl,
        Strength.INFERRED,
    )
    parents = tuple(e for e in found.evidence if e.field.startswith(PARENT_FIELD))
    country = found.country.value if found.country else None
    return replace(
        origin,
        organisation=Claim(organisation, Strength.INFERRED),
        country=Claim(country, Strength.INFERRED) if country else None,
        publisher_kind=PublisherKind.ORGANISATION,
        evidence=(*origin.evidence, note, *parents),
    )
