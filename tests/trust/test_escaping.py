"""Metadata never controls the reader's terminal, a CI log or a PR comment (issue 28).

Package names with ESC/CSI/OSC sequences, CR, newlines, bidi overrides and GitHub workflow
commands go through a real lockfile into every terminal view (scan table, gate, `report`,
`show`, `why`, `origins`, `history`, `diff` as text and Markdown); the helpers themselves
are tried on arbitrary text.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.check_models import Blocked, explain
from auditor.escape import markdown, terminal, terminal_lines, terminal_safe
from auditor.model import Action, Component, ComponentKind, Finding, Location, Severity
from auditor.policy import gate

HOSTILE = [
    "\x1b[2J\x1b[31mred\x1b[0m", "\x1b]0;pwned\x07title", "\x1b]8;;https://evil.invalid\x1b\\ln",
    "x\r::error::fake", "y\n::add-mask::abc", "::warning::z", "  ::notice::indent",
    "##[set-output name=a]b", "\x9b31mcsi", "evil\u202egnp.exe", "zero\u200bwidth",
    "# Heading\n@octocat see https://evil.invalid/x", "back\x08\x08space", "nul\x00byte",
]  # fmt: skip
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b-\u200f]")
COMMAND = re.compile(r"^\s*(::|##\[)", re.MULTILINE)


def _clean(text: str, where: str) -> None:
    assert not RAW.search(text), (where, RAW.search(text))
    assert not COMMAND.search(text), (where, COMMAND.search(text))


# --- the helpers on any text ------------------------------------------------------------


@given(st.text())
def test_terminal_is_one_safe_line(text: str) -> None:
    out = terminal(text)
    assert "\n" not in out and "\r" not in out
    _clean(out, "terminal")
    assert terminal(out) == out  # idempotent: escaping twice shows the same


@given(st.lists(st.text(), max_size=5))
def test_terminal_lines_keeps_lines_and_no_command(lines: list[str]) -> None:
    out = terminal_lines("\n".join(lines))
    _clean(out, "terminal_lines")
    assert out.count("\n") >= len(lines) - 1


@given(st.text())
def test_terminal_lines_keeps_json_valid(text: str) -> None:
    doc = json.dumps({"name": text}, ensure_ascii=False, indent=2)
    assert json.loads(terminal_lines(doc)) == {"name": text}


@given(st.text())
def test_markdown_is_one_inert_line(text: str) -> None:
    out = markdown(text)
    assert "\n" not in out and "\r" not in out
    assert not out.startswith(("#", ">")), out
    outside = re.sub(r"`[^`]*`", "", out)  # what is not a code span
    assert not re.search(r"(?<![\w@`\\])@[A-Za-z0-9]", outside), out  # no @mention
    assert not re.search(r"(?i)\bhttps?://", outside), out  # no bare link
    assert not re.search(r"(?<!\\)<", outside), out  # no HTML


@pytest.mark.parametrize(
    ("text", "shown"),
    [("1.0.0", "1.0.0"), ("- item", "\\- item"), ("## x", "\\## x"),
     ("cc @octocat", "cc `@octocat`"), ("see https://evil.invalid/a).", "see `https://evil.invalid/a`\\)."),
     ("me@mail.invalid", "me@mail.invalid")],
)  # fmt: skip
def test_markdown_examples(text: str, shown: str) -> None:
    assert markdown(text) == shown


def test_gate_and_check_models_explanations() -> None:
    evil = HOSTILE[3]
    f = Finding("package.direct-reference", Severity.LOW, Action.BLOCK, f"pkg:npm/{evil}",
                f"{HOSTILE[0]} and\n::error::x")  # fmt: skip
    _clean(gate.explain((f,), None, {f.rule: "fix\n::add-mask::y"}), "gate")
    c = Component(f"pkg:huggingface/{evil}", ComponentKind.MODEL, HOSTILE[4],
                  None, locations=(Location("t", HOSTILE[1], 3),))  # fmt: skip
    _clean(explain([Blocked(c, None, f)], None), "check-models")


def test_terminal_safe_maps_every_string_alike() -> None:
    c = Component(f"pkg:npm/{HOSTILE[0]}", ComponentKind.LIBRARY, HOSTILE[0], "1")
    safe = terminal_safe((c, c.purl))
    assert safe[0].purl == safe[1] and safe[0].kind is ComponentKind.LIBRARY


# --- every terminal view on a real lockfile ---------------------------------------------


def _auditor(*args: str, db: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args], capture_output=True, text=True, cwd=cwd,
        env={**os.environ, "AUDITOR_DB": f"sqlite:///{db}", "COLUMNS": "80",
             "PYTHONPATH": str(Path(__file__).parents[2])}, check=False,
    )  # fmt: skip


def _lockfile(folder: Path, names: list[str]) -> Path:
    packages: dict[str, object] = {
        "": {"name": "app", "dependencies": dict.fromkeys(names, "1.0.0")}
    }
    for n in names:
        packages[f"node_modules/{n}"] = {
            "version": "1.0.0",
            "resolved": f"https://files.invalid/{n}.tgz",
        }
    path = folder / "package-lock.json"
    path.write_text(json.dumps({"name": "app", "lockfileVersion": 3, "packages": packages}))
    return path


def test_every_terminal_view(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    lock = _lockfile(tmp_path, ["left-pad"])
    first = _auditor("scan", str(lock), "--no-resolve", "-f", "json", db=db, cwd=tmp_path)
    # (A NUL cannot be stored: the store refuses the scan, a bounded-input matter of its own.)
    _lockfile(tmp_path, ["left-pad", *(h for h in HOSTILE if "\x00" not in h)])
    scanned = _auditor("scan", str(lock), "--no-resolve", "--fail-on", "low", db=db, cwd=tmp_path)
    assert scanned.returncode == 1, scanned.stderr
    assert "policy failed" in scanned.stderr
    old = json.loads(first.stdout)["scan"]["id"]
    new = json.loads(_auditor("report", old[:8], "-f", "json", db=db, cwd=tmp_path).stdout)
    listed = _auditor("history", db=db, cwd=tmp_path).stdout.split()
    new_id = listed[0]
    assert new_id != new["scan"]["id"]
    doc = json.loads(_auditor("report", new_id, "-f", "json", db=db, cwd=tmp_path).stdout)
    purls = [c["purl"] for c in doc["components"]]
    assert len(purls) >= len(HOSTILE) - 2  # the hostile names made it in, as data
    views = {"scan": scanned.stdout + scanned.stderr}
    views_args = [("report", new_id), ("history",), ("diff", old, new_id),
                  ("diff", old, new_id, "-f", "markdown"), ("origins", new_id),
                  ("origins", new_id, "--by", "repository"),
                  ("report", new_id, "-f", "json")]  # fmt: skip
    for args in views_args:
        ran = _auditor(*args, db=db, cwd=tmp_path)
        assert ran.returncode == 0, (args, ran.stderr)
        views[" ".join(args[:1] + args[3:])] = ran.stdout + ran.stderr
    for purl in purls:
        for cmd in ("show", "why"):
            ran = _auditor(cmd, new_id, purl, db=db, cwd=tmp_path)
            assert ran.returncode == 0, (cmd, purl, ran.stderr)
            views[f"{cmd} {purl!r}"] = ran.stdout + ran.stderr
    for where, text in views.items():
        _clean(text, where)
    lines = views["diff -f markdown"].splitlines()
    headings = [line for line in lines if line.startswith("#")]
    assert all(h.startswith(("## Scan diff", "### ")) for h in headings), headings
    assert "@octocat" not in views["diff -f markdown"].replace("`@octocat`", "")
