"""Hosted-model clients in Python, read with `ast` (never imported or run).

Recognised (each library's documented constructor or call): the OpenAI, Anthropic, Google
GenAI, Mistral, Cohere, Groq, Together, Zhipu (`zhipuai`/`zai`), Volcengine Ark clients and
Azure OpenAI (`base_url=`/`azure_endpoint=`/`server_url=` decide the endpoint), DashScope's
`Generation.call(model=)` family, Qianfan's `ChatCompletion(model=)`, boto3 Bedrock runtime
clients (`modelId=` on `invoke_model`/`converse`), LiteLLM calls (`model="provider/name"`,
`api_base=`), and LangChain / LlamaIndex provider classes. A client bound to a name
(`client = OpenAI(...)`, `self.client = …`) gives the model of each later
`client.<…>.create(model="…")` call; a module or function constant (`MODEL = "qwen-max"`) and
`os.getenv("X", "default")`'s default are followed once.

Speed: a file is parsed only when it mentions one of the libraries.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from auditor.errors import Diagnostic
from auditor.services import Extracted, ServiceUse, clean_endpoint, provider_for
from auditor.services.catalogue import RUNTIME_ENDPOINT
from auditor.services.python_clients import CLIENTS, Client, litellm_provider

_MODULES = re.compile(
    r"\b(?:openai|anthropic|genai|generativeai|mistralai|cohere|groq|together|zhipuai|zai|"
    r"volcenginesdkarkruntime|qianfan|dashscope|litellm|langchain\w*|llama_index|boto3)\b"
)
_BEDROCK_CALLS = frozenset(
    {"invoke_model", "invoke_model_with_response_stream", "converse", "converse_stream"}
)


_METHODS = (
    "create", "complete", "chat", "converse", "converse_stream", "invoke_model",
    "invoke_model_with_response_stream", "generate_content", "do", "client", "stream",
)  # fmt: skip
"""Calls on a client that may name the model (`client.chat.completions.create(model=)`)."""
_NAMES = tuple(sorted({name for _, name in CLIENTS}))
_AS = re.compile(r"\s+as\s+(\w+)")
_SETTING = re.compile(
    r"(?m)^[A-Za-z_]\w*\s*(?::[^=\n]*)?=\s*os\.(?:getenv|environ\.get)\(|^.*\.base_http_api_url\s*="
)
_IMPORT_LINE = re.compile(r"(?m)^[ \t]+(?:import|from)[ \t]")


def _hit_lines(text: str) -> list[int]:
    """Lines that may matter: a client's construction or a call that may name a model, an
    endpoint setting (`X = os.getenv(…)`, `dashscope.base_http_api_url = …`) and an indented
    import (`try: import openai`); `str.find` per name, as python_refs does, for speed."""
    starts: list[int] = []
    names = list(_NAMES)
    for name in _NAMES:
        at = text.find(name)
        while at >= 0:  # `from openai import OpenAI as OA`: OA's calls count too
            if (alias := _AS.match(text, at + len(name))) is not None:
                names.append(alias.group(1))
            at = text.find(name, at + len(name))
    for name in names:
        at = text.find(name)
        while at >= 0:
            end = at + len(name)
            before = text[at - 1] if at else " "
            if not (before.isalnum() or before == "_") and text[end : end + 1] == "(":
                starts.append(at)
            at = text.find(name, end)
    for method in _METHODS:
        at = text.find(f".{method}(")
        while at >= 0:
            starts.append(at)
            at = text.find(f".{method}(", at + 1)
    starts.extend(m.start() for m in _SETTING.finditer(text))
    starts.extend(m.start() for m in _IMPORT_LINE.finditer(text))
    return sorted({text.count("\n", 0, at) + 1 for at in starts})


def python_services(path: str, text: str) -> Extracted:
    """Service uses in one Python file. Only the statements around the lines that may
    matter are parsed (python_refs' `_statements_near`: those spanning a hit, imports and
    module-level string constants), the whole file when a piece does not parse alone."""
    if _MODULES.search(text) is None:
        return Extracted()
    hits = _hit_lines(text)
    if not hits:
        return Extracted()
    from auditor.references.python_refs import _statements_near

    tree = _statements_near(text, hits)
    if tree is None:
        try:
            tree = ast.parse(text, path)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            line = getattr(exc, "lineno", None)
            where = f"{path}:{line}" if line else path
            problem = Diagnostic(where, "not valid Python; not searched for AI services")
            return Extracted(diagnostics=(problem,))
    return Extracted(tuple(_Reader(path, tree).uses()))


@dataclass(frozen=True, slots=True)
class _Bound:
    """A client made at `line`: its provider and endpoint."""

    provider: str | None
    endpoint: str | None
    line: int
    via: str


class _Reader:
    def __init__(self, path: str, tree: ast.Module) -> None:
        self.path = path
        self.tree = tree
        self.imported = _imports(tree)
        self.constants = _constants(tree)
        self.dashscope_url = self._dashscope_url()

    def _dashscope_url(self) -> str | None:
        """`dashscope.base_http_api_url = "https://dashscope-intl…/api/v1"`: the region every
        DashScope call in the file goes to (the SDK's documented way to pick one)."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "base_http_api_url"
                    and self._qualified(target.value) == "dashscope"
                ):
                    return self._text(node.value)
        return None

    def _qualified(self, func: ast.expr) -> str | None:
        """`openai.OpenAI` for `OpenAI` imported from openai, `oa.OpenAI` with `import openai
        as oa`, `dashscope.Generation.call` …; None when the root is not imported."""
        parts: list[str] = []
        node = func
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.imported:
            return None
        return ".".join([self.imported[node.id], *reversed(parts)])

    def _client(self, call: ast.Call) -> tuple[Client, str] | None:
        qualified = self._qualified(call.func)
        if qualified is None:
            return None
        for (module, name), client in CLIENTS.items():
            if qualified.endswith(f".{name}") and (
                qualified.startswith(module + ".") or qualified.startswith(module + "_")
            ):
                return client, qualified
        return None

    def _text(self, node: ast.expr | None) -> str | None:
        """A literal string, a constant bound to one, or `os.getenv(_, "default")`'s default."""
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        if isinstance(node, ast.Call) and len(node.args) == 2:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("getenv", "get"):
                return self._text(node.args[1])
        return None

    def _argument(self, call: ast.Call, keys: tuple[str, ...], index: int | None) -> str | None:
        for kw in call.keywords:
            if kw.arg in keys:
                return self._text(kw.value)
        if index is not None and len(call.args) > index:
            return self._text(call.args[index])
        return None

    def uses(self) -> list[ServiceUse]:
        calls = sorted(
            (n for n in ast.walk(self.tree) if isinstance(n, ast.Call)),
            key=lambda n: (n.lineno, n.col_offset),
        )
        bound = self._bindings()
        used_clients: set[int] = set()
        found: list[ServiceUse] = []
        for call in calls:
            made = self._client(call)
            if made is not None:
                use = self._construction(call, *made)
                if use is not None:
                    found.append(use)
                continue
            root = _chain_root(call.func)
            client = bound.get(root) if root is not None else None
            if client is None and isinstance(root_call := _root_call(call.func), ast.Call):
                client = self._inline(root_call)
            if client is None:
                continue
            method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
            keys = ("modelId",) if method in _BEDROCK_CALLS else ("model",)
            model = self._argument(call, keys, None)
            if model is None:
                continue
            used_clients.add(client.line)
            provider = client.provider or litellm_provider(model)[0]
            if provider is None:
                continue
            found.append(ServiceUse(provider, model, client.endpoint, self.path, call.lineno,
                                    f"{client.via}, {method}(model=)"))  # fmt: skip
        # A client whose calls name models is reported at those calls; one that names none
        # (its model comes from elsewhere) at the line that made it.
        return [u for u in found if not (u.model is None and u.line in used_clients)]

    def _construction(self, call: ast.Call, client: Client, qualified: str) -> ServiceUse | None:
        via = f"{qualified}()"
        url = self._argument(call, client.url_keys, None) if client.url_keys else None
        if url is None and qualified.startswith("dashscope."):
            url = self.dashscope_url
        endpoint = clean_endpoint(url) if url else None
        # `base_url=settings.URL`: some endpoint, not the library's default (Azure's class
        # alone names its operator)
        unresolved = (
            url is None
            and client.provider != "azure-openai"
            and any(kw.arg in client.url_keys for kw in call.keywords)
        )
        model = (
            self._argument(call, client.model_keys, client.model_arg) if client.model_keys else None
        )
        provider = client.provider
        if qualified.startswith("litellm."):
            if model is None:
                return None
            provider, model = litellm_provider(model)
            via = f"{qualified}(model=)"
        provider = RUNTIME_ENDPOINT if unresolved else provider_for(endpoint, provider)
        if provider is None:
            return None
        return ServiceUse(provider, model, endpoint, self.path, call.lineno, via)

    def _inline(self, call: ast.Call) -> _Bound | None:
        made = self._client(call)
        if made is None:
            return self._bedrock(call)
        use = self._construction(call, *made)
        if use is None:
            return None
        return _Bound(use.provider, use.endpoint, use.line, use.via)

    def _bedrock(self, call: ast.Call) -> _Bound | None:
        """`boto3.client("bedrock-runtime", region_name=…)`: the Bedrock runtime endpoint."""
        qualified = self._qualified(call.func)
        if qualified not in ("boto3.client", "boto3.session.Session.client") and not (
            isinstance(call.func, ast.Attribute) and call.func.attr == "client"
        ):
            return None
        service = self._argument(call, ("service_name",), 0)
        if service not in ("bedrock-runtime", "bedrock-agent-runtime"):
            return None
        region = self._argument(call, ("region_name",), None)
        endpoint = f"https://bedrock-runtime.{region}.amazonaws.com" if region else None
        return _Bound("aws-bedrock", endpoint, call.lineno, f"boto3.client({service!r})")

    def _bindings(self) -> dict[str, _Bound]:
        """Names (and `self.<attr>`) bound to a client anywhere in the file."""
        found: dict[str, _Bound] = {}
        for node in ast.walk(self.tree):
            value: ast.expr | None = None
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                value, targets = node.value, node.targets
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                value, targets = node.value, [node.target]
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                value, targets = node.context_expr, [node.optional_vars]
            if not isinstance(value, ast.Call):
                continue
            bound = self._inline(value)
            if bound is None:
                continue
            for target in targets:
                name = _target_name(target)
                if name is not None:
                    found[name] = bound
        return found


def _target_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return None


def _chain_root(func: ast.expr) -> str | None:
    """`client` for `client.chat.completions.create`, `self.client` for
    `self.client.messages.create`; None for a bare function."""
    node = func
    chain: list[ast.expr] = []
    while isinstance(node, ast.Attribute):
        chain.append(node)
        node = node.value
    if not chain or not isinstance(node, ast.Name):
        return None
    if len(chain) >= 2:
        # `self.client.x.create`: chain[-1] is `self.client`
        candidate = chain[-1]
        assert isinstance(candidate, ast.Attribute)
        return node.id if node.id != "self" else f"self.{candidate.attr}"
    return node.id


def _root_call(func: ast.expr) -> ast.expr:
    node = func
    while isinstance(node, ast.Attribute):
        node = node.value
    return node


def _imports(tree: ast.Module) -> dict[str, str]:
    """Each local name an import binds, and the dotted name it stands for."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    found[alias.asname] = alias.name
                else:
                    root = alias.name.partition(".")[0]
                    found[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found


def _constants(tree: ast.Module) -> dict[str, str]:
    """Names bound to exactly one string literal in the file (`MODEL = "qwen-max"`)."""
    values: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name):
            text = _literal_or_default(value)
            values.setdefault(target.id, set()).add(text if text is not None else "\0")
    return {k: next(iter(v)) for k, v in values.items() if len(v) == 1 and "\0" not in v}


def _literal_or_default(value: ast.expr) -> str | None:
    """A string literal, or the literal default of `os.getenv("X", "…")` /
    `os.environ.get("X", "…")`: what runs when the variable is not set."""
    if isinstance(value, ast.Constant):
        return value.value if isinstance(value.value, str) else None
    if isinstance(value, ast.Call) and len(value.args) == 2:
        func = value.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("getenv", "get"):
            return _literal_or_default(value.args[1])
    return None
