"""Attribution: organisation and country from the strongest evidence naming a known account."""

from __future__ import annotations

from dataclasses import replace

from auditor.attribution import attribute
from auditor.model import (
    Claim,
    Component,
    ComponentKind,
    Evidence,
    Origin,
    OriginStatus,
    Strength,
)
from auditor.resolvers.local import local_origin
from auditor.resolvers.publishers import KnowledgeBase, parse

KB_TEXT = """organisations:
  - id: north
    name: North Ltd
    country: GB
    source: https://north.example/about
    checked: 2026-01-01
    accounts: {github: [north], pypi-org: [north-org], email: [north.example]}
  - id: south
    name: South SA
    country: FR
    source: https://south.example/about
    checked: 2026-01-01
    accounts: {github: [south], pypi: [south-admin], npm: ["@south"], huggingface: [SouthAI]}
  - id: rumour
    name: Rumour GmbH
    country: DE
    source: https://rumour.example
    checked: 2026-01-01
    verified: false
    accounts: {github: [rumour]}
"""


def kb() -> KnowledgeBase:
    found, problems = parse(KB_TEXT)
    assert problems == ()
    return found


def ev(field: str, value: str, strength: Strength = Strength.DECLARED) -> Evidence:
    return Evidence("pypi", field, value, "pypi:/pypi/x/1.0/json", strength)


def component(purl: str = "pkg:pypi/x@1.0", *evidence: Evidence) -> Component:
    return Component(purl, ComponentKind.LIBRARY, "x", "1.0", evidence=evidence)


def origin_of(c: Component, publisher: Claim | None = None) -> Origin:
    return replace(local_origin(c, OriginStatus.RESOLVED, None), publisher=publisher)


def test_attested_owner_beats_registry_which_beats_declared() -> None:
    c = component(
        "pkg:pypi/x@1.0",
        ev("info.project_urls.Source", "https://github.com/north/x"),
        ev("ownership.organization", "north-org", Strength.REGISTRY),
        Evidence("attestation", "attestation.certificate.source_repository_owner_uri",
                 "https://github.com/south", "pypi:/integrity/x", Strength.ATTESTED),
    )  # fmt: skip
    result = attribute(c, origin_of(c, Claim("north-org", Strength.REGISTRY)), kb())
    assert result.organisation == Claim("South SA", Strength.ATTESTED)
    assert result.country == Claim("FR", Strength.ATTESTED)
    # Every step is kept, the weaker matches too.
    steps = [e for e in result.evidence if e.source == "knowledge-base"]
    assert any("github:south via attestation" in e.field for e in steps)
    assert any("pypi-org:north-org via ownership.organization" in e.field for e in steps)
    assert {e.where for e in steps} == {
        "https://south.example/about",
        "https://north.example/about",
    }


def test_registry_ownership_beats_declared_repository() -> None:
    c = component(
        "pkg:pypi/x@1.0",
        ev("info.project_urls.Source", "https://github.com/north/x"),
        ev("ownership.roles.Owner", "south-admin", Strength.REGISTRY),
    )
    result = attribute(c, origin_of(c, Claim("south-admin", Strength.REGISTRY)), kb())
    assert result.organisation == Claim("South SA", Strength.REGISTRY)


def test_declared_repository_owner_and_email_domain() -> None:
    c = component("pkg:pypi/x@1.0", ev("Project-URL.Source", "git+https://github.com/North/x.git"))
    assert attribute(c, origin_of(c), kb()).organisation == Claim("North Ltd", Strength.DECLARED)
    # An e-mail domain alone never names the organisation (a maintainer's employer) …
    c = component("pkg:pypi/x@1.0", ev("Author-email", '"Dev" <dev@lab.north.example>'))
    assert attribute(c, origin_of(c), kb()).organisation is None
    # … it corroborates one the licence names, as an inference.
    licensed = replace(c, license="Copyright (c) 2024 North Ltd. All rights reserved.")
    assert attribute(licensed, origin_of(licensed), kb()).country == Claim("GB", Strength.INFERRED)
    # The licence alone does not either.
    bare = replace(licensed, evidence=())
    assert attribute(bare, origin_of(bare), kb()).organisation is None


def test_unverified_entries_only_infer() -> None:
    c = component("pkg:pypi/x@1.0", ev("info.project_urls.Source", "https://github.com/rumour/x"))
    result = attribute(c, origin_of(c), kb())
    assert result.organisation == Claim("Rumour GmbH", Strength.INFERRED)
    assert result.country == Claim("DE", Strength.INFERRED)


def test_individuals_get_no_country() -> None:
    c = component(
        "pkg:pypi/x@1.0",
        ev("info.project_urls.Source", "https://github.com/some-person/x"),
        ev("info.author_email", "Some Person <someone@gmail.com>"),
        ev("ownership.roles.Owner", "someperson", Strength.REGISTRY),
    )
    result = attribute(c, origin_of(c, Claim("someperson", Strength.REGISTRY)), kb())
    assert result.organisation is None and result.country is None
    assert result == origin_of(c, Claim("someperson", Strength.REGISTRY))


def test_other_ecosystems_use_their_namespace_and_publisher() -> None:
    npm = Component("pkg:npm/%40south/tool@1.0.0", ComponentKind.LIBRARY, "tool", "1.0.0")
    assert attribute(npm, origin_of(npm), kb()).organisation == Claim("South SA", Strength.REGISTRY)
    model = Component("pkg:huggingface/SouthAI/model@abc", ComponentKind.MODEL, "model", "abc")
    assert attribute(model, origin_of(model), kb()).country == Claim("FR", Strength.REGISTRY)
    # A scope or namespace nobody listed says nothing.
    other = Component("pkg:npm/%40elsewhere/tool@1.0.0", ComponentKind.LIBRARY, "tool", "1.0.0")
    assert attribute(other, origin_of(other), kb()).organisation is None


def test_idempotent_and_keeps_a_stronger_existing_claim() -> None:
    c = component("pkg:pypi/x@1.0", ev("info.project_urls.Source", "https://github.com/north/x"))
    once = attribute(c, origin_of(c), kb())
    assert attribute(c, once, kb()) == once
    stronger = replace(origin_of(c), organisation=Claim("Elsewhere Inc", Strength.ATTESTED),
                       country=Claim("US", Strength.ATTESTED))  # fmt: skip
    kept = attribute(c, stronger, kb())
    assert (kept.organisation, kept.country) == (stronger.organisation, stronger.country)


def test_hosting_for_anyone_under_an_organisation_domain_says_nothing() -> None:
    extended = KB_TEXT.replace(
        "email: [north.example]", "email: [north.example], web: [google.com]"
    )
    found, problems = parse(extended)
    assert problems == ()
    for url in ("https://code.google.com/p/someones-project/", "https://x.appspot.com/"):
        c = component("pkg:pypi/x@1.0", ev("Home-page", url))
        assert attribute(c, origin_of(c), found).organisation is None, url
    c = component("pkg:pypi/x@1.0", ev("Home-page", "https://developers.google.com/x"))
    assert attribute(c, origin_of(c), found).organisation == Claim("North Ltd", Strength.DECLARED)


def test_an_unverified_attestation_does_not_weaken_the_declared_repository() -> None:
    c = component(
        "pkg:pypi/x@1.0",
        Evidence("attestation", "attestation.publisher.repository_url",
                 "https://github.com/north/x", "pypi:/integrity/x", Strength.INFERRED),
        ev("info.project_urls.Source", "https://github.com/north/x"),
    )  # fmt: skip
    result = attribute(c, origin_of(c), kb())
    assert result.organisation == Claim("North Ltd", Strength.DECLARED)
    steps = {(e.field, e.strength) for e in result.evidence if e.source == "knowledge-base"}
    assert ("country[north]", Strength.DECLARED) in steps


def test_people_publishing_in_their_own_name_are_individual_maintainers() -> None:
    from auditor.attribution import attribute_with_findings
    from auditor.model import PublisherKind

    c = component(
        "pkg:pypi/x@1.0",
        ev("info.project_urls.Source", "https://github.com/alice/x"),
        ev("ownership.roles.Owner", "alice", Strength.REGISTRY),
        ev("ownership.roles.Maintainer", "bob", Strength.REGISTRY),
    )
    result, found = attribute_with_findings(
        c, origin_of(c, Claim("alice", Strength.REGISTRY)), kb()
    )
    assert result.publisher_kind is PublisherKind.INDIVIDUAL
    assert result.organisation is None and result.country is None
    assert ("publisher_kind", "individual: alice, bob") in {
        (e.field, e.value) for e in result.evidence
    }
    assert found == ()
    # A repository owned by an account the registry does not name: unknown, not a guess.
    other = replace(c, evidence=(ev("info.project_urls.Source", "https://github.com/org9/x"),
                                 *c.evidence[1:]))  # fmt: skip
    assert attribute(other, origin_of(other), kb()).publisher_kind is None
    # The source host says the owner is an organisation: an organisation publishes it.
    typed = replace(other, evidence=(*other.evidence, ev("owner.type", "Organization")))
    assert attribute(typed, origin_of(typed), kb()).publisher_kind is PublisherKind.ORGANISATION


def test_an_employer_address_loses_to_the_registry_owners_and_is_recorded() -> None:
    from auditor.attribution import attribute_with_findings

    c = component(
        "pkg:pypi/x@1.0",
        ev("info.project_urls.Source", "https://github.com/alice/x"),
        ev("info.author_email", "Alice <alice@north.example>"),
        ev("ownership.roles.Owner", "alice", Strength.REGISTRY),
    )
    result, found = attribute_with_findings(c, origin_of(c), kb())
    assert result.organisation is None
    [finding] = found
    assert finding.rule == "origin.inherited-metadata"
    assert finding.severity.value == "info" and finding.action.value == "report"
    assert "info.author_email names North Ltd" in finding.message
    # Where the registry names the organisation, the same address corroborates, silently.
    owned = replace(c, evidence=(*c.evidence, ev("ownership.organization", "north-org",
                                                 Strength.REGISTRY)))  # fmt: skip
    result, found = attribute_with_findings(owned, origin_of(owned), kb())
    assert result.organisation == Claim("North Ltd", Strength.REGISTRY) and found == ()
