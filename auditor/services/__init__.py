"""Hosted AI services a project calls: client libraries in Python (`ast`) and
JavaScript/TypeScript (tokens), LiteLLM model strings, LangChain/LlamaIndex provider classes,
and endpoints or provider keys in `.env` files, environment blocks and configs.

`services_in_text(path, text)` is the whole extraction for one file; it needs no Tree, so the
pre-commit hook can call it on changed files. Each `ServiceUse` names a provider (an id of
rules/data/ai-services.yaml, `self-hosted`, or the endpoint's host when the data file does
not know it), the model when it is a literal, and the endpoint with credentials and query
stripped. Values of secret-named settings are never read into a use: a key's *presence*
names the provider.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from auditor.errors import Diagnostic
from auditor.services.catalogue import SELF_HOSTED, catalogue, is_self_hosted
from auditor.urls import host_of


@dataclass(frozen=True, slots=True)
class ServiceUse:
    """One place that sends requests to a hosted model API."""

    provider: str
    model: str | None
    endpoint: str | None
    """`scheme://host[:port]/path`, no credentials, query or fragment; None: the SDK default."""
    path: str
    line: int
    via: str
    """What named it: `openai.OpenAI(base_url=)`, `env:DASHSCOPE_API_KEY`, `litellm model` …"""

    @property
    def host(self) -> str | None:
        """The endpoint's host, lower case."""
        return host_of(self.endpoint) if self.endpoint else None


@dataclass(frozen=True, slots=True)
class Extracted:
    """Uses and problems from one file."""

    uses: tuple[ServiceUse, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


def clean_endpoint(url: str) -> str | None:
    """The URL as `scheme://host[:port]/path`: user, password, query and fragment dropped
    (they carry keys); None when it is not an absolute http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    where = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{where}{f':{port}' if port else ''}{parts.path.rstrip('/')}"


def provider_for(endpoint: str | None, default: str | None) -> str | None:
    """The provider an endpoint belongs to (the SDK's `default` without one): the data
    file's entry for its host, `self-hosted` for a private one, else the host itself."""
    if endpoint is None:
        return default
    host = host_of(endpoint)
    if host is None:
        return default
    if is_self_hosted(host):
        return SELF_HOSTED
    found = catalogue().by_host(host)
    return found.id if found is not None else host


_TESTS = re.compile(
    r"(?:^|/)(?:tests?|testing|__tests__|fixtures?|__mocks__|spec)/"
    r"|(?:^|/)(?:test_[^/]*\.py|[^/]*_test\.py|conftest\.py|[^/]*\.(?:test|spec)\.[cm]?[jt]sx?)$"
)
"""Test code and fixtures: a mocked client is not a service the project calls."""


def is_test_path(path: str) -> bool:
    """Whether `path` is test code or a fixture."""
    return _TESTS.search(path) is not None


PYTHON_SUFFIXES = (".py",)
JS_SUFFIXES = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx")
CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml")
_ENV_NAME = re.compile(r"\.env(?:\.[\w.-]+)?|[\w.-]+\.env")
_NOT_CONFIG = re.compile(
    r"(?:package-lock|npm-shrinkwrap|composer|tsconfig|jsconfig|pnpm-lock|pyproject|package)"
    r"\.\w+$|(?:config|adapter_config|tokenizer_config|generation_config|tokenizer)\.json$"
)


def kind_of(path: str) -> str | None:
    """`python`, `js`, `env` or `config` for files that can name a service; None otherwise."""
    name = posixpath.basename(path)
    lower = name.lower()
    if lower.endswith(PYTHON_SUFFIXES):
        return "python"
    if lower.endswith(JS_SUFFIXES) and not lower.endswith((".d.ts", ".min.js")):
        return "js"
    if _ENV_NAME.fullmatch(name):
        return "env"
    if lower.endswith(CONFIG_SUFFIXES) and not _NOT_CONFIG.search(name):
        return "config"
    return None


def services_in_text(path: str, text: str) -> Extracted:
    """Every service use in one file's text (nothing for tests or files of no known kind)."""
    kind = kind_of(path)
    if kind is None or is_test_path(path):
        return Extracted()
    if kind == "python":
        from auditor.services.python_services import python_services

        return python_services(path, text)
    if kind == "js":
        from auditor.services.js_services import js_services

        return js_services(path, text)
    from auditor.services.config_services import config_services, env_services

    return env_services(path, text) if kind == "env" else config_services(path, text)
