"""The compliance attestation (`--format attestation`, `--pdf`): every section's content from a
1,000-component release carrying listed-entity matches, services and waivers; hostile metadata
escaped; printed in Chromium (Playwright, as the HTML audit's tests) on A4 and Letter within
five pages with every match in the PDF's text; and `--pdf` from the CLI, with exit 2 when no
Chromium is found.

The scans are data: `big_scan` (tests/render/test_html.py) plus findings of rule
`origin.listed-entity` shaped as the screening check writes them (list evidence
`source="screening", field="list:<id>"`), and waivers as `Waiver.describe()` records them.
The lists are YAML files read by the real loader.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.model import (
    Action,
    Claim,
    Component,
    ComponentKind,
    Evidence,
    Finding,
    Location,
    Origin,
    OriginStatus,
    Scan,
    Severity,
    Strength,
)
from auditor.policy.settings import Waiver
from auditor.render.attestation import AttestationRenderer
from auditor.render.attestation_view import attestation, compact
from auditor.screening.lists import load_lists
from auditor.unresolved import unresolved_groups
from tests.conftest import REPO, Ran
from tests.render.conftest import ARTEFACTS, Loaded
from tests.render.test_html import big_scan

SOURCE = "https://lists.example.invalid/{}"
"""Official list URLs in test data: a `.invalid` host (never a real list's address here)."""
HOSTILE = "<script>alert(1)</script>\x1b[31m"
LISTS = {
    "covered-equipment": (
        "Covered equipment list",
        "2025-03-01",
        ("Acme Telecom Co.", "Beta Video"),
    ),
    "named-companies": ("Named companies", "2024-08-13", ("Gamma Networks Ltd", "Delta AI Lab")),
    "restricted-labs": (
        f"Restricted labs {HOSTILE}",
        "2026-12-01",
        ("Epsilon <img src=x onerror=alert(2)>",),
    ),
}
MATCHES = 12
CHAINS = 6
"""Distinct publisher → organisation → parent chains the matches go through."""


def write_lists(folder: Path) -> Path:
    """One YAML file per list, in the shape `auditor.screening.lists` reads."""
    folder.mkdir(parents=True, exist_ok=True)
    for list_id, (title, published, names) in LISTS.items():
        entries = "".join(
            f'  - name: "{n}"\n    organisations: [org-{i}]\n' for i, n in enumerate(names)
        )
        (folder / f"{list_id}.yaml").write_text(
            f'id: {list_id}\ntitle: "{title.replace(chr(27), "")}"\nauthority: Test Authority\n'
            f"source: {SOURCE.format(list_id)}\nversion: rev {published}\n"
            f'published: "{published}"\nscope: What {list_id} restricts.\nentries:\n{entries}',
            encoding="utf-8",
        )
    return folder


def release(n_components: int = 1000, matches: int = MATCHES, chains: int = CHAINS) -> Scan:
    """A 1,000-component release: big_scan's libraries and models (30% origins unknown), a
    hostile component, two AI services, `matches` listed-entity findings and waivers."""
    scan = big_scan(n_components - 3, 300)
    hostile = f"pkg:pypi/{HOSTILE.replace(chr(27), '%1B')}@1.0"
    services = [
        Component(
            f"pkg:generic/ai-service/provider-{i}/model-{i}",
            ComponentKind.SERVICE,
            f"provider-{i}",
            None,
            locations=(Location("app/", "serve.py", 10 + i),),
            found_by="ai-services",
        )
        for i in range(2)
    ]
    origins = [
        Origin(
            hostile, OriginStatus.RESOLVED, organisation=Claim(f"Org {HOSTILE}", Strength.INFERRED)
        ),
        *(
            Origin(
                s.purl,
                OriginStatus.RESOLVED,
                organisation=Claim(f"Operator {i}", Strength.REGISTRY),
                country=Claim("US", Strength.REGISTRY),
            )
            for i, s in enumerate(services)
        ),
    ]
    resolved = [
        c.purl
        for c, o in zip(scan.components, scan.origins, strict=True)
        if o.status is OriginStatus.RESOLVED
    ]
    ids = list(LISTS)
    listed = []
    for i in range(matches):
        # as auditor.screening.check words them; packages of one publisher match alike
        list_id, k = ids[i % len(ids)], i % chains
        title, _, names = LISTS[list_id]
        entry = names[i % len(names)]
        purl = hostile if i == 0 else resolved[i * 37 % len(resolved)]
        path = f"{purl} → publisher org-{k} → organisation Subsidiary {k} → parent {entry}"
        listed.append(
            Finding(
                "origin.listed-entity",
                Severity.HIGH,
                Action.BLOCK if i % 4 == 0 else Action.REPORT,
                purl,
                f"listed on {title} ({list_id}, version rev) as {entry!r} (matched to {entry}):"
                f" {path}; the organisation claim is registry",
                (
                    Evidence("screening", f"list:{list_id}", entry, SOURCE.format(list_id),
                             Strength.REGISTRY, LISTS[list_id][1]),
                    Evidence("screening", "match-path", path, purl, Strength.REGISTRY),
                    Evidence("knowledge-base", f"parent[subsidiary-{k}]", entry,
                             "https://corp.example.invalid/about", Strength.INFERRED),
                ),
            )
        )  # fmt: skip
    waivers = [
        Waiver(
            "package.unpinned",
            "pkg:pypi/lib-*",
            "vendored, pinned by hash",
            "J. Doe <b>",
            date(2027, 1, 31),
        ),
        Waiver(
            "origin.listed-entity",
            "*",
            f"contract exemption {HOSTILE}",
            "Compliance board",
            date(2026, 12, 31),
        ),
    ]
    findings = [
        replace(f, waiver=waivers[0].describe() if f.waiver else None) for f in scan.findings
    ]
    listed[1] = replace(listed[1], waiver=waivers[1].describe())
    return replace(
        scan,
        id="release-1000",
        components=(
            *scan.components,
            Component(hostile, ComponentKind.LIBRARY, HOSTILE, "1.0"),
            *services,
        ),
        origins=(*scan.origins, *origins),
        findings=(*findings, *listed),
    )


@pytest.fixture(scope="module")
def lists_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_lists(tmp_path_factory.mktemp("lists") / "screening")


@pytest.fixture(scope="module")
def scan() -> Scan:
    return release()


def render(scan: Scan, lists: Path, paper: str | None = None) -> str:
    return AttestationRenderer(paper=paper, lists=lists).render(scan)


# --- what it states -------------------------------------------------------------------------


def test_every_section_states_the_release(scan: Scan, lists_dir: Path) -> None:
    said = attestation(scan, load_lists(lists_dir))
    assert [row.id for row in said.lists] == sorted(LISTS)
    assert sum(row.matches for row in said.lists) == MATCHES == said.matched
    assert len(said.matches) < MATCHES  # packages of one publisher share a row
    assert said.components == 1000 and said.screened.date == scan.started_at[:10]
    # the residual risk is the one count of unresolved origins every view gives
    assert said.unknown == sum(g.count for g in unresolved_groups(scan)) > 250
    assert sum(len(g.items) for g in said.residual) == said.unknown
    # resolved, but no organisation anywhere in the trace: no list could match them either
    unattributed = {i for g in said.unattributed for i in g.items}
    assert len(unattributed) == said.unscreened - said.unknown > 0
    assert compact(scan.components[0].purl) not in unattributed  # lib-0: Org 0
    assert said.models == sum(1 for c in scan.components if c.kind is ComponentKind.MODEL)
    assert {m for g in said.roots for m in g.models} == {
        compact(c.purl) for c in scan.components if c.kind is ComponentKind.MODEL
    }
    assert [(s.operator, s.country) for s in said.services] == [
        ("Operator 0", "US"),
        ("Operator 1", "US"),
    ]
    by_rule = {w.rule: w for w in said.waivers}
    assert by_rule["package.unpinned"].approver == "J. Doe <b>"
    assert by_rule["package.unpinned"].expires == "2027-01-31"
    assert by_rule["origin.listed-entity"].approver == "Compliance board"
    # a list published after the screening date is flagged, not claimed
    assert [row.not_screened is not None for row in said.lists] == [False, False, True]

    html = render(scan, lists_dir)
    for m in said.matches:
        assert all(f'data-purl="{_attr(p)}"' in html for p in m.purls)
    for row in said.lists:
        assert row.version in html and row.source in html
    assert "Reviewed and approved by" in html and "Signature" in html
    assert f"3. Residual risk: {said.unscreened} of 1000 components not screenable" in html
    assert f"Origin unknown ({said.unknown} of 1000)" in html


def test_a_re_evaluation_says_which_and_against_which_versions(scan: Scan, lists_dir: Path) -> None:
    """A re-screened scan (`auditor rescreen`): the statement is that evaluation's, dated
    then, and a list whose version (or presence) differs from what it recorded is flagged."""
    from auditor.model import Evaluation, ListVersion

    recorded = (
        ListVersion("covered-equipment", "rev 2025-03-01"),  # the version installed
        ListVersion("named-companies", "rev 2023-01-01"),  # an older one
    )  # restricted-labs: not in force then
    evaluation = Evaluation(2, "2026-12-05T10:00:00Z", "sha256:0123456789abcdef", recorded)
    said = attestation(replace(scan, evaluation=evaluation), load_lists(lists_dir))
    assert said.screened.date == "2026-12-05"
    assert said.screened.evaluation == evaluation.describe(scan.id)
    assert [(r.screened_version, r.not_screened) for r in said.lists] == [
        ("rev 2025-03-01", None),
        ("rev 2023-01-01", "screened against version rev 2023-01-01, not this one"),
        (None, "not in force when screened: not screened against this list"),
    ]
    html = render(replace(scan, evaluation=evaluation), lists_dir)
    assert f"These are the findings of evaluation 2 of scan {scan.id}" in html
    assert 'On <b data-field="screened">2026-12-05</b>' in html


def test_no_lists_installed_says_not_screened(scan: Scan, tmp_path: Path) -> None:
    html = render(scan, tmp_path / "none")
    assert "were not screened: no screening list is installed" in html


def test_hostile_metadata_is_escaped(scan: Scan, lists_dir: Path) -> None:
    html = render(scan, lists_dir)
    assert "<script" not in html and "<img" not in html
    assert "J. Doe <b>" not in html and "J. Doe &lt;b&gt;" in html
    assert "\x1b" not in html and "\u241b[31m" in html  # ESC shown as a symbol
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "onerror=alert(2)" not in html.replace("&lt;img src=x onerror=alert(2)&gt;", "")
    evil = replace(
        scan,
        findings=tuple(
            replace(f, evidence=(replace(f.evidence[0], where="javascript:alert(3)"),))
            if f.rule == "origin.listed-entity"
            else f
            for f in scan.findings
        ),
    )
    assert 'href="javascript' not in render(evil, lists_dir)


@given(
    reason=st.text(min_size=1).filter(lambda s: s.strip()),
    approver=st.text(min_size=1).filter(lambda s: s.strip()),
    expires=st.dates(min_value=date(2000, 1, 1)),
)
def test_waiver_text_reads_back(reason: str, approver: str, expires: date) -> None:
    text = Waiver("r", "*", reason, approver, expires).describe()
    row = attestation_waiver(text)
    assert row.expires == expires.isoformat()
    assert f"{row.reason} (approved by {row.approver}, until {row.expires})" == text


@given(st.text())
def test_compact_never_fails(purl: str) -> None:
    assert isinstance(compact(purl), str)


def attestation_waiver(text: str) -> Any:
    finding = Finding("r", Severity.LOW, Action.WARN, "pkg:pypi/x@1", "m", (), text)
    empty = Scan(
        "s", "2026-01-01", "2026-01-01", big_scan(10, 0).status, "t", (), (), findings=(finding,)
    )
    return attestation(empty, ()).waivers[0]


def _attr(text: str) -> str:
    from markupsafe import escape

    return str(escape(text)).replace("\x1b", "\u241b")


# --- printed --------------------------------------------------------------------------------


def printed(loaded: Loaded, paper: str, name: str) -> tuple[int, str]:
    """The page printed to PDF as Chromium prints it: its page count and its text."""
    from pypdf import PdfReader

    loaded.page.emulate_media(media="print")
    pdf = loaded.page.pdf(format=paper, prefer_css_page_size=True)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / f"{name}.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_prints_on_five_pages_with_every_match(
    scan: Scan, lists_dir: Path, open_report: Callable[..., Loaded], paper: str
) -> None:
    loaded = open_report(render(scan, lists_dir, paper), javascript=False)
    loaded.check_clean()
    size = "Letter" if paper == "letter" else "A4"
    pages, text = printed(loaded, size, f"attestation-1000-{paper}")
    assert pages <= 5, pages
    flat = re.sub(r"\s+", "", text)
    for m in attestation(scan, load_lists(lists_dir)).matches:
        assert re.sub(r"\s+", "", m.entry) in flat, m.entry
        for p in m.purls:
            assert re.sub(r"\s+", "", p.replace("\x1b", "\u241b")) in flat, p
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert re.search(r"Residual risk: \d{3} of 1000 components not screenable", text)


# --- the command ----------------------------------------------------------------------------


def test_cli_prints_the_attestation_to_pdf(
    chromium: str, auditor: Callable[..., Ran], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pypdf import PdfReader

    monkeypatch.setenv("AUDITOR_CHROMIUM", chromium)
    out = tmp_path / "a" / "attestation.pdf"
    ran = auditor(
        "scan",
        REPO / "examples" / "python-app",
        "--no-store",
        "--no-resolve",
        "--format",
        "attestation",
        "--pdf",
        out,
        "--paper",
        "letter",
    )
    assert ran.code == 0, ran.stderr
    assert ran.stdout == ""  # the PDF is the output
    assert f"attestation printed to {out}" in ran.stderr
    reader = PdfReader(out)
    assert 1 <= len(reader.pages) <= 2
    assert float(reader.pages[0].mediabox.width) == pytest.approx(612, abs=1)  # Letter
    assert "1. Screening statement" in reader.pages[0].extract_text()


def test_report_prints_a_stored_scan_to_pdf_and_html(
    chromium: str, auditor: Callable[..., Ran], tmp_path: Path
) -> None:
    from pypdf import PdfReader

    assert (
        auditor(
            "scan",
            REPO / "examples" / "python-app",
            "--no-resolve",
            "-f",
            "json",
            "-o",
            tmp_path / "scan.json",
        ).code
        == 0
    )
    scan_id = json.loads((tmp_path / "scan.json").read_text())["scan"]["id"]
    pdf, html = tmp_path / "att.pdf", tmp_path / "att.html"
    ran = auditor("report", scan_id, "--format", "attestation", "--pdf", pdf, "-o", html)
    assert ran.code == 0, ran.stderr
    assert "size: A4" in html.read_text()  # --pdf prints on A4 unless --paper says otherwise
    assert float(PdfReader(pdf).pages[0].mediabox.width) == pytest.approx(595, abs=1)
    # the HTML audit prints too (its own A4 stylesheet); nothing on stdout but the PDF's path
    audit = tmp_path / "audit.pdf"
    ran = auditor("report", scan_id, "--format", "html", "--pdf", audit)
    assert (ran.code, ran.stdout) == (0, "") and f"html printed to {audit}" in ran.stderr
    assert "Origin audit of" in PdfReader(audit).pages[0].extract_text()


def test_a_match_on_a_list_no_longer_installed(scan: Scan, lists_dir: Path) -> None:
    """A stored match naming a list this installation does not hold (an older or custom
    one) is shown as recorded, with its own source, and counted apart."""
    gone = Finding(
        "origin.listed-entity", Severity.HIGH, Action.REPORT, scan.components[1].purl,
        "listed on Old list (old-list, version 1) as 'Zeta': …",
        (Evidence("screening", "list:old-list", "Zeta", "https://old.example.invalid/list",
                  Strength.DECLARED),),
    )  # fmt: skip
    said = attestation(replace(scan, findings=(*scan.findings, gone)), load_lists(lists_dir))
    [row] = [m for m in said.matches if m.list_id == "old-list"]
    assert (row.list_title, row.entry, row.source_differs) == ("old-list", "Zeta", True)
    assert row.path == gone.message  # no path recorded: the check's message
    assert said.unlisted_matches == 1 and said.matched == MATCHES + 1


@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        (("--format", "json"), {}, "--pdf: prints HTML, not --format json"),
        (
            ("--format", "attestation"),
            {"AUDITOR_CHROMIUM": "/nonexistent/chromium"},
            "AUDITOR_CHROMIUM=/nonexistent/chromium is not an executable file",
        ),
        (("--format", "attestation"), {"PATH": "/nonexistent"}, "--pdf: no Chromium found"),
    ],
)
def test_pdf_refused_before_scanning(
    auditor: Callable[..., Ran],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    env: dict[str, str],
    said: str,
) -> None:
    monkeypatch.delenv("AUDITOR_CHROMIUM", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "x.pdf"
    ran = auditor("scan", REPO / "examples" / "python-app", "--no-resolve", *args, "--pdf", out)
    assert ran.code == 2 and said in ran.stderr and "Traceback" not in ran.stderr
    assert not out.exists()
    assert auditor("history").stdout.count("python-app") == 0  # refused before scanning


# --- with the real check and the shipped lists ----------------------------------------------


def test_the_checks_matches_on_the_shipped_lists(tmp_path: Path) -> None:
    """A Huawei package (attributed by the knowledge base from its source repository) and a
    healthy one, judged by the screening check against the shipped lists: the attestation
    names each list the package is on, the entry as published, the official source and the
    match path the check recorded."""
    from auditor.attribution import attribute
    from auditor.render.attestation_view import LISTED_ENTITY
    from auditor.resolvers.local import local_origin
    from auditor.resolvers.publishers import load
    from auditor.screening.check import RULE, rescreened
    from tests.test_graph import lib, make_scan

    assert LISTED_ENTITY == RULE
    attributed = []
    for name, repo in (
        ("mindspore", "https://github.com/mindspore-ai/mindspore"),
        ("requests", "https://github.com/psf/requests"),
    ):
        c = lib(name, direct=True)
        source = Evidence("pypi", "info.project_urls.Source", repo, "pypi:/pypi/x/json",
                          Strength.DECLARED)  # fmt: skip
        c = replace(c, evidence=(source,))
        attributed.append((c, attribute(c, local_origin(c, OriginStatus.RESOLVED, None), load())))
    scan = make_scan([c for c, _ in attributed], [], tuple(o for _, o in attributed))
    lists = load_lists()
    judged = rescreened(scan, lists, load())
    said = attestation(judged, lists)
    huawei = {
        (s.id, e.name, s.source) for s in lists for e in s.entries if "huawei" in e.organisations
    }
    assert huawei, "the shipped lists name Huawei"
    assert {(m.list_id, m.entry, m.source) for m in said.matches} == huawei
    assert {p for m in said.matches for p in m.purls} == {attributed[0][0].purl}
    # the match path the check recorded, from the component on
    paths = {e.value for f in judged.findings for e in f.evidence if e.field == "match-path"}
    assert paths == {f"{m.purls[0]} {m.path}" for m in said.matches}
    assert all(m.path.startswith("→ organisation Huawei") for m in said.matches)
    html = AttestationRenderer().render(judged)
    for list_id, entry, source in huawei:
        assert f'data-list="{list_id}"' in html and source in html and entry in html
    assert "No match found" not in html
