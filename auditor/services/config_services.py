"""Hosted AI services named by configuration: `.env` files, environment blocks (compose
`environment:`, Kubernetes `env:`, CI `env:`/`variables:`) and YAML/JSON/TOML mappings with
`base_url`/`api_base` keys.

An endpoint setting (`OPENAI_BASE_URL`, `DEEPSEEK_BASE_URL` …) names the provider by its host;
a provider's key setting (`DASHSCOPE_API_KEY`, `DEEPSEEK_API_KEY` …) names it by its mere
presence: its value is never read. A model setting (`OPENAI_MODEL`, `LLM_MODEL` …) is given
to the one service the same block names. `OPENAI_API_KEY` beside an endpoint is the
OpenAI-compatible client's key, not a second service.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from auditor.bounded import check_yaml_tree, load_json, load_toml
from auditor.errors import Diagnostic
from auditor.services import Extracted, ServiceUse, clean_endpoint, provider_for
from auditor.services.catalogue import catalogue

KEY_PROVIDERS = {
    "DASHSCOPE_API_KEY": "dashscope", "DEEPSEEK_API_KEY": "deepseek",
    "MOONSHOT_API_KEY": "moonshot", "ZHIPUAI_API_KEY": "zhipu", "ZAI_API_KEY": "zhipu",
    "QIANFAN_AK": "qianfan", "QIANFAN_ACCESS_KEY": "qianfan", "ARK_API_KEY": "volcengine-ark",
    "OPENAI_API_KEY": "openai", "AZURE_OPENAI_API_KEY": "azure-openai",
    "ANTHROPIC_API_KEY": "anthropic", "GEMINI_API_KEY": "google-gemini",
    "MISTRAL_API_KEY": "mistral", "CO_API_KEY": "cohere", "COHERE_API_KEY": "cohere",
    "GROQ_API_KEY": "groq", "TOGETHER_API_KEY": "together", "MINIMAX_API_KEY": "minimax",
}  # fmt: skip
"""Each provider's documented key variable: its presence says the code calls the provider."""
_COMPATIBLE_KEYS = frozenset({"OPENAI_API_KEY", "AZURE_OPENAI_API_KEY"})
_AI_WORD = (
    r"(?:OPENAI|AZURE_OPENAI|ANTHROPIC|DEEPSEEK|DASHSCOPE|QWEN|MOONSHOT|KIMI|ZHIPUAI|ZHIPU|GLM|"
    r"ARK|DOUBAO|QIANFAN|GROQ|TOGETHER|MISTRAL|COHERE|GEMINI|MINIMAX|LLM|AI|CHAT|MODEL)"
)
_URL_KEY = re.compile(rf"(?:\w+_)?{_AI_WORD}_(?:API_)?(?:BASE_URL|API_BASE|BASE|ENDPOINT|HOST|URL)")
_MODEL_KEY = re.compile(rf"(?:{_AI_WORD}_)?(?:CHAT_)?MODEL(?:_NAME|_ID)?")
_MODEL_VALUE = re.compile(r"[\w][\w.:/@-]{0,127}")
_URL_FIELDS = frozenset(
    {"base_url", "api_base", "openai_api_base", "base-url", "baseURL", "baseUrl", "api_base_url",
     "azure_endpoint", "openai_base_url"}
)  # fmt: skip
_MODEL_FIELDS = frozenset({"model", "model_name", "model_id", "deployment_name"})
_KEY_FIELDS = frozenset({"api_key", "apiKey", "api-key", "openai_api_key"})
_ENV_BLOCKS = frozenset({"environment", "env", "variables", "containerEnv", "remoteEnv"})
TRIGGER = re.compile(
    r"BASE_URL|API_BASE|_API_KEY|QIANFAN|base_url|api_base|baseURL|baseUrl|azure_endpoint"
    r"|litellm_params",
)
MAX_CONFIG = 1 << 20
_LINE = re.compile(r"^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(.*)$", re.M)


@dataclass(frozen=True, slots=True)
class _Setting:
    key: str
    value: str | None
    """None: not a literal (`${VAR}`, a secret reference) or never read (a key)."""
    line: int


def _literal(value: str) -> str | None:
    value = value.strip()
    if value[:1] in ("'", '"') and value[-1:] == value[:1] and len(value) >= 2:
        value = value[1:-1]
    else:
        value = value.partition(" #")[0].strip()
    return None if not value or "${" in value or "$(" in value else value


def env_services(path: str, text: str) -> Extracted:
    """Uses named by a `.env` file."""
    settings: list[_Setting] = []
    for match in _LINE.finditer(text):
        key = match.group(1)
        line = text.count("\n", 0, match.start()) + 1
        secret = key in KEY_PROVIDERS
        settings.append(_Setting(key, None if secret else _literal(match.group(2)), line))
    return Extracted(tuple(_block_uses(settings, path, "env")))


def _block_uses(settings: list[_Setting], path: str, via: str) -> Iterator[ServiceUse]:
    """The services one block of settings names."""
    uses: list[ServiceUse] = []
    for s in settings:
        if s.value is None or not _URL_KEY.fullmatch(s.key):
            continue
        endpoint = clean_endpoint(s.value)
        provider = provider_for(endpoint, None) if endpoint else None
        if provider is not None:
            uses.append(ServiceUse(provider, None, endpoint, path, s.line, f"{via}:{s.key}"))
    covered = {u.provider for u in uses}
    for s in settings:
        provider = KEY_PROVIDERS.get(s.key)
        if provider is None or provider in covered or (uses and s.key in _COMPATIBLE_KEYS):
            continue
        covered.add(provider)
        uses.append(ServiceUse(provider, None, None, path, s.line, f"{via}:{s.key}"))
    models = [
        s
        for s in settings
        if s.value and _MODEL_KEY.fullmatch(s.key) and _MODEL_VALUE.fullmatch(s.value)
    ]
    for m in models:
        # `OPENAI_MODEL` goes with `OPENAI_BASE_URL`; an unprefixed one with the only service
        prefix = m.key.partition("MODEL")[0]
        mine = [
            i for i, u in enumerate(uses) if prefix and u.via.partition(":")[2].startswith(prefix)
        ]
        if not mine and len(uses) == 1:
            mine = [0]
        if len(mine) == 1 and uses[mine[0]].model is None:
            u = uses[mine[0]]
            uses[mine[0]] = ServiceUse(u.provider, m.value, u.endpoint, u.path, u.line, u.via)
    yield from uses


def config_services(path: str, text: str) -> Extracted:
    """Uses named by one YAML, JSON or TOML file; an unparseable one is a diagnostic."""
    if len(text) > MAX_CONFIG or not TRIGGER.search(text):
        return Extracted()
    lower = path.lower()
    try:
        if lower.endswith((".yaml", ".yml")):
            import yaml

            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            found: list[ServiceUse] = []
            for document in yaml.compose_all(text, Loader=loader):
                check_yaml_tree(document)  # alias bombs, depth: before the walk
                found.extend(_yaml_uses(document, path))
            return Extracted(tuple(found))
        data = load_toml(text) if lower.endswith(".toml") else load_json(text)
    except (ValueError, Exception) as exc:  # YAMLError, TOMLDecodeError, JSONDecodeError …
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Extracted(diagnostics=(Diagnostic(path, f"not valid configuration: {message}"),))
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    return Extracted(tuple(_data_uses(data, path, text, starts)))


def _scalar(node: object) -> str | None:
    import yaml

    return node.value if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":str") else None


def _yaml_env(node: object) -> list[_Setting]:
    """The settings of a compose/CI mapping, a compose `K=V` list, or a Kubernetes `env:`
    list of `{name, value|valueFrom}`."""
    import yaml

    settings: list[_Setting] = []
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = _scalar(k)
            if key is not None:
                value = None if key in KEY_PROVIDERS else _scalar(v)
                settings.append(_Setting(key, value and _literal(value), v.start_mark.line + 1))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            if (text := _scalar(item)) is not None:
                key, eq, value = text.partition("=")
                if key.strip():
                    kept = None if key in KEY_PROVIDERS or not eq else _literal(value)
                    settings.append(_Setting(key.strip(), kept, item.start_mark.line + 1))
            elif isinstance(item, yaml.MappingNode):
                fields = {_scalar(k): v for k, v in item.value}
                name = _scalar(fields.get("name"))
                if name:
                    raw = _scalar(fields.get("value"))
                    value = None if name in KEY_PROVIDERS or raw is None else _literal(raw)
                    settings.append(_Setting(name, value, item.start_mark.line + 1))
    return settings


def _yaml_uses(node: object, path: str, depth: int = 0, parent: str = "") -> Iterator[ServiceUse]:
    import yaml

    if depth > 100:
        return
    if isinstance(node, yaml.MappingNode):
        fields: dict[str, tuple[str | None, int]] = {}
        for k, v in node.value:
            key = _scalar(k)
            if key is None:
                continue
            if key in _ENV_BLOCKS:
                yield from _block_uses(_yaml_env(v), path, "env")
            fields[key] = (_scalar(v), v.start_mark.line + 1)
            yield from _yaml_uses(v, path, depth + 1, key)
        flat = {k: v for k, (v, _) in fields.items() if v is not None}
        lines = {k: line for k, (_, line) in fields.items()}
        yield from _mapping_uses(flat, lambda k: lines[k], path, parent)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _yaml_uses(item, path, depth + 1, parent)


def _mapping_uses(
    fields: dict[str, str], line_of: object, path: str, parent: str
) -> Iterator[ServiceUse]:
    """A mapping with an endpoint key (`base_url: https://…`) names a service when its host is
    a known provider's, or when the mapping also names a model or an API key (an LLM client's
    settings, not a web app's); a LiteLLM `litellm_params` mapping by its model prefix."""
    assert callable(line_of)
    model_key = next((k for k in _MODEL_FIELDS if k in fields), None)
    model = fields.get(model_key) if model_key else None
    url_key = next((k for k in fields if k in _URL_FIELDS), None)
    if parent == "litellm_params" and model:
        from auditor.services.python_clients import litellm_provider

        provider, name = litellm_provider(model)
        endpoint = clean_endpoint(fields[url_key]) if url_key else None
        provider = provider_for(endpoint, provider)
        if provider is not None:
            line = line_of(model_key)
            yield ServiceUse(provider, name, endpoint, path, line, "config:litellm_params")
        return
    if url_key is None:
        return
    endpoint = clean_endpoint(fields[url_key])
    if endpoint is None:
        return
    provider = provider_for(endpoint, None)
    host_known = provider is not None and catalogue().by_id(provider) is not None
    has_key = any(k in fields for k in _KEY_FIELDS)
    if provider is None or not (host_known or model or has_key):
        return
    yield ServiceUse(provider, model, endpoint, path, line_of(url_key), f"config:{url_key}")


def _data_uses(data: object, path: str, text: str, starts: list[int]) -> Iterator[ServiceUse]:
    def line_of(value: str) -> int:
        for quote in ('"', "'"):
            at = text.find(f"{quote}{value}{quote}")
            if at >= 0:
                return bisect_right(starts, at)
        return 1

    def walk(node: object, depth: int, parent: str) -> Iterator[ServiceUse]:
        if depth > 100:
            return
        if isinstance(node, dict):
            flat = {str(k): v for k, v in node.items() if isinstance(v, str)}
            for key, value in node.items():
                if key in _ENV_BLOCKS and isinstance(value, dict):
                    settings = [
                        _Setting(
                            str(k),
                            None if k in KEY_PROVIDERS else _literal(str(v)),
                            line_of(str(k)),
                        )
                        for k, v in value.items()
                        if isinstance(v, str | int)
                    ]
                    yield from _block_uses(settings, path, "env")
                yield from walk(value, depth + 1, str(key))
            yield from _mapping_uses(flat, lambda k: line_of(flat[k]), path, parent)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item, depth + 1, parent)

    yield from walk(data, 0, "")
