"""The HTML audit as a reader meets it, in real Chromium: the answer first, the layout at two
widths, the printed page counts (PDF through Chromium's own printing, pages counted by
pypdf), accessibility (axe-core run in the page) and keyboard use.

Synthetic scans come from `big_scan` (tests/render/test_html.py), given several rules and
models whose Hub was unreachable, as a real partial scan has.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from auditor.model import Action, OriginStatus, Scan, ScanStatus, Severity
from auditor.render import renderer
from auditor.unresolved import unresolved_groups
from tests.render.conftest import ARTEFACTS, Loaded
from tests.render.test_html import big_scan, render_html

RULES = (
    "package.unpinned",
    "licence.restrictive",
    "model.unvetted",
    "origin.unknown",
    "repository.unverified",
    "package.typosquat",
    "image.unpinned",
    "origin-repository-unattested",
)
UNREACHABLE = 15


def audit_scan(n_components: int, n_findings: int) -> Scan:
    """`big_scan` with findings spread over RULES and the first UNREACHABLE models' origins
    unreachable (the Hub refused connections): a partial scan."""
    scan = big_scan(n_components, n_findings)
    models = [c.purl for c in scan.components if c.purl.startswith("pkg:huggingface/")]
    dead = set(models[:UNREACHABLE])
    origins = tuple(
        replace(o, status=OriginStatus.UNREACHABLE, reason="ConnectError after 3 attempt(s)")
        if o.purl in dead
        else o
        for o in scan.origins
    )
    findings = tuple(replace(f, rule=RULES[i % len(RULES)]) for i, f in enumerate(scan.findings))
    return replace(
        scan,
        id=f"audit-{n_components}-{n_findings}",
        origins=origins,
        findings=findings,
        status=ScanStatus.PARTIAL,
    )


def pdf_pages(page: Any, summary_only: bool, name: str) -> int:
    """Print the page to an A4 PDF as Chromium does; its page count."""
    from pypdf import PdfReader

    if summary_only:
        page.check("#summary-only")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4")
    page.emulate_media(media="screen")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / f"{name}.pdf").write_bytes(pdf)
    return len(PdfReader(io.BytesIO(pdf)).pages)


# --- the answer ---------------------------------------------------------------------------


def test_answer_first_and_partial_explained_with_one_number(
    open_report: Callable[..., Loaded],
) -> None:
    scan = audit_scan(100, 30)
    loaded = open_report(render_html(scan))
    page = loaded.page
    loaded.check_clean()
    # The first section is the answer, then the blocked and high findings.
    sections = page.eval_on_selector_all("main section", "ss => ss.map(s => s.id)")
    assert sections[:2] == ["summary", "attention"]
    runs = str(page.text_content("#answer-runs"))
    assert f"{len(scan.components)} components" in runs
    assert "By country of origin: " in str(page.text_content("#answer-origins"))
    # Unresolved: grouped by reason; the groups add up to the one number shown.
    groups = unresolved_groups(scan)
    shown = page.eval_on_selector_all("#unresolved li", "ls => ls.map(l => +l.dataset.count)")
    unresolved = sum(1 for o in scan.origins if o.status is not OriginStatus.RESOLVED)
    assert sum(shown) == unresolved == int(str(page.text_content('[data-metric="unresolved"]')))
    assert shown == [g.count for g in groups]
    texts = page.eval_on_selector_all("#unresolved li", "ls => ls.map(l => l.textContent)")
    dead = sum(1 for o in scan.origins if o.status is OriginStatus.UNREACHABLE)
    assert dead == min(UNREACHABLE, len(scan.components) // 10)
    assert f"{dead} models: Hub unreachable (ConnectError)" in texts
    partial = str(page.text_content("#answer-partial"))
    assert f"{dead} origins could not be looked up" in partial
    assert f"{unresolved} origins not resolved" in partial
    # Page 2: blocked and high findings by rule, most severe first, each with its count.
    heads = page.eval_on_selector_all(
        "#attention h3",
        "hs => hs.map(h => [h.querySelector('code').textContent,"
        " +h.querySelector('.count').textContent, h.querySelector('.sev').textContent])",
    )
    urgent = [
        f
        for f in scan.findings
        if not f.waived and (f.action is Action.BLOCK or f.severity.rank >= Severity.HIGH.rank)
    ]
    assert sum(n for _, n, _ in heads) == len(urgent)
    ranks = [Severity(sev).rank for _, _, sev in heads]
    assert ranks == sorted(ranks, reverse=True)
    for rule, n, _ in heads:
        assert n == sum(1 for f in urgent if f.rule == rule)
    # The appendix: one collapsed group per rule, with its count.
    groups_shown = page.eval_on_selector_all(
        "#findings details.group",
        "ds => ds.map(d => [d.dataset.rule, +d.querySelector('.count').textContent, d.open])",
    )
    assert {r: n for r, n, _ in groups_shown} == {
        r: sum(1 for f in scan.findings if f.rule == r) for r in {f.rule for f in scan.findings}
    }
    assert not any(opened for _, _, opened in groups_shown)


def test_graph_shows_the_models_lineage_on_load(open_report: Callable[..., Loaded]) -> None:
    scan = audit_scan(100, 30)
    loaded = open_report(render_html(scan))
    page = loaded.page
    centres = page.eval_on_selector_all("#graph-svg .node.centre", "gs => gs.length")
    assert centres >= 1
    # Every lineage edge out of a drawn model is drawn: a model, its base and the base's root.
    lines = page.eval_on_selector_all("#graph-svg line.lineage", "ls => ls.length")
    assert lines >= centres
    assert "Lineage of the" in str(page.text_content("#graph-title"))
    loaded.check_clean()


def test_every_lineage_edge_of_a_merge_is_drawn(open_report: Callable[..., Loaded]) -> None:
    from auditor.model import Component, ComponentKind, Dependency, DependencyKind

    scan = big_scan(20, 0)
    merge = Component("pkg:huggingface/m/merged@" + "a" * 40, ComponentKind.MODEL, "m/merged",
                      "a" * 40)  # fmt: skip
    bases = ("pkg:huggingface/a/base-one", "pkg:huggingface/b/base-two")
    scan = replace(
        scan,
        components=(*scan.components, merge),
        dependencies=(
            *scan.dependencies,
            *(Dependency(merge.purl, b, DependencyKind.DERIVED_FROM) for b in bases),
        ),
    )
    loaded = open_report(render_html(scan))
    page = loaded.page
    labels = page.eval_on_selector_all("#graph-svg .node text", "ts => ts.map(t => t.textContent)")
    assert any("a/base-one" in t for t in labels) and any("b/base-two" in t for t in labels)
    # Selected from the inventory, both bases are shown too.
    index = len(scan.components) - 1
    page.focus(f"#c-{index}")
    page.keyboard.press("Enter")
    bases_shown = page.eval_on_selector_all(
        "#graph-svg .node.base.model text", "ts => ts.map(t => t.textContent)"
    )
    assert len(bases_shown) == 2
    loaded.check_clean()


# --- layout ---------------------------------------------------------------------------------

LAYOUT_JS = """() => {
  const problems = [];
  if (document.scrollingElement.scrollWidth > document.scrollingElement.clientWidth) {
    problems.push(['page scrolls sideways', document.scrollingElement.scrollWidth]);
  }
  const cells = [...document.querySelectorAll('th, td')].filter(c => c.getClientRects().length);
  for (const cell of cells.slice(0, 3000)) {
    if (cell.scrollWidth > cell.clientWidth + 1) {
      problems.push(['narrower than its content', cell.textContent.slice(0, 60)]);
    }
    const strict = cell.tagName === 'TH' || cell.classList.contains('sev');
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /\\S+/g;
      for (let m = re.exec(node.textContent); m; m = re.exec(node.textContent)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
          .map(r => Math.round(r.top)));
        if (strict && lines.size > 1) { problems.push(['word wraps', m[0]]); }
      }
    }
  }
  return problems;
}"""


@pytest.mark.parametrize("width", [1280, 800])
def test_layout_at_two_widths(open_report: Callable[..., Loaded], width: int) -> None:
    scan = audit_scan(100, 60)
    loaded = open_report(render_html(scan))
    page = loaded.page
    page.set_viewport_size({"width": width, "height": 900})
    page.click("#findings details.group > summary")  # an open group is laid out too
    page.evaluate("document.querySelectorAll('section').forEach(s => s.scrollIntoView())")
    assert page.evaluate(LAYOUT_JS) == []
    # A purl is abbreviated, its full value in the title, and a copy takes the full value.
    purl = page.query_selector("#inv-body code.purl")
    assert purl is not None
    full = str(purl.get_attribute("title"))
    assert full in {c.purl for c in scan.components}
    assert "…" in str(purl.text_content()) or len(full) <= 48
    copied = page.evaluate(
        """(el) => {
            const range = document.createRange();
            range.selectNodeContents(el);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
            const data = new DataTransfer();
            el.dispatchEvent(new ClipboardEvent('copy', {clipboardData: data, bubbles: true}));
            return data.getData('text/plain');
        }""",
        purl,
    )
    assert copied == full
    page.screenshot(path=str(ARTEFACTS / f"html-audit-{width}.png"))
    loaded.check_clean()


# --- print ----------------------------------------------------------------------------------


def test_printed_summary_of_100_components_fits_three_pages(
    open_report: Callable[..., Loaded],
) -> None:
    loaded = open_report(render_html(audit_scan(100, 30)))
    pages = pdf_pages(loaded.page, summary_only=True, name="html-audit-100-summary")
    print(f"\nsummary of 100 components: {pages} A4 pages")
    assert 1 <= pages <= 3


def test_whole_audit_of_1000_components_prints_in_40_pages(
    open_report: Callable[..., Loaded],
) -> None:
    scan = audit_scan(1000, 300)
    loaded = open_report(render_html(scan))
    pages = pdf_pages(loaded.page, summary_only=False, name="html-audit-1000")
    print(f"\nwhole audit of 1,000 components, 300 findings: {pages} A4 pages")
    assert pages <= 40
    # Every component is in the printed inventory, though the screen shows the first page.
    assert pages > 3


# --- accessibility --------------------------------------------------------------------------


def test_axe_finds_nothing_serious_and_the_keyboard_works(
    open_report: Callable[..., Loaded],
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    loaded = open_report(render_html(audit_scan(100, 30)))
    page = loaded.page
    page.click("#findings details.group > summary")
    results = Axe().run(page)
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    assert results.response["passes"], "axe-core ran no checks"
    # Disclosures open and close from the keyboard.
    page.focus("#findings details.group:nth-of-type(2) > summary")
    page.keyboard.press("Enter")
    assert page.eval_on_selector("#findings details.group:nth-of-type(2)", "d => d.open")
    page.keyboard.press("Space")
    assert not page.eval_on_selector("#findings details.group:nth-of-type(2)", "d => d.open")
    # Graph controls: Tab reaches the graph (its scroll box, then a node), Enter re-centres.
    page.focus("#graph-models")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('data-i')")
    assert focused is not None
    page.keyboard.press("Enter")
    assert page.eval_on_selector_all("#graph-svg .node.centre", "gs => gs.length") == 1
    page.focus("#graph-models")
    page.keyboard.press("Enter")
    assert "Lineage of the" in str(page.text_content("#graph-title"))
    loaded.check_clean()


def test_markdown_leads_with_the_same_answer() -> None:
    from auditor.escape import markdown
    from auditor.render.answer import answer

    scan = audit_scan(100, 30)
    text = renderer("markdown").render(scan)
    said = answer(scan)
    head = text[: text.index("## Findings")]
    for sentence in (said.runs, said.origins, said.blocked, said.partial, said.changes):
        assert markdown(sentence) in head
    for group in said.unresolved:
        assert markdown(group.text()) in head


# --- AI services called ---------------------------------------------------------------------

HOSTILE_MODEL = '<img src=x onerror=alert(1)>"deepseek-chat'
"""A model name as an attacker would write it into code the scan reads."""


def service_app_scan(tmp_path: Path) -> Scan:
    """A real scan (offline: the operator is data) of a small app calling DeepSeek through the
    OpenAI client, at the host rules/data/ai-services.yaml lists, once with a hostile model."""
    from auditor.config import Config
    from auditor.pipeline import run_scan
    from tests.conftest import write_files
    from tests.services import filled

    app = filled(
        "import os\n\nfrom openai import OpenAI\n\n"
        'client = OpenAI(api_key=os.environ["DEEPSEEK_API_KEY"], base_url="https://{host:deepseek}")\n'
        'reply = client.chat.completions.create(model="deepseek-chat", messages=[])\n'
        f"odd = client.chat.completions.create(model={HOSTILE_MODEL!r}, messages=[])\n"
    )
    write_files(tmp_path / "app", {"app/llm.py": app, "requirements.txt": "openai==1.54.0\n"})
    return run_scan([str(tmp_path / "app")], replace(Config(store=False), offline=True))


@pytest.mark.parametrize("width", [1280, 800])
def test_ai_services_called_section(
    open_report: Callable[..., Loaded], tmp_path: Path, width: int
) -> None:
    from tests.services import host

    scan = service_app_scan(tmp_path)
    html = render_html(scan)
    assert HOSTILE_MODEL not in html and "<img" not in html  # escaped, never markup
    loaded = open_report(html)
    page = loaded.page
    # Page 1: one sentence naming the provider, its operator and country.
    said = str(page.text_content("#answer-services"))
    assert said.startswith("The code calls 2 AI services of 1 provider: deepseek (2; Hangzhou")
    assert said.endswith(", CN).")
    # The appendix after the inventory: a row per service, the endpoint as text.
    sections = page.eval_on_selector_all("main section", "ss => ss.map(s => s.id)")
    assert sections.index("services") == sections.index("inventory") + 1
    rows = page.eval_on_selector_all(
        "#services-table tbody tr",
        "rs => rs.map(r => [...r.cells].map(c => c.textContent))",
    )
    assert len(rows) == 2
    by_model = {r[1]: r for r in rows}
    chat = by_model["deepseek-chat"]
    assert chat[0] == "deepseek" and chat[2] == f"https://{host('deepseek')}"
    assert chat[3].startswith("Hangzhou DeepSeek") and chat[4] == "CN"
    assert chat[7] == "app/llm.py:6"
    assert HOSTILE_MODEL in by_model  # shown as the text it is
    assert page.eval_on_selector_all("#services-table td a[href^='http']", "as => as.length") == 0
    # The inventory shows "-" as a service's version; the kind chart has a service bar.
    versions = page.eval_on_selector_all(
        "#inv-body tr", "rs => rs.filter(r => r.cells[2].textContent === 'service')"
        ".map(r => r.cells[1].textContent)",
    )  # fmt: skip
    assert versions == ["-", "-"]
    assert page.query_selector('#chart-kinds [data-bar="service"]') is not None
    # The layout still holds with the section present.
    page.set_viewport_size({"width": width, "height": 900})
    page.evaluate("document.querySelectorAll('section').forEach(s => s.scrollIntoView())")
    assert page.evaluate(LAYOUT_JS) == []
    page.evaluate("document.querySelector('#services').scrollIntoView()")
    page.screenshot(path=str(ARTEFACTS / f"html-audit-services-{width}.png"))
    loaded.check_clean()
