"""The condition language: what each predicate means, errors with file:line, and hostile
input under hypothesis (nothing crashes, nothing runs)."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.model import ComponentKind, Dependency, DependencyKind, Root, Strength
from auditor.policy.conditions import parse_condition
from auditor.policy.rules import parse_pack
from auditor.policy.subject import Context, Subject
from auditor.policy.yamlnodes import PolicyError, load_yaml
from tests.policy.helpers import SHA, TODAY, claim, component, origin, scan

LIB = "pkg:pypi/requests@2.32.3"
HEAD = "rules:\n  - id: a.b\n    title: t\n    severity: low\n    action: warn\n    message: m\n"
"""A valid rule up to its `when` (lines 1-6)."""
ROOT = Root(f"pkg:huggingface/lab/base@{SHA}", "finetune", "Lab", "XX")


def _subject(purl: str = LIB, names: dict[str, object] | None = None, graph_scan=None, **kw):  # type: ignore[no-untyped-def]
    kind = kw.pop("kind", ComponentKind.LIBRARY)
    comp = component(purl, kind, license=kw.pop("license", None))
    from auditor.graph import ProvenanceGraph

    context = Context(
        names or {},
        TODAY,
        graph=(lambda: ProvenanceGraph.from_scan(graph_scan)) if graph_scan else None,
    )
    return Subject(comp, origin(purl, **kw), context)


def _cond(text: str):  # type: ignore[no-untyped-def]
    node = load_yaml(text, "t.yaml")
    assert node is not None
    return parse_condition(node)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("{fact: component.name, eq: REQUESTS}", True),
        ("{fact: component.name, ne: requests}", False),
        ("{fact: component.ecosystem, in: [npm, pypi]}", True),
        ("{fact: component.ecosystem, not_in: [npm]}", True),
        ("{fact: component.version, matches: '^2\\.32'}", True),
        ("{fact: component.license, exists: false}", True),
        ("{fact: component.license, eq: mit}", False),
        ("{fact: origin.publisher, eq: psf}", True),
        ("{fact: origin.conflicts, exists: true}", False),
        (
            "{all: [{fact: component.kind, eq: library}, {not: {fact: origin.status, eq: unknown}}]}",  # noqa: E501
            True,
        ),
        (
            "{any: [{fact: component.kind, eq: model}, {fact: component.name, matches: '^req'}]}",
            True,
        ),
        ("{strength: publisher, at_least: registry}", True),
        ("{strength: publisher, at_least: attested}", False),
        ("{strength: repository, at_least: inferred}", False),
        ("{traces_to: {publisher: [PSF]}}", True),
        ("{fact: component.namespace, exists: false}", True),
    ],
)
def test_predicates(condition: str, expected: bool) -> None:
    assert _cond(condition).test(_subject(publisher=claim("psf"))) is expected


def test_names_numbers_and_lineage() -> None:
    subject = _subject(
        f"pkg:huggingface/me/quant@{SHA}",
        names={"review_countries": ["XX"], "limit": 3},
        kind=ComponentKind.MODEL,
        roots=(Root(f"pkg:huggingface/lab/base@{SHA}", "quantized", "Lab", "XX"),),
        evidence=(),
    )
    assert _cond("{traces_to: {country: $review_countries}}").test(subject)
    assert _cond("{fact: origin.roots.organisation, eq: lab}").test(subject)
    assert _cond("{derives_from: 'pkg:huggingface/lab/*'}").test(subject)
    assert not _cond("{derives_from: 'pkg:huggingface/other/*'}").test(subject)
    assert _cond("{fact: component.namespace, eq: me}").test(subject)
    assert not _cond("{fact: release.age_days, lt: $limit}").test(subject)  # unknown age


def test_graph_predicates_walk_the_provenance_graph() -> None:
    app, mid, leaf = "pkg:npm/app@1.0.0", "pkg:npm/mid@1.0.0", "pkg:npm/left-pad@1.3.0"
    base, tuned, quant = (f"pkg:huggingface/lab/{n}@{SHA}" for n in ("base", "tuned", "quant"))
    s = scan(
        [component(p) for p in (app, mid, leaf)]
        + [component(p, ComponentKind.MODEL) for p in (base, tuned, quant)],
        dependencies=[
            Dependency(app, mid),
            Dependency(mid, leaf),
            Dependency(quant, tuned, DependencyKind.DERIVED_FROM),
            Dependency(tuned, base, DependencyKind.DERIVED_FROM),
        ],
    )
    depends = _cond("{depends_on: 'pkg:npm/left-pad@*'}")
    assert depends.test(_subject(app, graph_scan=s))
    assert not depends.test(_subject(leaf, graph_scan=s))
    derives = _cond("{derives_from: 'pkg:huggingface/lab/base@*'}")
    assert derives.test(_subject(quant, graph_scan=s, kind=ComponentKind.MODEL))
    assert not derives.test(_subject(base, graph_scan=s, kind=ComponentKind.MODEL))


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            HEAD + "    when:\n      fact: origin.statuz\n      eq: x\n",
            8,
            "unknown fact 'origin.statuz'",
        ),
        (
            "rules:\n  - id: a.b\n    title: t\n    severity: loud\n    action: warn\n    message: m\n    when: {fact: origin.status, eq: x}\n",  # noqa: E501
            4,
            "'loud' is not one of",
        ),
        (
            HEAD + "    when:\n      all: []\n",
            8,
            "non-empty list",
        ),
        (
            HEAD + "    when: {fact: component.name, matches: '('}\n",
            7,
            "invalid regular expression",
        ),
        (
            HEAD + "    when: {fact: component.name, eq: x, ne: y}\n",
            7,
            "exactly one of",
        ),
        (
            HEAD + "    when: {fact: component.name}\n    colour: red\n",
            8,
            "unexpected key 'colour'",
        ),
        ("rules:\n  - id: Bad Id\n", 2, "id"),
        (
            "rules:\n  - id: pypi.yanked\n    title: t\n    severity: low\n    action: warn\n    message: m\n    when: {fact: component.name, eq: x}\n",  # noqa: E501
            2,
            "built-in rule",
        ),
        ("rules: [\n", 2, "not valid YAML"),
        ("rules:\n  - !!python/object:os.system {}\n", 2, "unreadable value"),
    ],
)
def test_errors_name_file_and_line(text: str, line: int, message: str) -> None:
    pack, errors = parse_pack(text, "pack.yaml", "p")
    assert pack is None and errors
    assert errors[0].file == "pack.yaml"
    assert errors[0].line == line, errors[0].message
    assert message in errors[0].message


# --- hypothesis ------------------------------------------------------------------------

KEYWORDS = ["all", "any", "not", "fact", "eq", "ne", "in", "not_in", "matches", "lt", "gt",
            "exists", "traces_to", "country", "strength", "at_least", "derives_from",
            "depends_on", "changed", "vetted", "typosquat", "finding", "component.name",
            "origin.status", "release.age_days", "__import__", "!!python/object"]  # fmt: skip
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
    st.sampled_from(KEYWORDS), st.text(max_size=12), st.sampled_from(["$x", "$review_countries", "(", ".*"]),  # noqa: E501
)  # fmt: skip
trees = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYWORDS), children, max_size=3),
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees)
def test_no_structure_crashes_the_parser_or_the_evaluator(tree: object) -> None:
    text = yaml.safe_dump({"when": tree})
    node = load_yaml(text, "h.yaml")
    assert node is not None and isinstance(node.value, dict)
    try:
        predicate = parse_condition(node.value["when"])
    except PolicyError as exc:
        assert exc.message.startswith("h.yaml:")
        return
    names = {"x": [1, "a"], "review_countries": ["XX"]}
    bare = _subject(names=names)
    claimed = _subject(names=names, publisher=claim("p", Strength.DECLARED), roots=(ROOT,))
    for subject in (bare, claimed):
        assert predicate.test(subject) in (True, False)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_no_text_crashes_pack_parsing_or_runs_code(text: str) -> None:
    pack, errors = parse_pack(text, "h.yaml", "h")
    assert (pack is None) == bool(errors)
    for error in errors:
        assert error.message.startswith("h.yaml")


def test_python_tags_are_refused_not_run(tmp_path) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "ran"
    text = f"rules:\n  - !!python/object/apply:os.system ['touch {marker}']\n"
    _, errors = parse_pack(text, "evil.yaml", "e")
    assert errors and not marker.exists()
