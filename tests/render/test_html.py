"""The HTML audit report, checked in headless Chromium (Debian's, driven by Playwright).

Every page load records console errors (a CSP violation is one), every request (only the
report's own file may be fetched) and dialogs; hostile metadata must run nothing.
Figures for a 10,000-component scan are printed and, when AUDITOR_HTML_FIGURES names a
file, written there for bench/html_bench.py.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from auditor.config import Config
from auditor.errors import Diagnostic
from auditor.graph import ProvenanceGraph
from auditor.model import (
    Action,
    Claim,
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Evidence,
    Finding,
    Location,
    Origin,
    OriginStatus,
    Root,
    Scan,
    ScanStatus,
    Severity,
    Strength,
    Target,
    TargetKind,
)
from auditor.pipeline import run_scan
from auditor.render import renderer
from auditor.render.template import safe_url, script_json
from tests.conftest import REPO, Ran
from tests.render.conftest import ARTEFACTS, Loaded

EXAMPLE = REPO / "examples"


def render_html(scan: Scan) -> str:
    """The report as `--format html` writes it."""
    return renderer("html").render(scan)


def visible_rows(page: Any) -> int:
    """Inventory rows not hidden by the filter."""
    return int(page.eval_on_selector_all("#inv-body tr", "rs => rs.filter(r => !r.hidden).length"))


def metric(page: Any, name: str) -> str:
    """The text of a `data-metric` element."""
    return str(page.text_content(f'[data-metric="{name}"]')).strip()


def bars(page: Any, chart: str) -> dict[str, int]:
    """label -> value of one summary chart."""
    got = page.eval_on_selector_all(
        f"#{chart} [data-bar]", "gs => gs.map(g => [g.dataset.bar, +g.dataset.value])"
    )
    return dict(got)


# --- a real scan --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_scan() -> Scan:
    """examples/ scanned for real (no registry: origins are skipped)."""
    return run_scan([str(EXAMPLE)], Config(no_resolve=True, store=False))


def test_real_scan_loads_clean_and_its_numbers_match(
    example_scan: Scan, open_report: Callable[..., Loaded]
) -> None:
    scan = example_scan
    loaded = open_report(render_html(scan))
    page = loaded.page
    loaded.check_clean()
    assert metric(page, "scan-id") == scan.id
    assert metric(page, "status") == scan.status.value
    assert int(metric(page, "components")) == len(scan.components)
    assert int(metric(page, "direct")) == sum(1 for c in scan.components if c.direct)
    assert int(metric(page, "dependencies")) == len(scan.dependencies)
    assert int(metric(page, "findings")) == len(scan.findings)
    assert int(metric(page, "diagnostics")) == len(scan.diagnostics)
    assert bars(page, "chart-kinds") == dict(Counter(c.kind.value for c in scan.components))
    severities = Counter(f.severity.value for f in scan.findings)
    assert bars(page, "chart-severity") == {s.value: severities[s.value] for s in Severity}
    # --no-resolve: no origin chart pretends to know countries.
    assert page.is_visible("#origins-not-resolved")
    assert page.query_selector("#chart-country") is None
    assert visible_rows(page) == len(scan.components)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "html-report-examples.png"), full_page=True)
    # Printing: a PDF comes out, and the print stylesheet drops the interactive parts.
    pdf = page.pdf(path=str(ARTEFACTS / "html-report-examples.pdf"))
    assert pdf.startswith(b"%PDF")
    page.emulate_media(media="print")
    assert not page.is_visible("#inv-controls")
    assert not page.is_visible("#graph")


def test_filter_sort_and_graph_respond(
    example_scan: Scan, open_report: Callable[..., Loaded]
) -> None:
    scan = example_scan
    loaded = open_report(render_html(scan))
    page = loaded.page
    # Filter: a keystroke narrows the table to the components whose row mentions the text.
    page.fill("#filter", "req")
    expected = sum(
        1
        for c in scan.components
        if "req" in " ".join([c.name, c.version or "", c.purl, c.license or ""]).lower()
    )
    assert 0 < expected < len(scan.components)
    assert visible_rows(page) == expected
    count = str(page.text_content("#inv-count"))
    assert count == f"{expected} of {len(scan.components)} components match"
    page.fill("#filter", "")
    assert visible_rows(page) == len(scan.components)

    # Sort by name, then the other way round.
    def names() -> list[str]:
        return list(page.eval_on_selector_all("#inv-body tr", "rs => rs.map(r => r.dataset.i)"))

    page.click('button[data-col="0"]')
    ascending = names()
    assert page.get_attribute("#inv thead th:first-child", "aria-sort") == "ascending"
    firsts = [scan.components[int(i)].name[0].lower() for i in ascending]
    assert firsts == sorted(firsts)
    page.click('button[data-col="0"]')
    assert names() == ascending[::-1] or sorted(names()) == sorted(ascending)
    assert page.get_attribute("#inv thead th:first-child", "aria-sort") == "descending"

    # Graph: Enter on a focused row draws its neighbourhood; a dependency node re-centres.
    graph = ProvenanceGraph.from_scan(scan)
    index = {c.purl: i for i, c in enumerate(scan.components)}
    purl = next(c.purl for c in scan.components if graph.dependencies(c.purl))
    page.focus(f"#c-{index[purl]}")
    page.keyboard.press("Enter")
    assert purl in str(page.text_content("#graph-title"))
    deps = graph.dependencies(purl)
    shown = page.eval_on_selector_all(
        "#graph-svg .node.dependency", "gs => gs.map(g => g.dataset.i)"
    )
    assert {scan.components[int(i)].purl for i in shown} == {d for d in deps if d in index}
    page.focus(f"#graph-svg .node.dependency[data-i='{shown[0]}']")
    page.keyboard.press("Enter")
    assert scan.components[int(shown[0])].purl in str(page.text_content("#graph-title"))
    loaded.check_clean()


def test_static_parts_read_without_javascript(
    example_scan: Scan, open_report: Callable[..., Loaded]
) -> None:
    loaded = open_report(render_html(example_scan), javascript=False)
    page = loaded.page
    assert page.eval_on_selector_all("#inv-body tr", "rs => rs.length") == len(
        example_scan.components
    )
    assert page.is_visible("#inv-body tr")
    assert not page.is_visible("#inv-controls")  # controls that would do nothing are hidden
    assert int(metric(page, "components")) == len(example_scan.components)
    assert loaded.foreign_requests() == []


def test_report_of_the_stored_scan_is_byte_identical(
    auditor: Callable[..., Ran], tmp_path: Path
) -> None:
    first, again = tmp_path / "scan.html", tmp_path / "report.html"
    ran = auditor("scan", "--no-resolve", EXAMPLE, "--format", "html", "--output", first)
    assert ran.code == 0, ran.stderr
    found = re.search(r'data-metric="scan-id">([^<]+)<', first.read_text(encoding="utf-8"))
    assert found is not None
    ran = auditor("report", found.group(1), "--format", "html", "--output", again)
    assert ran.code == 0, ran.stderr
    assert again.read_bytes() == first.read_bytes()


# --- hostile metadata ---------------------------------------------------------------------

PAYLOADS = (
    "<script>window.__pwned=1</script>",
    '"><img src=x onerror="window.__pwned=2">',
    "' onmouseover='window.__pwned=3' x='",
    "</script><script>window.__pwned=4</script><!--",
    '<svg onload="window.__pwned=5"></svg>',
    "javascript:window.__pwned=6",
    " \tJaVaScRiPt:window.__pwned=7",
    "data:text/html,<script>window.__pwned=8</script>",
    "\x1b[2J\u2028{{ 7*7 }}&amp;",
)
URLS = ("javascript:window.__pwned=9", "java\nscript:window.__pwned=10", "//x.invalid/a")


def hostile_scan() -> Scan:
    """Every text field a scan holds carries payloads: names, licences, summaries, authors,
    project URLs, model card fields, messages, waivers, diagnostics, targets and host."""
    bad = " ".join(PAYLOADS)

    def ev(field_name: str, value: str, source: str = "metadata") -> Evidence:
        return Evidence(source, field_name, value, f"{bad}/METADATA", Strength.DECLARED, bad)

    evidence = (
        ev("Summary", bad),
        ev("Author", bad),
        ev("License", bad),
        *(ev(f"Project-URL.{p}", u) for p, u in zip(PAYLOADS, URLS * 3, strict=False)),
        ev("cardData.base_model", bad, "model-card"),
        ev("cardData.license", bad, "model-card"),
        ev("cardData.datasets", URLS[0], "model-card"),
    )
    components = []
    origins = []
    for i, payload in enumerate(PAYLOADS):
        kind = ComponentKind.MODEL if i % 3 == 0 else ComponentKind.LIBRARY
        purl = (
            f"pkg:pypi/evil-{i}@1.0"
            if kind is ComponentKind.LIBRARY
            else f"pkg:huggingface/o/m{i}@{i:040x}"
        )
        components.append(
            Component(
                purl,
                kind,
                payload,
                payload,
                (f"sha256:{payload}",),
                payload,
                (Location(payload, payload, i),),
                i % 2 == 0,
                evidence,
                payload,
            )
        )
        claim = Claim(payload, Strength.DECLARED)
        origins.append(
            Origin(
                purl,
                OriginStatus.RESOLVED,
                payload,
                publisher=claim,
                repository=Claim(URLS[i % len(URLS)], Strength.ATTESTED),
                organisation=claim,
                country=claim,
                roots=(Root(f"pkg:huggingface/base/{i}", payload, payload, payload),),
                conflicts=(payload,),
                evidence=evidence,
            )
        )
    purls = [c.purl for c in components]
    return Scan(
        id="hostile-1",
        started_at=bad,
        finished_at=bad,
        status=ScanStatus.PARTIAL,
        tool_version=bad,
        targets=(Target(bad, TargetKind.DIRECTORY, bad, bad),),
        components=tuple(components),
        origins=tuple(origins),
        dependencies=(
            *(Dependency(a, b, scope=bad, marker=bad) for a, b in pairwise(purls)),
            Dependency(purls[0], "pkg:huggingface/evil/<script>", DependencyKind.DERIVED_FROM),
        ),
        findings=tuple(
            Finding("package.unpinned", Severity.HIGH, Action.BLOCK, p, bad, evidence, w)
            for p, w in zip(purls, (None, bad) * 5, strict=False)
        ),
        diagnostics=(Diagnostic(bad, bad),),
        policy_version=bad,
        host=bad,
    )


def test_hostile_metadata_runs_nothing(open_report: Callable[..., Loaded]) -> None:
    scan = hostile_scan()
    html = render_html(scan)
    # Outside the page's own two scripts, no payload survives as markup.
    assert html.count("<script") == 2
    assert "<img" not in html and "<svg onload" not in html
    loaded = open_report(html)
    page = loaded.page
    page.fill("#filter", "script")
    for i in range(len(scan.components)):  # draw every component's graph view
        page.fill("#filter", "")
        page.click(f"#c-{i} td:nth-child(4)")
        page.hover("#graph-svg")
    for col in page.eval_on_selector_all("#inv thead button", "bs => bs.map(b => b.dataset.col)"):
        page.click(f'button[data-col="{col}"]')
    page.hover("body")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.scripts.length") == 2
    hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))")
    assert hrefs
    for href in hrefs:
        assert href.startswith(("#", "http://", "https://")), href
    handlers = page.evaluate(
        """() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
            .filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"""
    )
    assert handlers == []
    # Every payload is shown as the text it is (controls made visible).
    text = str(page.text_content("#inventory"))
    assert PAYLOADS[0] in text and PAYLOADS[1] in text
    assert int(metric(page, "blocked")) == sum(1 for f in scan.findings if not f.waived)
    loaded.check_clean()


def test_safe_url_and_script_json() -> None:
    assert safe_url("https://github.com/o/r") == "https://github.com/o/r"
    assert safe_url("HTTP://x.invalid/a?b=1") == "HTTP://x.invalid/a?b=1"
    for bad in (*URLS, "javascript:alert(1)", "https://", "https://a b/", "ftp://x/", ""):
        assert safe_url(bad) is None, bad
    text = script_json({"a": "</script><!--\u2028&"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!--\u2028&"}


# --- 10,000 components --------------------------------------------------------------------

COUNTRIES = ("US", "CN", "DE", "FR", "GB", "JP", "KR", "IN", "CA", "NL", "SE", "CH", "IL")


def big_scan(n_components: int = 10_000, n_findings: int = 2_000) -> Scan:
    """A deterministic synthetic scan: 10% models in lineages, 30% origins unknown,
    ~2 dependency edges per library, findings of every severity (some waived)."""
    n_models = n_components // 10
    purls = [f"pkg:pypi/lib-{i}@1.{i % 7}.0" for i in range(n_components - n_models)]
    purls += [f"pkg:huggingface/org-{i % 50}/model-{i}@{i:040x}" for i in range(n_models)]
    n_libs = n_components - n_models
    components, origins = [], []
    for i, purl in enumerate(purls):
        model = i >= n_libs
        name = purl.rpartition("/")[2].partition("@")[0]
        components.append(
            Component(
                purl,
                ComponentKind.MODEL if model else ComponentKind.LIBRARY,
                name,
                purl.rpartition("@")[2],
                (f"sha256:{i:064x}",),
                "Apache-2.0" if i % 3 else "MIT",
                (Location("svc/", "uv.lock", i + 1),),
                i % 10 == 0,
                found_by="synthetic",
            )
        )
        if i % 10 >= 7:
            origins.append(Origin(purl, OriginStatus.UNKNOWN, "synthetic"))
            continue
        repo = f"https://github.com/org-{i % 300}/{name}"
        origins.append(
            Origin(
                purl,
                OriginStatus.RESOLVED,
                publisher=Claim(f"org-{i % 300}", Strength.REGISTRY),
                repository=Claim(repo, Strength.ATTESTED if i % 4 == 0 else Strength.DECLARED),
                organisation=Claim(f"Org {i % 300}", Strength.INFERRED),
                country=Claim(COUNTRIES[i % len(COUNTRIES)], Strength.INFERRED),
                evidence=(
                    Evidence("metadata", "Project-URL.Source", repo, "METADATA", Strength.DECLARED),
                ),
            )
        )
    deps = [Dependency("pkg:pypi/app@0", purls[i]) for i in range(0, n_libs, 10)]
    deps += [Dependency(purls[i], purls[(i * 7 + 1) % n_libs]) for i in range(n_libs)]
    deps += [Dependency(purls[i], purls[(i * 13 + 5) % n_libs]) for i in range(n_libs)]
    deps += [
        Dependency(purls[i], purls[n_libs + (i - n_libs) // 2], DependencyKind.DERIVED_FROM)
        for i in range(n_libs + 1, n_components)
    ]
    severities = list(Severity)
    findings = tuple(
        Finding(
            "package.unpinned",
            severities[i % len(severities)],
            Action.BLOCK if i % 97 == 0 else Action.WARN,
            purls[(i * 5) % n_components],
            f"finding {i}",
            (Evidence("lockfile", "version", "*", "uv.lock", Strength.DECLARED),),
            "accepted until 2027-01-01" if i % 11 == 0 else None,
        )
        for i in range(n_findings)
    )
    return Scan(
        id=f"bench-html-{n_components}-{n_findings}",
        started_at="2026-11-28T00:00:00.000Z",
        finished_at="2026-11-28T00:00:09.000Z",
        status=ScanStatus.COMPLETE,
        tool_version="bench",
        targets=(Target("svc/", TargetKind.DIRECTORY, "directory:/srv/svc", "sha256:" + "0" * 64),),
        components=tuple(components),
        origins=tuple(origins),
        dependencies=tuple(dict.fromkeys(d for d in deps if d.source != d.target)),
        findings=findings,
        host="bench-host",
    )


def test_ten_thousand_components_figures(open_report: Callable[..., Loaded]) -> None:
    scan = big_scan()
    start = time.perf_counter()
    html = render_html(scan)
    render_s = time.perf_counter() - start
    size = len(html.encode())
    assert size < 15 * 2**20
    start = time.perf_counter()
    loaded = open_report(html)
    loaded.page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r)))")
    load_s = time.perf_counter() - start
    page = loaded.page
    # The first page of rows is shown at once; the rest on request.
    assert visible_rows(page) == 500
    assert "; showing the first 500" in str(page.text_content("#inv-count"))
    navigation = page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return [n.domContentLoadedEventEnd, n.loadEventEnd]; }"
    )
    # A reader brings the table on screen, then types; each is timed on its own.
    first_view_ms = page.evaluate(
        """() => new Promise(done => {
            const t = performance.now();
            document.getElementById('filter').focus();
            requestAnimationFrame(() => setTimeout(() => done(performance.now() - t)));
        })"""
    )
    # Typing `model-12` one key at a time: each keystroke from input to the next frame.
    keystrokes = [
        page.evaluate(
            """(text) => new Promise(done => {
                const input = document.getElementById('filter');
                const t = performance.now();
                input.value = text;
                input.dispatchEvent(new Event('input'));
                void document.body.offsetHeight;
                requestAnimationFrame(() => setTimeout(() => done(performance.now() - t)));
            })""",
            "model-12"[:n],
        )
        for n in range(1, 9)
    ]
    expected = sum(1 for c in scan.components if "model-12" in c.purl)
    assert visible_rows(page) == expected
    start = time.perf_counter()
    page.click('button[data-col="8"]')
    sort_s = time.perf_counter() - start
    page.fill("#filter", "")
    start = time.perf_counter()
    page.click("#inv-all")
    visible = visible_rows(page)
    show_all_s = time.perf_counter() - start
    assert visible == len(scan.components)
    # The summary equals the scan's: countries as the provenance graph groups them.
    graph = ProvenanceGraph.from_scan(scan)
    for chart, by in (("chart-country", "country"), ("chart-organisation", "organisation")):
        groups = {g.value or "unknown": g.total for g in graph.origins(by)}
        shown = bars(page, chart)
        folded = {k: v for k, v in shown.items() if k.endswith(" other values")}
        assert {k: groups[k] for k in shown if k not in folded} == {
            k: v for k, v in shown.items() if k not in folded
        }
        rest = [v for k, v in groups.items() if k not in shown]
        assert list(folded.values()) == ([sum(rest)] if rest else [])
        assert list(folded) == ([f"{len(rest)} other values"] if rest else [])
    assert int(metric(page, "findings")) == len(scan.findings)
    assert int(metric(page, "blocked")) == sum(
        1 for f in scan.findings if f.action is Action.BLOCK and not f.waived
    )
    loaded.check_clean()
    figures = {
        "components": len(scan.components),
        "findings": len(scan.findings),
        "render_in_process_s": round(render_s, 3),
        "file_bytes": size,
        "load_wall_s": round(load_s, 3),
        "dom_content_loaded_ms": round(navigation[0], 1),
        "load_event_end_ms": round(navigation[1], 1),
        "inventory_first_view_ms": round(first_view_ms, 1),
        "filter_keystroke_ms": round(sorted(keystrokes)[len(keystrokes) // 2], 1),
        "filter_keystroke_max_ms": round(max(keystrokes), 1),
        "sort_click_wall_s": round(sort_s, 3),
        "show_all_wall_s": round(show_all_s, 3),
    }
    print("\nHTML figures:", json.dumps(figures))
    target = os.environ.get("AUDITOR_HTML_FIGURES")
    if target:
        Path(target).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
