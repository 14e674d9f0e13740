"""Is a model vetted? The one judgement `model.unvetted` and `auditor check-models` share.

A model is vetted when `vetted_models` names it (a glob over `namespace/name` or the
versionless purl), or when its own publisher or organisation is on `vetted_publishers` and
so is every lineage root's (by organisation or Hub namespace). Lists hold case-folded text.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Set

from auditor.model import Component, Origin
from auditor.policy.subject import versionless


def _repo_id(purl: str) -> str:
    """`pkg:huggingface/Qwen/Qwen2.5-7B@abc` -> `qwen/qwen2.5-7b`."""
    return versionless(purl)[4:].partition("/")[2].casefold()


def _namespace(purl: str) -> str:
    return _repo_id(purl).rpartition("/")[0]


def model_listed(purl: str, vetted_models: Set[str]) -> bool:
    """`purl` matches one of the `vetted_models` globs."""
    names = (_repo_id(purl), versionless(purl).casefold())
    return any(fnmatch.fnmatchcase(n, pattern) for pattern in vetted_models for n in names)


def is_vetted(
    component: Component,
    origin: Origin | None,
    vetted_publishers: Set[str],
    vetted_models: Set[str],
) -> bool:
    """The rule above; an empty pair of lists vets nothing."""
    if model_listed(component.purl, vetted_models):
        return True
    own = {_namespace(component.purl)}
    if origin is not None:
        own |= {c.value.casefold() for c in (origin.publisher, origin.organisation) if c}
    if not own & vetted_publishers:
        return False
    for root in origin.roots if origin is not None else ():
        names = {_namespace(root.purl)} | (
            {root.organisation.casefold()} if root.organisation else set()
        )
        if not (names & vetted_publishers or model_listed(root.purl, vetted_models)):
            return False
    return True
