"""Hub model references in Python, read with `ast` (never imported or run).

Calls recognised (the libraries' documented signatures): transformers/diffusers/peft
`*.from_pretrained(pretrained_model_name_or_path, revision=)`, transformers
`pipeline(task, model=, revision=)`, huggingface_hub `hf_hub_download(repo_id, …,
revision=, repo_type=)` and `snapshot_download(repo_id, revision=, repo_type=)`,
sentence-transformers `SentenceTransformer(model_name_or_path, revision=)` and
`CrossEncoder(model_name, revision=)`, vLLM `LLM(model=, revision=)`, ModelScope
`snapshot_download(model_id, revision=)` (when imported from `modelscope`). A name bound to
a string literal anywhere in the module (`MODEL_ID = "org/name"`) is followed once.
"""

from __future__ import annotations

import ast
import re

from auditor.errors import Diagnostic
from auditor.references import Extracted, ModelReference
from auditor.weights.lineage import repo_id

TRIGGER = re.compile(
    r"from_pretrained|pipeline|hf_hub_download|snapshot_download|SentenceTransformer"
    r"|CrossEncoder|\bLLM\b"
)
"""Files without any of these cannot hold a reference: `ast` is skipped for them."""

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
    for node in ast.walk(tree):
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


def _constants(tree: ast.Module) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in ast.walk(tree):
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


def python_references(path: str, text: str) -> Extracted:
    """References in one Python file; a file that does not parse is a diagnostic."""
    if not TRIGGER.search(text):
        return Extracted()
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        return Extracted(
            diagnostics=(Diagnostic(f"{path}:{exc.lineno}", f"not valid Python: {exc.msg}"),)
        )
    except (ValueError, RecursionError, MemoryError) as exc:
        return Extracted(diagnostics=(Diagnostic(path, f"not valid Python: {exc}"),))
    constants = _constants(tree)
    modelscope, aliases = _imports(tree)
    found: list[ModelReference] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
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
