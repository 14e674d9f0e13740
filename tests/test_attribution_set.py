"""The labelled set: attribution precision >= 0.99 on claims made, coverage >= 0.9.

Real core metadata of 92 packages, and 48 more labelled before the code first ran on them
(tests/data/attribution, see its README), against the
shipped knowledge base; bench/attribution_bench.py prints the same figures for RESULTS.md.
"""

from __future__ import annotations

import pytest
from packaging.utils import canonicalize_name

from bench.attribution_bench import SETS, components, labels, score


def test_every_labelled_package_has_real_metadata() -> None:
    names = {canonicalize_name(c.name) for c in components()}
    assert names == set(labels())
    assert len(names) >= 60
    # Both kinds are in the set: organisations, and individuals who must get no country.
    assert sum(org is None for org, _ in labels().values()) >= 10
    held_out = {canonicalize_name(c.name) for c in components("held-out")}
    assert held_out == set(labels("held-out")) and not held_out & names


@pytest.mark.parametrize("which", list(SETS))
def test_precision_and_coverage(which: str) -> None:
    result = score(which)
    wrong = [o for o in result.outcomes if o.org and (o.org, o.country) != (o.expected_org,
             o.expected_country)]  # fmt: skip
    assert result.precision >= 0.99, wrong
    assert result.coverage >= 0.9, [o for o in result.outcomes if o.expected_org and not o.org]
    # Individuals and community projects are never given an organisation or a country.
    assert all(o.org is None and o.country is None for o in result.outcomes
               if o.expected_org is None)  # fmt: skip
