"""Endpoint hosts in tests come from rules/data/ai-services.yaml, never written here.

The corpus and the tests write `{host:<provider>}` (the provider's first `hosts` entry) or
`{host:<provider>:<part>}` (its one host containing `<part>`, e.g. `{host:dashscope:intl}`);
`filled` puts in the host, read through the project's own loader (`catalogue()`). A glob host
(a `*.` pattern, as Azure OpenAI's) becomes the provider's `default_host` when that matches
it, else its `*` becomes `example`. Line numbers do not move: a placeholder never spans lines."""

from __future__ import annotations

import fnmatch
import re

from auditor.services.catalogue import catalogue

_PLACEHOLDER = re.compile(r"\{host:([a-z0-9-]+)(?::([^{}\s:]+))?\}")


def host(provider: str, part: str | None = None) -> str:
    """The endpoint host the data file lists for `provider` (see the module docstring)."""
    found = catalogue().by_id(provider)
    if found is None:
        raise KeyError(f"no provider {provider!r} in rules/data/ai-services.yaml")
    hosts = [h for h in found.hosts if part is None or part in h]
    if not hosts or (part is not None and len(hosts) != 1):
        raise KeyError(f"{provider!r} has not exactly one host containing {part!r}: {hosts}")
    chosen = hosts[0]
    if "*" in chosen:
        default = found.default_host
        chosen = default if default and fnmatch.fnmatchcase(default, chosen) else chosen
        chosen = chosen.replace("*", "example")
    return chosen


def filled(text: str) -> str:
    """`text` with every `{host:…}` placeholder replaced by its host."""
    return _PLACEHOLDER.sub(lambda m: host(m.group(1), m.group(2)), text)
