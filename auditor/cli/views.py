"""Questions on a stored scan: `report`, `show`, `why`, `origins`, `graph`."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.cli.common import echo, emit, load_scan, pdf_ready, write_text
from auditor.cli.options import db_option, fail, output_options
from auditor.errors import AuditorError
from auditor.escape import terminal_safe

ORIGIN_FACETS = ("country", "organisation", "publisher", "repository")


@click.command()
@click.argument("scan_id")
@output_options
@db_option
@click.pass_obj
def report(
    debug: bool,
    scan_id: str,
    fmt: str,
    output: Path | None,
    pdf: Path | None,
    paper: str | None,
    min_severity: str,
    db: str | None,
) -> None:
    """Render a stored scan (SCAN_ID or a unique prefix of it)."""
    try:
        pdf_ready(fmt, pdf)
        emit(load_scan(scan_id, db), fmt, output, min_severity, pdf=pdf, paper=paper)
    except AuditorError as exc:
        fail(exc, debug)


def _unknown_purl(purl: str, scan_id: str, close: tuple[str, ...]) -> AuditorError:
    from auditor.errors import UsageError

    hint = ("did you mean: " + ", ".join(close)) if close else "`auditor report` lists them"
    return UsageError(f"{purl}: not a component of scan {scan_id}", hint=hint)


@click.command()
@click.argument("scan_id")
@click.option("--by", type=click.Choice(ORIGIN_FACETS), default="country", show_default=True)
@click.option(
    "--ultimate", is_flag=True,
    help="With --by organisation: count each organisation under the top of its `parent` "
    "chain in the knowledge base (Volcengine under ByteDance).",
)  # fmt: skip
@click.option("--format", "-f", "fmt", type=click.Choice(("table", "json")), default="table")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@click.pass_obj
def origins(
    debug: bool,
    scan_id: str,
    by: str,
    ultimate: bool,
    fmt: str,
    output: Path | None,
    db: str | None,
) -> None:
    """Which countries, organisations, publishers or repositories a stored scan traces to.

    Counts split direct/transitive and packages/models; models also trace to their lineage
    roots. `unknown` holds components with no value. JSON shape: see auditor/graph_render.py.
    """
    from auditor.errors import UsageError
    from auditor.graph.queries import origin_groups
    from auditor.graph_render import origins_json, origins_table

    try:
        if ultimate and by != "organisation":
            raise UsageError(
                f"--ultimate rolls up organisations; it needs --by organisation, not {by}"
            )
        stored = load_scan(scan_id, db, detail=False)
        if fmt != "json":
            stored = terminal_safe(stored)  # metadata: every value one safe terminal line
        tops = None
        if ultimate:  # imported here: the plain roll-up stays within its start-up budget
            from auditor.attribution.parents import ultimate_parents

            tops = ultimate_parents(stored)
    except AuditorError as exc:
        fail(exc, debug)
    groups = origin_groups(stored, by, tops)  # no graph to build: auditor.graph.trace answers
    n = len(stored.components)
    text = (
        origins_json(groups, by, stored.id, n, ultimate)
        if fmt == "json"
        else origins_table(groups, by, n, ultimate)
    )
    try:
        write_text(text, output, f"origins by {by}")
    except AuditorError as exc:
        fail(exc, debug)


@click.command()
@click.argument("scan_id")
@click.argument("purl")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@db_option
@click.pass_obj
def why(debug: bool, scan_id: str, purl: str, limit: int, db: str | None) -> None:
    """Every path from a target to PURL in a stored scan: dependency chains, lineage."""
    from auditor.graph import ProvenanceGraph
    from auditor.graph_render import why_text

    try:
        # Metadata: every value one safe terminal line (the purl asked for escaped alike).
        stored, purl = terminal_safe((load_scan(scan_id, db), purl))
        graph = ProvenanceGraph.from_scan(stored)
        if not graph.has_component(purl):
            raise _unknown_purl(purl, stored.id, graph.suggest(purl))
    except AuditorError as exc:
        fail(exc, debug)
    echo(why_text(graph, graph.why(purl, limit=limit)), nl=False)


@click.command()
@click.argument("scan_id")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(("graphml", "json", "dot")),
    default="graphml",
    show_default=True,
)
@click.option("--focus", metavar="PURL", help="Only the neighbourhood of this component.")
@click.option("--depth", type=click.IntRange(min=0), help="Edges from --focus (default 2).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@click.pass_obj
def graph(
    debug: bool,
    scan_id: str,
    fmt: str,
    focus: str | None,
    depth: int | None,
    output: Path | None,
    db: str | None,
) -> None:
    """Export a stored scan's provenance graph for Gephi, Graphviz or networkx."""
    from auditor.errors import UsageError
    from auditor.graph import ProvenanceGraph
    from auditor.graph_render import export

    try:
        if depth is not None and focus is None:
            raise UsageError("--depth: needs --focus PURL", hint="add --focus PURL")
        stored = load_scan(scan_id, db)
        built = ProvenanceGraph.from_scan(stored)
        if focus is not None:
            if not built.has_component(focus):
                raise _unknown_purl(focus, stored.id, built.suggest(focus))
            built = built.focus(focus, 2 if depth is None else depth)
    except AuditorError as exc:
        fail(exc, debug)
    try:
        write_text(export(built, fmt), output, f"{fmt} graph")
    except AuditorError as exc:
        fail(exc, debug)


@click.command()
@click.argument("scan_id")
@click.argument("purl")
@db_option
@click.pass_obj
def show(debug: bool, scan_id: str, purl: str, db: str | None) -> None:
    """One component of a stored scan: its origin and every piece of evidence."""
    from auditor.render.show import component_report, find_component

    try:
        stored = load_scan(scan_id, db)
        echo(component_report(stored, find_component(stored, purl)), nl=False)
    except AuditorError as exc:
        fail(exc, debug)
