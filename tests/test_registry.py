"""Every module at an extension point is registered: a forgotten registry line fails here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor import collectors, render, resolvers
from auditor.collectors import COLLECTORS, Collector
from auditor.collectors import parsers as parser_package
from auditor.collectors.parsers import PARSERS, FileParser, registered_for
from auditor.config import data_path
from auditor.render import RENDERERS, Renderer
from auditor.render.template import TemplateRenderer
from auditor.resolvers import RESOLVERS, Resolver


def _modules(package: object) -> list[ModuleType]:
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
        lines = [line for line in PARSERS if line.load() is parser]
        assert lines, f"{module.__name__}.PARSER is not in PARSERS"
        # The registry line names the file patterns without importing the module: the two
        # must agree.
        assert (lines[0].name, lines[0].patterns) == (parser.name, parser.patterns)
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
    loaded = {line.name: line.load() for line in COLLECTORS}
    assert all(collector.name == name for name, collector in loaded.items())
    registered = {type(c) for c in loaded.values()}
    for module in _modules(collectors):
        for cls in _subclasses_defined_in(module, Collector):
            assert cls in registered, f"{cls.__name__} is not in COLLECTORS"


def test_every_resolver_module_is_registered() -> None:
    registered = set(RESOLVERS)
    for module in _modules(resolvers):
        for cls in _subclasses_defined_in(module, Resolver):
            assert cls in registered, f"{cls.__name__} is not in RESOLVERS"


def test_every_renderer_and_template_is_registered() -> None:
    loaded = [r.load() for r in RENDERERS]
    registered = {type(r) for r in loaded}
    for module in _modules(render):
        for cls in _subclasses_defined_in(module, Renderer):
            assert cls in registered, f"{cls.__name__} is not in RENDERERS"
    templates = {r.template for r in loaded if isinstance(r, TemplateRenderer)}
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


def test_collector_lines_claim_every_file_their_collector_reads() -> None:
    """A registry line may claim more than its collector reads, never less: the weight
    suffixes of both model collectors, and the files model references are read from."""
    from auditor.collectors import collectors_for
    from auditor.collectors.model_signatures import WEIGHT_SUFFIXES as SIGNED
    from auditor.references import kind_of
    from auditor.weights.inspect import WEIGHT_SUFFIXES

    by_name = {line.name: line for line in COLLECTORS}
    for suffix in {*WEIGHT_SUFFIXES, *SIGNED}:
        assert by_name["model-signatures"].wants(f"m/model{suffix.upper()}")
    for suffix in WEIGHT_SUFFIXES:
        assert by_name["model-files"].wants(f"m/model{suffix}")
    for path in ("a/train.py", "x.ipynb", "Dockerfile.gpu", "conf/app.yaml", "run.sh", "Makefile"):
        assert (kind_of(path) is not None) <= by_name["model-refs"].wants(path), path
    for path in ("uv.lock", "sub/requirements-dev.txt", "requirements/base.txt", "poetry.lock"):
        assert registered_for(path) is not None and by_name["lockfiles"].wants(path)
    # A lockfile-only folder wants one collector; a `.pth` in site-packages is no model.
    assert [c.name for c in collectors_for(["uv.lock", "pyproject.toml"])] == ["lockfiles"]
    pth = "usr/lib/python3/site-packages/distutils-precedence.pth"
    assert not by_name["model-signatures"].wants(pth)
    assert not by_name["model-files"].wants(pth)
    from auditor.collectors.model_signatures import model_roots

    assert model_roots([pth, "usr/lib/python3/site-packages/x/model.pt"], "image") == []
    assert [r.path for r in model_roots(["models/bert/model.pt"], "dir")] == ["models/bert"]


_PARTS = st.sampled_from(
    ["usr", "lib", "python3.11", "site-packages", "node_modules", ".github", "workflows",
     "models--org--m", "blobs", "sha256-ab", "requirements", "var", "dpkg", "status.d", "app",
     "Dockerfile.gpu", ".gitlab", "x.py", "model.PT", "uv.lock", "dev-requirements.txt",
     "pylock.a.toml", "status", "METADATA", "README.md", "config.json", ".env", "a.env",
     "run.SH", "Makefile", "model.sig", "oci-layout", "pyproject.toml", "x.egg-info", "b.txt"]
)  # fmt: skip


@given(st.lists(st.lists(_PARTS, min_size=1, max_size=5).map("/".join), max_size=40))
@settings(max_examples=300, deadline=None)
def test_collectors_for_is_every_line_that_wants_some_path(paths: list[str]) -> None:
    """The batched test (sets of names and extensions, joined text, the lockfile patterns
    compiled) answers as asking `wants` of every path would, chunk boundaries included."""
    from auditor import collectors as registry

    expected = [line.name for line in COLLECTORS if any(line.wants(p) for p in paths)]
    assert [c.name for c in registry.collectors_for(paths)] == expected
    for size in (1, 3):
        assert [c.name for c in registry.collectors_for(paths, size)] == expected
