"""Hosted AI services a target's code and configuration call (auditor/services).

Each use is a `service` component, `pkg:generic/ai-service/<provider>[/<model>]`, located at
its file and line, with the endpoint (credentials and query stripped), the model and what
named it as `declared` evidence. Who operates the endpoint is the ai-service resolver's
answer (rules/data/ai-services.yaml); nothing here sends a request.
"""

from __future__ import annotations

import re
from typing import ClassVar

from auditor import purls
from auditor.collectors import CollectContext, Collected, Collector
from auditor.collectors.model_refs import is_site_packages
from auditor.errors import Diagnostic, ParseError
from auditor.model import Component, ComponentKind, Evidence, Location, Strength
from auditor.references import MAX_FILE
from auditor.services import ServiceUse, is_test_path, kind_of, services_in_text
from auditor.services.catalogue import RUNTIME_ENDPOINT, RUNTIME_ENDPOINT_TEXT
from auditor.sources import Tree

_FOREIGN = re.compile(
    r"(?:^|/)(?:node_modules|site-packages|dist-packages|lib/python[23]\.\d+|\.venv|venv|vendor)/"
)
"""Installed packages' own sources call services the target does not."""
SDK_DEFAULT = "(client library default)"


def _unwritten(use: ServiceUse) -> str:
    """What stands for an endpoint the code does not write out."""
    return RUNTIME_ENDPOINT_TEXT if use.provider == RUNTIME_ENDPOINT else SDK_DEFAULT


def service_component(use: ServiceUse, target: str, found_by: str) -> Component:
    """The component for one use, its evidence at `path:line`."""
    where = f"{use.path}:{use.line}"
    source = "config" if use.via.startswith(("env:", "config:")) else "code"
    evidence = [
        Evidence(source, "provider", use.provider, where, Strength.DECLARED),
        Evidence(source, "endpoint", use.endpoint or _unwritten(use), where, Strength.DECLARED),
        Evidence(source, "via", use.via, where, Strength.DECLARED),
    ]
    if use.model:
        evidence.append(Evidence(source, "model", use.model, where, Strength.DECLARED))
    name = f"{use.provider}/{use.model}" if use.model else use.provider
    return Component(
        purl=purls.ai_service(use.provider, use.model),
        kind=ComponentKind.SERVICE,
        name=name,
        version=None,
        locations=(Location(target, use.path, use.line),),
        direct=True,
        evidence=tuple(evidence),
        found_by=found_by,
    )


class AiServicesCollector(Collector):
    """Service uses in every Python, JavaScript/TypeScript, `.env` and config file."""

    name: ClassVar[str] = "ai-services"

    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """A component per use (merged per purl by the pipeline, locations united)."""
        if is_site_packages(tree):
            return Collected()  # library code, not the target's own
        components: list[Component] = []
        diagnostics: list[Diagnostic] = []
        index = tree.index()
        # Paths first: an image lists tens of thousands, and each Entry is built on access.
        for path in index:
            if kind_of(path) is None or _FOREIGN.search(path) or is_test_path(path):
                continue
            if index[path].size > MAX_FILE:
                continue
            try:
                text = tree.read_text(path)
            except ParseError as exc:
                diagnostics.append(Diagnostic(path, exc.reason))
                continue
            extracted = services_in_text(path, text)
            components.extend(service_component(u, tree.ref, self.name) for u in extracted.uses)
            diagnostics.extend(extracted.diagnostics)
        return Collected(components=tuple(components), diagnostics=tuple(diagnostics))
