"""Which organisation each organisation of a scan rolls up to: the top of its `parent`
chain in the knowledge base (`volcengine` → `bytedance`), for `origins --ultimate`.

An origin records its organisation's chain when it is attributed (`Origin.parents`), so a
stored scan rolls up as it was attributed. A lineage root a resolver named only by its
organisation (a base model not in the inventory) carries no chain: its organisation's
legal name (which is what resolvers write) is looked up in the shipped knowledge base.
"""

from __future__ import annotations

from auditor.model import Scan


def ultimate_parents(scan: Scan) -> dict[str, str]:
    """Organisation name → the name of the organisation at the top of its `parent` chain,
    for every organisation of `scan` that belongs to another one (absent: top-level)."""
    from auditor.resolvers.publishers import lineage, load

    tops: dict[str, str] = {}
    named: set[str] = set()
    for origin in scan.origins:
        named.update(r.organisation for r in origin.roots if r.organisation)
        if origin.organisation is None:
            continue
        named.add(origin.organisation.value)
        if parents := origin.parents:
            tops.setdefault(origin.organisation.value, parents[-1].value)
    rest = named - tops.keys()
    if not rest:
        return tops
    kb = load()
    by_key = {o.key: o for o in kb.organisations}
    for org in kb.organisations:
        if org.name in rest and org.parent is not None:
            tops[org.name] = by_key[lineage(kb, org)[-1]].name
    return tops
