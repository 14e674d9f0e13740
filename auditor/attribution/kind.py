"""Whether an origin's publisher is an organisation or individual maintainers (issue 24).

`organisation` when attribution named one, or when the registry says an organisation account
publishes it (a PyPI organisation the knowledge base does not know yet), or the own
repository's host says an `Organization` account owns it. `individual` when the registry's
owners are people — PyPI roles without a PyPI organisation, npm maintainers of an unscoped
package or of a scope named after one of them — and the package's own repository is a person's: the
source host says the owner is a `User`, or (without a source-host answer) the repository
owner is one of those registry accounts, or there is no own repository to say otherwise.
Anything else (an organisation account the knowledge base does not know, a scope that may
be a company's) stays unknown: "unknown" beats a guess.
"""

from __future__ import annotations

from auditor.attribution.candidates import purl_namespace, repository_owner
from auditor.model import Component, Origin, PublisherKind

_PEOPLE_FIELDS = ("ownership.roles.", "_npmUser.name", "maintainers.name")
_OWNER_TYPE_FIELDS = ("profile.type", "owner.type")


def publisher_kind(
    component: Component, origin: Origin, hinted: bool = False
) -> tuple[PublisherKind | None, tuple[str, ...]]:
    """The kind, and for individuals the registry accounts that publish the package.
    `hinted`: some corroborating field (an author name, an address) names an organisation
    that could not be claimed; then no own repository is not enough to say `individual`."""
    if origin.organisation is not None:
        return PublisherKind.ORGANISATION, ()
    evidence = origin.evidence
    registry_orgs = tuple(e.value for e in evidence if e.field == "ownership.organization")
    if registry_orgs:
        # The registry says an organisation account publishes it; which legal entity that
        # is stays unknown until the knowledge base knows the account.
        return PublisherKind.ORGANISATION, registry_orgs
    types = {e.value for e in evidence if e.field in _OWNER_TYPE_FIELDS}
    if types == {"Organization"}:
        # The own repository's host says an organisation account owns it.
        owners = tuple(dict.fromkeys(e.value for e in evidence if e.field == "owner.login"))
        return PublisherKind.ORGANISATION, owners
    named = (e.value for e in evidence if e.field.startswith(_PEOPLE_FIELDS) and e.value.strip())
    people = tuple(dict.fromkeys(named))
    if not people:
        return None, ()
    known = {p.casefold() for p in people}
    scope = _npm_scope(component.purl)
    if scope is not None and scope.casefold() not in known:
        return None, ()  # an npm scope may be an organisation's
    if origin.repository is None:
        return (None, ()) if hinted else (PublisherKind.INDIVIDUAL, people)
    owner = repository_owner(origin.repository.value)
    if owner is None:
        return PublisherKind.INDIVIDUAL, people  # a repository no code host account owns
    if types == {"User"} or (not types and owner[1].casefold() in known):
        return PublisherKind.INDIVIDUAL, people
    return None, ()


def _npm_scope(purl: str) -> str | None:
    if not purl.startswith("pkg:npm/"):
        return None
    scope = purl_namespace(purl)
    return scope.lstrip("@") if scope else None
