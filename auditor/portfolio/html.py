"""The HTML portfolio report: one self-contained page (no script, no fetch), per-target rows
and the cross-target roll-ups, rendered from `templates/_portfolio.html.j2` with the audit's
template machinery (`auditor.render.template`: its escaping filters and `finalize`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from auditor.portfolio import FACETS, TOTAL, queries

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

TEMPLATE = "_portfolio.html.j2"
TOP = 3
"""Countries named in a target's row (the rest are counted)."""
BARS = 12
"""Bars in a roll-up chart (the rest are summed into `other`)."""


@dataclass(frozen=True, slots=True)
class TargetRow:
    """One target of the portfolio, with its latest scan."""

    target: str
    identity: str
    scan_id: str
    started_at: str
    components: int
    countries: tuple[tuple[str, int], ...]
    findings: int
    high: int
    evaluation: int = 1
    """Which evaluation of the scan answers (`auditor rescreen`)."""


def gather(conn: Connection, as_of: datetime | None) -> dict[str, Any]:
    """Everything the page shows, read in one transaction."""
    latest = queries.latest(conn, as_of)
    per_scan = queries.per_target(conn, "country", as_of)
    found = queries.finding_counts(conn, as_of)
    rows = []
    for r in latest:
        counts = per_scan.get(r.scan_id, {})
        countries = sorted(
            ((v if v is not None else "unknown", n) for v, n in counts.items() if v != TOTAL),
            key=lambda vn: (vn[0] == "unknown", -vn[1], vn[0]),
        )
        rows.append(
            TargetRow(
                r.ref,
                r.identity,
                r.scan_id,
                r.started_at,
                counts.get(TOTAL, 0),
                tuple(countries),
                *found.get(r.scan_id, (0, 0)),
                r.evaluation,
            )
        )
    rollups = {facet: queries.origins(conn, facet, as_of) for facet in FACETS}
    return {"rows": rows, "rollups": rollups}


def bars(groups: list[queries.Group]) -> list[dict[str, Any]]:
    """A roll-up as chart bars: the biggest values, then `other`, `unknown` last."""
    known = [g for g in groups if g.value is not None]
    unknown = [g for g in groups if g.value is None]
    out = [{"label": g.value, "value": g.components} for g in known[:BARS]]
    rest = sum(g.components for g in known[BARS:])
    if rest:
        out.append({"label": "other", "value": rest})
    out += [{"label": "unknown", "value": g.components} for g in unknown]
    return out


def render(data: dict[str, Any], as_of: datetime | None, generated: datetime) -> str:
    """The page (autoescaped; control characters made visible as in the audit)."""
    import jinja2

    from auditor.config import data_path
    from auditor.render.template import link, safe_url, visible_controls

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: (data_path("templates") / name).read_text(encoding="utf-8")
        ),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        finalize=visible_controls,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["link"] = link
    rows = data["rows"]
    nonce = hashlib.sha256(
        "".join(r.scan_id for r in rows).encode() + generated.isoformat().encode()
    ).hexdigest()[:24]
    return env.get_template(TEMPLATE).render(
        rows=rows,
        rollups=data["rollups"],
        charts={facet: bars(groups) for facet, groups in data["rollups"].items()},
        as_of=None if as_of is None else as_of.isoformat(timespec="seconds"),
        generated=generated.isoformat(timespec="seconds"),
        components=sum(r.components for r in rows),
        findings=sum(r.findings for r in rows),
        high=sum(r.high for r in rows),
        nonce=nonce,
        top=TOP,
    )
