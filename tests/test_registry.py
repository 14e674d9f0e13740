"""Every module at an extension point is registered: a forgotten registry line fails here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from auditor import collectors, render, resolvers
from auditor.collectors import COLLECTORS, Collector
from auditor.collectors import parsers as parser_package
from auditor.collectors.parsers import PARSERS, FileParser
from auditor.config import data_path
from auditor.render import RENDERERS, Renderer
from auditor.render.template import TemplateRenderer
from auditor.resolvers import RESOLVERS, Resolver


def _modules(package: object) -> list[object]:
    path = package.__path__  # type: ignore[attr-defined]
    name = package.__name__  # type: ignore[attr-defined]
    return [
        importlib.import_module(f"{name}.{info.name}")
        for info in pkgutil.iter_modules(path)
        if not info.ispkg
    ]


def test_every_parser_module_is_registered() -> None:
    modules = _modules(parser_package)
    assert modules
    for module in modules:
        parser = getattr(module, "PARSER", None)
        assert isinstance(parser, FileParser), f"{module.__name__} exports no PARSER"
        assert parser in PARSERS, f"{module.__name__}.PARSER is not in PARSERS"
    assert len({p.name for p in PARSERS}) == len(PARSERS)


def _subclasses_defined_in(module: object, base: type) -> list[type]:
    return [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, base)
        and obj is not base
        and obj.__module__ == module.__name__  # type: ignore[attr-defined]
        and not inspect.isabstract(obj)
    ]


def test_every_collector_module_is_registered() -> None:
    registered = {type(c) for c in COLLECTORS}
    for module in _modules(collectors):
        for cls in _subclasses_defined_in(module, Collector):
            assert cls in registered, f"{cls.__name__} is not in COLLECTORS"


def test_every_resolver_module_is_registered() -> None:
    registered = set(RESOLVERS)
    for module in _modules(resolvers):
        for cls in _subclasses_defined_in(module, Resolver):
            assert cls in registered, f"{cls.__name__} is not in RESOLVERS"


def test_every_renderer_and_template_is_registered() -> None:
    registered = {type(r) for r in RENDERERS}
    for module in _modules(render):
        for cls in _subclasses_defined_in(module, Renderer):
            assert cls in registered, f"{cls.__name__} is not in RENDERERS"
    templates = {r.template for r in RENDERERS if isinstance(r, TemplateRenderer)}
    shipped = {
        t.name
        for t in data_path("templates").iterdir()
        if t.name.endswith(".j2") and not t.name.startswith("_")
    }
    assert shipped == templates
    assert len({r.name for r in RENDERERS}) == len(RENDERERS)


def test_every_condition_kind_is_registered() -> None:
    from auditor import policy
    from auditor.policy import PREDICATES, Predicate

    registered = set(PREDICATES)
    for module in _modules(policy):
        for cls in _subclasses_defined_in(module, Predicate):
            if not cls.__name__.startswith("_"):
                assert cls in registered, f"{cls.__name__} is not in PREDICATES"
    assert len({p.keyword for p in PREDICATES}) == len(PREDICATES)
