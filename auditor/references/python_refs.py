"""Hub model references in Python, read with `ast` (never imported or run).

Calls recognised (the libraries' documented signatures): transformers/diffusers/peft
`*.from_pretrained(pretrained_model_name_or_path, revision=)`, transformers
`pipeline(task, model=, revision=)`, huggingface_hub `hf_hub_download(repo_id, …,
revision=, repo_type=)` and `snapshot_download(repo_id, revision=, repo_type=)`,
sentence-transformers `SentenceTransformer(model_name_or_path, revision=)` and
`CrossEncoder(model_name, revision=)`, vLLM `LLM(model=, revision=)`, ModelScope
`snapshot_download(model_id, revision=)` (when imported from `modelscope`). A name bound to
a string literal at module level (`MODEL_ID = "org/name"`) is followed once.

Speed (the pre-commit hook's budget; `ast.parse` costs ~3 ms for 200 lines): a file is
looked at only when one of the call names is followed by `(`; then only the top-level
statements spanning such a line, the imports and the module-level string constants are
parsed (each alone), and the whole file only when a piece does not parse by itself.
"""

from __future__ import annotations

import ast
import re

from auditor.errors import Diagnostic
from auditor.references import Extracted, ModelReference
from auditor.weights.lineage import repo_id

CALL_NAMES = (
    "from_pretrained",
    "pipeline",
    "hf_hub_download",
    "snapshot_download",
    "SentenceTransformer",
    "CrossEncoder",
    "LLM",
)
_AFTER = re.compile(r"\s*(\()|\s+as\s+(\w+)")
"""After a call name: `(` (a call) or `as alias` (an import alias whose calls count too)."""


def _is_word_start(text: str, at: int) -> bool:
    return at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_")


def _hit_lines(text: str) -> list[int]:
    """Lines where a recognised call (or a call through an import alias) starts.

    `str.find` per name, not one alternation regex: CPython's `re` tries every alternative at
    every offset, ten times slower on a large tree where nearly no file calls anything."""
    starts: list[int] = []
    aliases: set[str] = set()
    for name in CALL_NAMES:
        at = text.find(name)
        while at >= 0:
            end = at + len(name)
            follow = _AFTER.match(text, end)
            if follow is not None and _is_word_start(text, at):
                if follow.group(1):
                    starts.append(at)
                else:
                    aliases.add(follow.group(2))
            at = text.find(name, end)
    for alias in aliases:
        at = text.find(alias)
        while at >= 0:
            end = at + len(alias)
            follow = _AFTER.match(text, end)
            if follow is not None and follow.group(1) and _is_word_start(text, at):
                starts.append(at)
            at = text.find(alias, end)
    return sorted({text.count("\n", 0, at) + 1 for at in starts})


# call name -> (positional index of the repo, keyword names of the repo)
_CALLS: dict[str, tuple[int | None, tuple[str, ...]]] = {
    "from_pretrained": (0, ("pretrained_model_name_or_path", "model_id")),
    "pipeline": (1, ("model",)),
    "hf_hub_download": (0, ("repo_id",)),
    "snapshot_download": (0, ("repo_id", "model_id")),
    "SentenceTransformer": (0, ("model_name_or_path",)),
    "CrossEncoder": (0, ("model_name", "model_name_or_path")),
    "LLM": (0, ("model",)),
}


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _imports(tree: ast.Module) -> tuple[set[str], dict[str, str]]:
    """Local names bound to ModelScope (its downloader, the module itself), and every
    `from x import name as alias` alias with the name it stands for."""
    names: set[str] = set()
    aliases: dict[str, str] = {}
    for node in _top_level(tree.body):
        if isinstance(node, ast.ImportFrom):
            aliases.update({a.asname: a.name for a in node.names if a.asname})
            if (node.module or "").startswith("modelscope"):
                names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(
                alias.asname or alias.name
                for alias in node.names
                if alias.name.startswith("modelscope")
            )
    return names, aliases


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Module statements, looking inside top-level `try`/`if` (guarded imports)."""
    out: list[ast.stmt] = []
    for node in body:
        out.append(node)
        if isinstance(node, ast.Try | ast.If):
            out.extend(_top_level(node.body + node.orelse))
            if isinstance(node, ast.Try):
                for handler in node.handlers:
                    out.extend(_top_level(handler.body))
    return out


def _constants(tree: ast.Module) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in _top_level(tree.body):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            found[target.id] = value.value
    return found


def _string(node: ast.expr | None, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _argument(call: ast.Call, index: int | None, keywords: tuple[str, ...]) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg in keywords:
            return keyword.value
    if index is not None and index < len(call.args):
        arg = call.args[index]
        return None if isinstance(arg, ast.Starred) else arg
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _calls_on(tree: ast.Module, lines: list[int]) -> list[ast.Call]:
    """Calls inside the top-level statements that span one of `lines`."""
    calls: list[ast.Call] = []
    for statement in tree.body:
        end = statement.end_lineno or statement.lineno
        if any(statement.lineno <= line <= end for line in lines):
            calls.extend(n for n in ast.walk(statement) if isinstance(n, ast.Call))
    return calls


_CONTINUATIONS = ("else", "elif", "except", "finally", ")", "]", "}")
_CONSTANT = re.compile(r"[A-Za-z_]\w*\s*(?::[^=\n]*)?=\s*[rRuU]?[\"']")


def _starts_statement(line: str) -> bool:
    return bool(line) and line[0] not in " \t#\r\n" and not line.startswith(_CONTINUATIONS)


def _span(lines: list[str], index: int) -> tuple[int, int]:
    """The top-level statement holding line `index`: from the nearest line above that starts
    one at column 0, to the next such line (a decorator carries on into its definition)."""
    start = index
    while start > 0 and not _starts_statement(lines[start]):
        start -= 1
    end, decorated = start + 1, lines[start].startswith("@")
    while end < len(lines):
        line = lines[end]
        if _starts_statement(line):
            if not decorated:
                break
            decorated = line.startswith("@")
        end += 1
    return start, end


def _statements_near(text: str, hits: list[int]) -> ast.Module | None:
    """Only the statements that matter, parsed alone: those spanning a hit line, imports
    and module-level string constants. None when a piece does not parse on its own (a
    column-0 line inside a string): the caller then parses the whole file."""
    lines = text.splitlines(keepends=True)
    wanted = {hit - 1 for hit in hits}
    wanted.update(
        i
        for i, line in enumerate(lines)
        if line.startswith(("import ", "from ")) or _CONSTANT.match(line)
    )
    body: list[ast.stmt] = []
    covered = -1
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    for start, end in sorted({_span(lines, i) for i in wanted if i < len(lines)}):
        if start < covered:
            continue
        covered = end
        before = text[: offsets[start]]
        if before.count('"""') % 2 or before.count("'''") % 2:
            return None  # the piece may start inside a triple-quoted string
        try:
            piece = ast.parse("".join(lines[start:end]))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        ast.increment_lineno(piece, start)
        body.extend(piece.body)
    return ast.Module(body=body, type_ignores=[])


def _parse(path: str, text: str, hits: list[int]) -> ast.Module | Extracted:
    tree = _statements_near(text, hits)
    if tree is not None:
        return tree
    try:
        return ast.parse(text, filename=path)
    except SyntaxError as exc:
        return Extracted(
            diagnostics=(Diagnostic(f"{path}:{exc.lineno}", f"not valid Python: {exc.msg}"),)
        )
    except (ValueError, RecursionError, MemoryError) as exc:
        return Extracted(diagnostics=(Diagnostic(path, f"not valid Python: {exc}"),))


def python_references(path: str, text: str) -> Extracted:
    """References in one Python file; a file that does not parse is a diagnostic."""
    hits = _hit_lines(text)
    if not hits:
        return Extracted()
    tree = _parse(path, text, hits)
    if isinstance(tree, Extracted):
        return tree
    constants = _constants(tree)
    modelscope, aliases = _imports(tree)
    found: list[ModelReference] = []
    for node in _calls_on(tree, hits):
        local = _name(node.func)
        name = aliases.get(local, local) if local is not None else None
        if name not in _CALLS:
            continue
        index, keywords = _CALLS[name]
        repo = repo_id(_string(_argument(node, index, keywords), constants))
        if repo is None:
            continue
        owner = node.func.value if isinstance(node.func, ast.Attribute) else node.func
        hub = (
            "modelscope"
            if name == "snapshot_download"
            and isinstance(owner, ast.Name)
            and owner.id in modelscope
            else "huggingface"
        )
        repo_type = _string(_keyword(node, "repo_type"), constants)
        found.append(
            ModelReference(
                repo_id=repo,
                path=path,
                line=node.lineno,
                via=name,
                revision=_string(_keyword(node, "revision"), constants),
                hub=hub,
                repo_type=repo_type if repo_type in ("dataset", "space") else None,
            )
        )
    found.sort(key=lambda r: (r.line, r.repo_id))
    return Extracted(tuple(found))
