"""Hosted-model clients in JavaScript/TypeScript, by a token-level scan (no JS parser).

The tokenizer knows comments, string and template literals and punctuation, so a call in a
comment or an SDK name inside a string is not code. Recognised: an import or `require` of a
client SDK (`openai`, `@anthropic-ai/sdk`, `@google/genai`, `@mistralai/mistralai`,
`groq-sdk`, `together-ai`, `cohere-ai`, Vercel AI SDK providers `@ai-sdk/<provider>`), then
`new <Client>({ baseURL: "…" })` (its endpoint), `<client>.<…>({ model: "…" })` (its
model), and the AI SDK's `createOpenAI({ baseURL })` / `deepseek("deepseek-chat")`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from auditor.services import Extracted, ServiceUse, clean_endpoint, provider_for
from auditor.services.catalogue import RUNTIME_ENDPOINT

# package -> provider a client from it reaches without an endpoint (None: only the endpoint says)
PACKAGES: dict[str, str | None] = {
    "openai": "openai", "@anthropic-ai/sdk": "anthropic", "@google/genai": "google-gemini",
    "@google/generative-ai": "google-gemini", "@mistralai/mistralai": "mistral",
    "groq-sdk": "groq", "together-ai": "together", "cohere-ai": "cohere",
    "@ai-sdk/openai": "openai", "@ai-sdk/anthropic": "anthropic", "@ai-sdk/google": "google-gemini",
    "@ai-sdk/mistral": "mistral", "@ai-sdk/groq": "groq", "@ai-sdk/togetherai": "together",
    "@ai-sdk/deepseek": "deepseek", "@ai-sdk/cohere": "cohere", "@ai-sdk/azure": "azure-openai",
    "@ai-sdk/zai": "zhipu", "@ai-sdk/openai-compatible": None, "@langchain/openai": "openai",
    "@langchain/anthropic": "anthropic", "@langchain/deepseek": "deepseek",
}  # fmt: skip
_CLASSES_AZURE = frozenset({"AzureOpenAI"})
_URL_KEYS = frozenset({"baseURL", "baseUrl", "endpoint", "serverURL", "apiBase"})
_MODEL_KEYS = frozenset({"model", "modelName"})
_TRIGGER = re.compile(
    r"openai|anthropic|@google/|mistral|groq|together|cohere|@ai-sdk/|@langchain/"
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    """`id`, `str` (a literal without substitutions), `tpl` (a template with `${}`), `p`."""
    text: str
    line: int


def tokens(text: str) -> list[Token]:
    """Identifiers, string literals and punctuation; comments and white space dropped."""
    out: list[Token] = []
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += text.count("\n", i, end)
            i = end
        elif c in "'\"`":
            j, parts, substituted = i + 1, [], False
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    parts.append(text[j + 1])
                    j += 2
                    continue
                if c != "`" and text[j] == "\n":
                    break  # an unterminated string ends at the line
                if c == "`" and text.startswith("${", j):
                    substituted = True
                parts.append(text[j])
                j += 1
            out.append(Token("tpl" if substituted else "str", "".join(parts), line))
            line += text.count("\n", i, j)
            i = j + 1
        elif c.isalpha() or c in "_$@":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "_$"):
                j += 1
            out.append(Token("id", text[i:j], line))
            i = j
        else:
            out.append(Token("p", c, line))
            i += 1
    return out


def js_services(path: str, text: str) -> Extracted:
    """Service uses in one JavaScript/TypeScript file."""
    if _TRIGGER.search(text) is None:
        return Extracted()
    toks = tokens(text)
    imported = _imports(toks)
    if not imported:
        return Extracted()
    return Extracted(tuple(_uses(toks, imported, path)))


def _imports(toks: list[Token]) -> dict[str, tuple[str, str]]:
    """Local names bound by an import/require of a known package -> (package, name)."""
    found: dict[str, tuple[str, str]] = {}
    for i, t in enumerate(toks):
        if t.kind != "str" or t.text not in PACKAGES:
            continue
        package = t.text
        if i >= 1 and toks[i - 1].text == "from":
            j = i - 2  # walk back to `import`
            names: list[tuple[str, str]] = []
            while j >= 0 and toks[j].text != "import":
                if toks[j].kind == "id" and toks[j].text not in ("as", "type", "from"):
                    aliased = j >= 2 and toks[j - 1].text == "as"
                    original = toks[j - 2].text if aliased else toks[j].text
                    names.append((toks[j].text, original))
                j -= 1
            found.update({local: (package, original) for local, original in names})
        elif i >= 2 and toks[i - 1].text == "(" and toks[i - 2].text == "require":
            # const OpenAI = require("openai") / const { OpenAI } = require("openai")
            j = i - 3
            if j >= 0 and toks[j].text == "=":
                j -= 1
                while j >= 0 and toks[j].text not in ("const", "let", "var"):
                    if toks[j].kind == "id":
                        found[toks[j].text] = (package, toks[j].text)
                    j -= 1
    return found


def _object(toks: list[Token], start: int) -> tuple[dict[str, Token], int]:
    """The `key: value` pairs at depth one of the object literal opening at `start`, each
    value's first token (a `str` for a literal; `id`, `tpl` … for what is not written out)."""
    pairs: dict[str, Token] = {}
    depth, i = 0, start
    while i < len(toks):
        t = toks[i]
        if t.text in "{[(" and t.kind == "p":
            depth += 1
        elif t.text in "}])" and t.kind == "p":
            depth -= 1
            if depth == 0:
                return pairs, i
        elif (
            depth == 1
            and t.kind in ("id", "str")
            and i + 2 < len(toks)
            and toks[i + 1].text == ":"
            and (i == start + 1 or toks[i - 1].text in (",", "{"))
        ):
            pairs[t.text] = toks[i + 2]
        i += 1
    return pairs, i


def _literal(pairs: dict[str, Token], keys: frozenset[str]) -> str | None:
    """The first of `keys` whose value is a string literal."""
    return next((pairs[k].text for k in keys if k in pairs and pairs[k].kind == "str"), None)


def _uses(
    toks: list[Token], imported: dict[str, tuple[str, str]], path: str
) -> Iterator[ServiceUse]:
    clients: dict[
        str, tuple[str, str | None, int, str]
    ] = {}  # var -> provider, endpoint, line, via
    constructed: set[str] = set()
    pending: list[ServiceUse] = []
    for i, t in enumerate(toks):
        if t.kind != "id" or t.text not in imported:
            continue
        package, original = imported[t.text]
        default = "azure-openai" if original in _CLASSES_AZURE else PACKAGES[package]
        is_new = i >= 1 and toks[i - 1].text == "new"
        is_call = i + 1 < len(toks) and toks[i + 1].text == "("
        if not is_call:
            continue
        args = toks[i + 2] if i + 2 < len(toks) else None
        via = f"{package}:{'new ' if is_new else ''}{original}()"
        if is_new or original.startswith("create"):
            pairs, _ = _object(toks, i + 2) if args is not None and args.text == "{" else ({}, i)
            token = next((pairs[k] for k in _URL_KEYS if k in pairs), None)
            url = token.text if token is not None and token.kind == "str" else None
            endpoint = clean_endpoint(url) if url else None
            provider = provider_for(endpoint, default)
            if token is not None and url is None and default != "azure-openai":
                provider = RUNTIME_ENDPOINT  # `baseURL: url`: set, not written out
            if provider is None:
                continue
            model = _literal(pairs, _MODEL_KEYS)
            var = _assigned(toks, i - (2 if is_new else 1))
            if var is not None:
                clients[var] = (provider, endpoint, t.line, via)
            pending.append(ServiceUse(provider, model, endpoint, path, t.line, via))
        elif (
            package.startswith("@ai-sdk/")
            and args is not None
            and args.kind == "str"
            and default is not None
        ):
            # deepseek("deepseek-chat"): the provider function named by the model id
            pending.append(ServiceUse(default, args.text, None, path, t.line, via))
    # client.chat.completions.create({ model: "…" }), client.messages.create({ model: "…" })
    for i, t in enumerate(toks):
        if t.kind != "id" or t.text not in clients:
            continue
        if i and toks[i - 1].text == "." and not (i >= 2 and toks[i - 2].text == "this"):
            continue  # `other.client`: not the name bound here (`this.client` is)
        j = i + 1
        while j + 1 < len(toks) and toks[j].text == "." and toks[j + 1].kind == "id":
            j += 2
        if j + 1 < len(toks) and j > i + 1 and toks[j].text == "(" and toks[j + 1].text == "{":
            pairs, _ = _object(toks, j + 1)
            model = _literal(pairs, _MODEL_KEYS)
            if model is not None:
                provider, endpoint, line, via = clients[t.text]
                constructed.add(f"{line}:{via}")
                how = f"{via}, {toks[j - 1].text}({{model}})"
                pending.append(ServiceUse(provider, model, endpoint, path, t.line, how))
    for use in pending:
        if use.model is None and f"{use.line}:{use.via}" in constructed:
            continue  # reported at the calls that name its models
        yield use


def _assigned(toks: list[Token], at: int) -> str | None:
    """`client` for `const client = new OpenAI(…)` (`at` is the `=`), `this.client = …`."""
    if at < 1 or toks[at].text != "=":
        return None
    name = toks[at - 1]
    return name.text if name.kind == "id" else None
