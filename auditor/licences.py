"""A component's licence from every source that carries one, as an SPDX expression.

Sources, first found wins: what the collector read from the files (a model card's `license`,
an installed distribution's metadata, a package.json), then the registries' answers: the
Hub's `cardData.license` (`other` → `cardData.license_name`; hub-docs
repositories-licenses.md), PyPI's `info.license_expression` (PEP 639) and its `License ::`
classifiers, npm's `license`. Expressions are validated with the `license-expression`
library against the SPDX list; a Hub licence that is not an SPDX id (`llama3.2`, `qwen`,
`gemma`) becomes `LicenseRef-<id>`, its link kept as evidence (`cardData.license_link`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from typing import Any

from auditor.model import Component, Evidence, Origin

REGISTRY_FIELDS = (
    "cardData.license",
    "info.license_expression",
    "license",
    "info.classifiers.license",
)
"""Evidence fields that carry a licence, in order of preference."""
HUB_OTHER = "other"
CLASSIFIERS = {  # only classifiers that name one SPDX licence without doubt
    "MIT License": "MIT",
    "MIT No Attribution License (MIT-0)": "MIT-0",
    "ISC License (ISCL)": "ISC",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Affero General Public License v3": "AGPL-3.0-only",
    "The Unlicense (Unlicense)": "Unlicense",
    "Python Software Foundation License": "PSF-2.0",
    "Zope Public License": "ZPL-2.1",
    "Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",
}
_NOT_ID = re.compile(r"[^A-Za-z0-9.-]+")


@lru_cache(maxsize=1)
def spdx_licensing() -> Any:
    """The SPDX licence list as a `license_expression.Licensing`, built once per process.

    `get_spdx_licensing()` reads the licence index and builds a new Licensing (and, on its
    first parse, its tokenizer) on every call: ~60 ms each, which made a warm scan of 680
    packages with 30 distinct licence texts spend ~1 s here. Parsing does not change it.
    """
    from license_expression import get_spdx_licensing  # type: ignore[import-untyped]

    return get_spdx_licensing()


@lru_cache(maxsize=4096)
def spdx(text: str) -> str:
    """`text` as a valid SPDX expression, else `LicenseRef-<text as an id>`."""
    from license_expression import ExpressionError, ExpressionParseError

    text = text.strip()
    try:
        parsed = spdx_licensing().parse(text, validate=True, strict=True)
    except (ExpressionError, ExpressionParseError):
        parsed = None
    expression = "" if parsed is None else str(parsed)
    if expression and "LicenseRef-" not in expression:
        return expression
    if text.startswith("LicenseRef-"):
        return text
    return "LicenseRef-" + (_NOT_ID.sub("-", text).strip("-.")[:64] or "unknown")


def from_evidence(evidence: Iterable[Evidence]) -> str | None:
    """The first licence the registries' answers carry, normalised; None when none does."""
    found: dict[str, str] = {}
    for e in evidence:
        value = e.value.strip()
        if e.field in REGISTRY_FIELDS and value and e.field not in found:
            found[e.field] = value
        elif e.field == "cardData.license_name" and value:
            found.setdefault("cardData.license_name", value)
    card = found.get("cardData.license")
    if card is not None and card.casefold() == HUB_OTHER:
        card = found.get("cardData.license_name")
    for text in (card, found.get("info.license_expression"), found.get("license")):
        if text:
            return spdx(text)
    classifier = found.get("info.classifiers.license")
    return CLASSIFIERS.get(classifier) if classifier else None


def with_licence(component: Component, origin: Origin | None) -> Component:
    """`component` with its licence filled from its origin's evidence when the files named
    none, and a Hub model's card licence (`llama3.2`) written as SPDX (`LicenseRef-…`)."""
    if component.license:
        if component.purl.startswith("pkg:huggingface/"):
            return replace(component, license=spdx(component.license))
        return component
    found = from_evidence(origin.evidence if origin else ())
    return replace(component, license=found) if found else component


LINK_FIELDS = frozenset({"cardData.license_link", "license_link"})
"""Evidence fields holding a model card's licence link (the Hub's answer, the cached card)."""


def link_of(component: Component, origin: Origin | None) -> str | None:
    """The web address of a licence that is no SPDX id (`LicenseRef-llama3.2`): the model
    card's `license_link` when it is an http(s) address, else None. SBOMs attach it so a
    reader can find the terms an id alone does not name."""
    if not component.license or not component.license.startswith("LicenseRef-"):
        return None
    evidence = (origin.evidence if origin else ()) + component.evidence
    for e in evidence:
        value = e.value.strip()
        if e.field in LINK_FIELDS and value.startswith(("https://", "http://")):
            return value
    return None
