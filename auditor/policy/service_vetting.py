"""Is a hosted AI service vetted? What `service.unvetted` and `auditor check-models` ask.

`vetted_services` holds globs over `provider` or `provider/model` (`"openai"`,
`"azure-openai/*"`, `"dashscope/qwen-max"`), case-folded; a provider alone vets every model
it serves. A self-hosted endpoint (localhost, a private address: `publisher_kind
self-hosted`) sends nothing to another operator and is never unvetted.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Set

from auditor.model import Component, ComponentKind, Origin, PublisherKind
from auditor.policy import Predicate
from auditor.policy.subject import Subject
from auditor.policy.yamlnodes import Y

SERVICE_PREFIX = "pkg:generic/ai-service/"


def service_name(component: Component) -> tuple[str, str | None]:
    """(provider, model) from the service's evidence (its purl as a fallback)."""
    fields = {e.field: e.value for e in reversed(component.evidence)}
    provider = fields.get("provider")
    if provider is None:
        rest = component.purl.removeprefix(SERVICE_PREFIX)
        provider = rest.partition("/")[0]
    return provider, fields.get("model")


def service_vetted(component: Component, origin: Origin | None, vetted_services: Set[str]) -> bool:
    """On `vetted_services` by provider or provider/model, or self-hosted."""
    if origin is not None and origin.publisher_kind is PublisherKind.SELF_HOSTED:
        return True
    provider, model = service_name(component)
    names = [provider.casefold()]
    if model:
        names.append(f"{provider}/{model}".casefold())
    return any(fnmatch.fnmatchcase(n, pattern) for pattern in vetted_services for n in names)


class ServiceVetted(Predicate):
    """`{service_vetted: true|false}`: the AI service is (not) on `vetted_services` (provider
    or provider/model globs) or self-hosted; never true for a component that is no service."""

    keyword = "service_vetted"

    def __init__(self, node: Y) -> None:
        super().__init__(node)
        from auditor.policy.predicates import _check_keys

        arg = _check_keys(node, {"service_vetted"})["service_vetted"]
        if not isinstance(arg.value, bool):
            raise arg.error("service_vetted: takes true or false")
        self.want = arg.value

    def test(self, subject: Subject) -> bool:
        component = subject.component
        if component.kind is not ComponentKind.SERVICE:
            return False
        vetted = service_vetted(
            component, subject.origin, subject.context.text_set("vetted_services")
        )
        return vetted is self.want
