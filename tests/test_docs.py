"""The README and docs/ stay true to the code.

- Every `auditor` command line they quote parses against the real click group: fenced lines
  (`auditor …` or `$ auditor …`) completely, with placeholders (`SCAN_ID`, `PURL`, `N`, `<…>`)
  given a sample value; inline spans (`` `auditor …` ``) by their command and option names.
- The examples in ```console blocks run: in reading order, against a copy of `examples/`, with a
  store of their own and no network (tests/conftest.py points every registry at a closed
  loopback port; the examples are `--offline` or `--no-resolve`). `SCAN_ID` there is the newest
  stored scan. Each must exit 0, or the code a trailing `# exits N` comment names, and print the
  output lines shown under it (`…` matches anything, runs of spaces are one). A page in docs/
  starts where the README's first scan leaves off.
- Links between the pages resolve, headings included; the target-kind prefixes, the rule
  tables, the JSON fields, the strengths, the readers and the Python entry points they name
  are the code's own.
"""

from __future__ import annotations

import importlib
import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from auditor.cli import cli

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
DOCS = tuple(sorted((REPO / "docs").glob("*.md")))
PAGES = (README, *DOCS)

FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w-]*)")
PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_]*|<[^>]+>")
SAMPLES = {"N": "5", "PATH": "examples", "DIR": "examples", "FILE": "snapshot.jsonl"}
"""Sample values for placeholders whose parameter is typed; any other placeholder is a string."""
EXITS = re.compile(r"\s+#\s*exits?\s+(\d+)\b.*$")
COMMENT = re.compile(r"\s+#.*$")


def _name(page: Path) -> str:
    return page.relative_to(REPO).as_posix()


@dataclass(frozen=True)
class Quoted:
    """One `auditor` command line quoted in a fenced block."""

    page: Path
    line: int
    text: str
    """The line from `auditor` on, without a trailing comment."""
    runnable: bool
    """In a ```console block: run it, not only parse it."""
    exit_code: int = 0
    output: tuple[str, ...] = ()
    """The lines shown under it in a console block."""

    def __str__(self) -> str:
        return f"{_name(self.page)}:{self.line}: {self.text}"


def _split(page: Path) -> tuple[list[tuple[str, list[tuple[int, str]]]], str]:
    """(fenced blocks as (info string, numbered lines), the prose with the blocks blanked)."""
    blocks: list[tuple[str, list[tuple[int, str]]]] = []
    prose: list[str] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opened = FENCE.match(lines[i])
        if opened is None:
            prose.append(lines[i])
            i += 1
            continue
        fence, info = opened.groups()
        body: list[tuple[int, str]] = []
        i += 1
        while i < len(lines) and not re.fullmatch(rf"\s*{fence[0]}{{{len(fence)},}}\s*", lines[i]):
            body.append((i + 1, lines[i]))
            i += 1
        i += 1
        blocks.append((info, body))
        prose.extend("" for _ in range(len(body) + 2))
    return blocks, "\n".join(prose)


def quoted(page: Path) -> Iterator[Quoted]:
    """The command lines of one page's fenced blocks, in order."""
    for info, body in _split(page)[0]:
        console = info == "console"
        current: dict[str, Any] | None = None
        for number, raw in body:
            line = raw.strip()
            command = line.removeprefix("$ ")
            if (console and line.startswith("$ ")) or command.startswith("auditor "):
                if current is not None:
                    yield Quoted(**current)
                current = None
                if command.startswith("auditor "):
                    exits = EXITS.search(command)
                    current = {
                        "page": page,
                        "line": number,
                        "text": COMMENT.sub("", command),
                        "runnable": console,
                        "exit_code": int(exits.group(1)) if exits else 0,
                        "output": (),
                    }
            elif console and current is not None and line:
                current["output"] = (*current["output"], line)
        if current is not None:
            yield Quoted(**current)


def spans(page: Path) -> list[str]:
    """Inline code spans of the prose (they may wrap), with whitespace collapsed."""
    prose = _split(page)[1]
    return [" ".join(m.group(1).split()) for m in re.finditer(r"`([^`]+)`", prose)]


QUOTED = [q for page in PAGES for q in quoted(page)]


def _tokens(text: str) -> list[str]:
    """shlex words after `auditor`; synopsis marks (`[…]`, `a|b`, `…`) read as the first choice."""
    words: list[str] = []
    for word in shlex.split(text)[1:]:
        word = word.replace("[", "").replace("]", "").rstrip("…")
        if word in ("", "|", "...", "/"):
            continue
        if "|" in word and not word.startswith(("http", "'", '"')):
            word = word.split("|")[0]
        words.append(word)
    return words


def _has_placeholder(words: list[str]) -> bool:
    return any(PLACEHOLDER.fullmatch(w) for w in words)


def _filled(words: list[str]) -> list[str]:
    return [SAMPLES.get(w, w) if PLACEHOLDER.fullmatch(w) else w for w in words]


def parse(words: list[str]) -> click.Context:
    """Parse argv as `auditor` would, down to the subcommand, without running anything:
    an unknown command or option, a missing argument or a bad value raises click's error."""
    command: click.Command = cli
    name, parent, args = "auditor", None, list(words)
    while isinstance(command, click.Group):
        ctx = command.context_class(
            command, info_name=name, parent=parent, **command.context_settings
        )
        with ctx.scope(cleanup=False):
            rest = click.Command.parse_args(command, ctx, args)
        if not rest:
            raise click.UsageError(f"{name}: no command given", ctx)
        found, sub, args = command.resolve_command(ctx, rest)
        assert found is not None and sub is not None
        command, name, parent = sub, found, ctx
    return command.make_context(name, args, parent=parent)


# --- every quoted command line parses ------------------------------------------------------


@pytest.mark.parametrize("line", QUOTED, ids=str)
def test_quoted_command_line_parses(line: Quoted, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # paths the options require to exist: examples/, rules/
    words = _filled(_tokens(line.text))
    try:
        parse(words)
    except click.exceptions.Exit as done:  # --help, --version
        assert done.exit_code == 0
    except click.ClickException as exc:
        pytest.fail(f"{line}\n  does not parse: {exc.format_message()}")


def test_pages_quote_command_lines() -> None:
    assert len(QUOTED) > 40
    assert sum(q.runnable for q in QUOTED) > 20


def _inline_commands() -> list[tuple[Path, str]]:
    return [(p, s) for p in PAGES for s in spans(p) if s.startswith("auditor ")]


@pytest.mark.parametrize(("page", "span"), _inline_commands(), ids=lambda v: str(v)[:60])
def test_inline_command_names_real_commands_and_options(page: Path, span: str) -> None:
    words = _tokens(span)
    command: click.Command = cli
    ctx = click.Context(cli, info_name="auditor")
    known = {o for p in cli.params for o in (*p.opts, *p.secondary_opts)}
    for word in words:
        if isinstance(command, click.Group) and not word.startswith("-"):
            sub = command.get_command(ctx, word)
            assert sub is not None, f"{_name(page)}: `{span}`: no command {word!r}"
            command = sub
            known |= {o for p in sub.params for o in (*p.opts, *p.secondary_opts)}
        elif word.startswith("-"):
            option = word.split("=")[0]
            assert option in known, f"{_name(page)}: `{span}`: no option {option} here"


# --- the console examples run --------------------------------------------------------------


def _matches(expected: str, output: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in " ".join(expected.split()).split("…"))
    return any(re.fullmatch(pattern, " ".join(line.split())) for line in output.splitlines())


def _newest_scan(db: str) -> str:
    from auditor.store import open_store

    with open_store(db) as store:
        found = store.list_scans(None, 1)
    assert found, "SCAN_ID: no scan stored yet"
    return found[0].id


def _run(line: Quoted, db: str) -> None:
    words = _tokens(line.text)
    placeholders = {w for w in words if PLACEHOLDER.fullmatch(w)}
    assert placeholders <= {"SCAN_ID"}, f"{line}: a console example has placeholders"
    if placeholders:
        newest = _newest_scan(db)
        words = [newest if w == "SCAN_ID" else w for w in words]
    result = CliRunner().invoke(cli, words, prog_name="auditor")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == line.exit_code, (
        f"{line}\n  exit {result.exit_code}:\n{result.output}"
    )
    for expected in line.output:
        assert _matches(expected, result.output), (
            f"{line}\n  no line {expected!r} in:\n{result.output}"
        )


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_console_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # symlinks kept: the demo Hugging Face cache links snapshots to blobs, as huggingface_hub does
    shutil.copytree(REPO / "examples", tmp_path / "examples", symlinks=True)
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    db = f"sqlite:///{tmp_path / 'auditor.db'}"
    monkeypatch.setenv("AUDITOR_DB", db)
    monkeypatch.chdir(tmp_path)
    runnable = [q for q in quoted(page) if q.runnable]
    if page != README:  # where the README's first scan leaves off: snapshots imported, scanned
        runnable = [q for q in quoted(README) if q.runnable][:3] + runnable
    for line in runnable:
        _run(line, db)


# --- links and the facts the pages state ---------------------------------------------------


def _anchors(page: Path) -> set[str]:
    """The page's heading anchors, slugged as GitHub does."""
    headings = re.findall(r"^#{1,6}\s+(.*)$", _split(page)[1], flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_links_resolve(page: Path) -> None:
    prose = _split(page)[1]
    for target in re.findall(r"\]\(([^)\s]+)\)", prose):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{_name(page)}: link to {target}: no such file"
        if anchor:
            assert anchor in _anchors(linked), f"{_name(page)}: link to {target}: no heading"


def test_readme_links_every_reference_page() -> None:
    linked = set(re.findall(r"\]\((docs/[^)#\s]+)", README.read_text(encoding="utf-8")))
    assert {_name(d) for d in DOCS} <= linked


def test_readme_is_the_users_manual() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text
    assert "../shared" not in text
    for page in PAGES:  # the package is not published: installs are from a checkout
        assert not re.search(r"pip install [\"']?origin-auditor", page.read_text("utf-8")), page


def _readme_prefixes() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(r"^\| `([a-z-]+):PATH` \|", text, flags=re.MULTILINE)


def test_every_target_prefix_is_listed_once() -> None:
    from auditor.pipeline import PREFIXES

    listed = _readme_prefixes()
    assert len(listed) == len(set(listed)), listed
    assert set(listed) == set(PREFIXES)


def test_scan_help_names_every_target_prefix() -> None:
    result = CliRunner().invoke(cli, ["scan", "--help"], prog_name="auditor")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    missing = [p for p in _readme_prefixes() if f"{p}:" not in text]
    assert not missing, f"`auditor scan --help` does not name the prefixes {missing}"


DOTTED = re.compile(r"(?<![\w/.-])auditor(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_]\w*)?(?![\w/-])")
NOT_PYTHON = re.compile(r"auditor\.(toml|db|sarif|md|json|yaml|yml|py|service|timer)")


def _dotted_names() -> list[str]:
    names = {
        m.group(0)
        for page in PAGES
        for span in spans(page)
        for m in DOTTED.finditer(span)
        if not NOT_PYTHON.fullmatch(m.group(0))
    }
    return sorted(names)


def _resolve(name: str) -> object:
    module_name, _, attribute = name.partition(":")
    parts = module_name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for part in [*parts[cut:], *([attribute] if attribute else [])]:
            found = getattr(found, part)
        return found
    raise ModuleNotFoundError(name)


@pytest.mark.parametrize("name", _dotted_names())
def test_named_python_objects_exist(name: str) -> None:
    try:
        _resolve(name)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"`{name}` is named in the docs but cannot be imported: {exc}")


def test_python_entry_points_are_documented() -> None:
    names = set(_dotted_names())
    for entry in (
        "auditor.references.references_in_text",
        "auditor.weights.inspect.inspect_weight_file",
        "auditor.policy.check.check_model",
        "auditor.cli:main",
    ):
        assert entry in names


def _rule_rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in (REPO / "docs" / "rules.md").read_text(encoding="utf-8").splitlines():
        if row := re.match(r"\| `([a-z0-9-]+(?:\.[a-z0-9-]+)+)` \|(.*)\|$", line):
            cells = [c.strip() for c in row.group(2).split("|")]
            stamps = [c for c in cells if re.fullmatch(r"[a-z]+ / [a-z]+", c)]
            if not stamps:  # another table's row (facts, conditions)
                continue
            assert row.group(1) not in rows, f"docs/rules.md lists {row.group(1)} twice"
            rows[row.group(1)] = stamps
    return rows


def test_rule_tables_match_the_code() -> None:
    from auditor.policy.builtin import builtin_rules
    from auditor.policy.engine import load_policy

    policy = load_policy()
    rows = _rule_rows()
    builtin = {b.id: b for b in builtin_rules()}
    pack = {r.id: r for p in policy.packs for r in p.rules}
    assert set(rows) == set(builtin) | set(pack)
    for rule_id, rule in builtin.items():
        stamped = policy.stamp(rule_id, rule.severity, rule.action)
        assert stamped is not None
        expected = [f"{rule.severity} / {rule.action}", f"{stamped[0]} / {stamped[1]}"]
        assert rows[rule_id] == expected, rule_id
    for rule_id, data in pack.items():
        assert rows[rule_id] == [f"{data.severity} / {data.action}"], rule_id


def _schema_words(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties":
                yield from value
            elif key == "enum":  # JSON's null is written `null`
                yield from ("null" if v is None else str(v) for v in value)
            yield from _schema_words(value)
    elif isinstance(node, list):
        for item in node:
            yield from _schema_words(item)


def test_json_page_names_every_field_and_value(scan_schema: Any) -> None:
    text = (REPO / "docs" / "json.md").read_text(encoding="utf-8")
    missing = sorted({w for w in _schema_words(scan_schema.schema) if f"`{w}`" not in text})
    assert not missing, f"docs/json.md does not name {missing}"


def test_evidence_page_ranks_the_strengths() -> None:
    from auditor.model import Strength

    text = (REPO / "docs" / "evidence.md").read_text(encoding="utf-8")
    rows = [text.find(f"| `{s.value}` |") for s in sorted(Strength, key=lambda s: -s.rank)]
    assert -1 not in rows and rows == sorted(rows)


def test_inputs_page_names_every_reader() -> None:
    from auditor.collectors import COLLECTORS
    from auditor.collectors.parsers import PARSERS

    text = (REPO / "docs" / "inputs.md").read_text(encoding="utf-8")
    readers = {p.name for p in PARSERS} | {c.name for c in COLLECTORS} - {"lockfiles"}
    missing = sorted(r for r in readers if f"| `{r}` |" not in text)
    assert not missing, f"docs/inputs.md has no row for {missing}"


def test_the_readme_documents_every_shipped_screening_list() -> None:
    """Each list's id, version and date in the README's Screening table, and its source."""
    from auditor.screening.lists import load_lists

    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## Screening\n") :]
    section = section[: section.index("\n## ", 1)]
    for s in load_lists():
        row = next((x for x in section.splitlines() if x.startswith(f"| `{s.id}` |")), None)
        assert row is not None, f"README's Screening table lacks {s.id}"
        for value in (s.version, s.published, s.source):
            assert value in row, (s.id, value)
