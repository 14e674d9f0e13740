"""The terminal table laid out for a width: every line fits, no word is cut, the findings
carry severity, rule, name@version and organisation (country), colour only when asked."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.model import (
    Action,
    Claim,
    Component,
    ComponentKind,
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
from auditor.render.layout import SGR, Column, fit, wrap
from auditor.render.table import TableRenderer

REVISION = "0123456789abcdef0123456789abcdef01234567"
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-./:0123456789", min_size=1, max_size=30)


def _scan(message: str, name: str = "requests", organisation: str = "Example Corp") -> Scan:
    lib = Component(
        f"pkg:pypi/{name}@2.32.3",
        ComponentKind.LIBRARY,
        name,
        "2.32.3",
        locations=(Location("t", "deep/folder/of/a/project/requirements.txt", 12),),
        direct=True,
    )
    model = Component(
        f"pkg:huggingface/someone/tiny-chat@{REVISION}",
        ComponentKind.MODEL,
        "someone/tiny-chat",
        REVISION,
    )
    return Scan(
        id="0f1e2d3c-aaaa-bbbb-cccc-000000000001",
        started_at="2026-12-07T12:00:00.000Z",
        finished_at="2026-12-07T12:00:01.000Z",
        status=ScanStatus.COMPLETE,
        tool_version="0.1.0",
        targets=(Target("t", TargetKind.DIRECTORY, "directory:/t", "sha256:" + "c" * 64),),
        components=(lib, model),
        origins=(
            Origin(
                lib.purl,
                OriginStatus.RESOLVED,
                organisation=Claim(organisation, Strength.DECLARED),
                country=Claim("US", Strength.DECLARED),
            ),
            Origin(
                model.purl,
                OriginStatus.RESOLVED,
                roots=(Root("pkg:huggingface/base/m@" + "d" * 40, "finetune", "Base AI", "FR"),),
            ),
        ),
        findings=(
            Finding("package.unpinned", Severity.LOW, Action.WARN, lib.purl, message),
            Finding("model.unvetted", Severity.MEDIUM, Action.BLOCK, model.purl, message),
            Finding("release.young", Severity.INFO, Action.REPORT, lib.purl, "info row"),
        ),
    )


def _findings(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index("FINDINGS") + 1
    return lines[start : lines.index("", start)]


def test_findings_rows_at_80_columns() -> None:
    message = "the pin is missing, so the next release is installed without review " * 3
    text = TableRenderer(width=80).render(_scan(message.strip()))
    assert max(len(line) for line in text.splitlines()) <= 80
    rows = _findings(text)
    assert rows[0].split() == ["SEVERITY", "RULE", "COMPONENT", "ORG", "(COUNTRY)"]
    # Most severe first; name@version (a Hub revision short, as git shows it), not the purl.
    assert rows[1].split()[:3] == ["medium", "model.unvetted", "someone/tiny-chat@0123456"]
    # A derived model counts under its lineage root's organisation and country (the roll-up).
    assert rows[1].endswith("Base AI (FR)")
    assert rows[2].startswith("          block: the pin is missing")
    low = next(r for r in rows if r.startswith("low"))
    assert low.split()[:3] == ["low", "package.unpinned", "requests@2.32.3"]
    assert low.endswith("Example Corp (US)")
    assert "info row" not in text  # below --min-severity: counted, not listed
    assert "\x1b" not in text


def test_closing_summary_line() -> None:
    scan = _scan("x")
    text = TableRenderer(width=80, verdict="exit 1: 1 finding blocked by policy").render(scan)
    assert text.splitlines()[-1] == (
        "2 components; countries: US 1, FR 1; exit 1: 1 finding blocked by policy"
    )
    stored = TableRenderer(width=80).render(scan)  # `auditor report`: no exit status to tell
    assert stored.splitlines()[-1] == "2 components; countries: US 1, FR 1; 1 finding blocked"


def test_colour_by_severity_only_when_asked() -> None:
    scan = _scan("x")
    coloured = TableRenderer(width=80, colour=True).render(scan)
    assert "\x1b[33mmedium\x1b[0m" in coloured and "\x1b[36mlow\x1b[0m" in coloured
    assert "\x1b[1;31mblock\x1b[0m" in coloured
    # Same layout once the colour codes are taken away.
    assert SGR.sub("", coloured) == TableRenderer(width=80).render(scan)


def test_metadata_control_characters_stay_escaped() -> None:
    hostile = "evil\x1b[2J\x07 name"
    text = TableRenderer(width=80, colour=True).render(_scan("boom \x1b]0;title\x07", hostile))
    assert "\x07" not in text and "\x1b[2J" not in text and "\x1b]" not in text
    assert "\\u001b[2J" in text


def test_a_long_organisation_keeps_its_country() -> None:
    org = "Amazon.com, Inc. (Amazon Web Services)"
    text = TableRenderer(width=80).render(_scan("x", organisation=org))
    row = next(r for r in _findings(text) if r.startswith("low"))
    assert row.endswith("… (US)") and len(row) <= 80


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(WORDS, min_size=1, max_size=40),
    name=WORDS,
    width=st.integers(min_value=60, max_value=200),
)
def test_every_line_fits_and_no_word_is_cut(words: list[str], name: str, width: int) -> None:
    message = " ".join(words)
    text = TableRenderer(width=width).render(_scan(message, name))
    assert all(len(line) <= width for line in text.splitlines()), width
    rows = _findings(text)
    under = [r.strip() for r in rows if r.startswith("          ")]
    tokens = " ".join(under).split()
    # Every word of the message appears whole: wrapping broke between words only.
    for word in words:
        assert word in tokens, (word, under)


@given(
    text=st.lists(WORDS, min_size=1, max_size=60).map(" ".join),
    width=st.integers(min_value=20, max_value=160),
    indent=st.integers(min_value=0, max_value=12),
)
def test_wrap_breaks_only_between_words(text: str, width: int, indent: int) -> None:
    lines = wrap(text, width, indent)
    assert all(len(line) <= width for line in lines)
    if max(len(w) for w in text.split()) <= width - indent:
        assert " ".join(line.strip() for line in lines).split() == text.split()
    else:  # a word longer than a line is the one thing cut: every character still there
        assert "".join("".join(lines).split()) == "".join(text.split())


@given(
    cells=st.lists(st.lists(WORDS, min_size=3, max_size=3), min_size=1, max_size=8),
    width=st.integers(min_value=30, max_value=120),
)
def test_fit_never_narrows_a_fixed_column(cells: list[list[str]], width: int) -> None:
    columns = (Column("A"), Column("B", minimum=4), Column("C", minimum=6))
    widths = fit(columns, cells, width)
    natural = [max([len(c.header)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    assert widths[0] == natural[0]  # no minimum: never narrowed
    assert all(1 <= w <= n for w, n in zip(widths, natural, strict=True))
    floors = [natural[0], min(natural[1], 4), min(natural[2], 6)]
    if sum(floors) + 4 <= width:  # the minimums fit: kept, and the row fits
        assert widths[1] >= floors[1] and widths[2] >= floors[2]
        assert sum(widths) + 4 <= width
    elif natural[0] + 2 + 4 <= width:  # else narrower, down to the headers, still fits
        assert sum(widths) + 4 <= width


def test_an_empty_scan() -> None:
    empty = replace(_scan("x"), components=(), origins=(), findings=())
    text = TableRenderer(width=80).render(empty)
    assert "  by country:" in text.splitlines()
    assert text.splitlines()[-1] == "0 components; 0 findings blocked"
