"""The client libraries `python_services` recognises, as data: each class or call with the
provider it reaches without an endpoint and the keywords carrying its endpoint and model
(from each library's documented signature), and LiteLLM's provider prefixes."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.services.catalogue import catalogue


@dataclass(frozen=True, slots=True)
class Client:
    """A recognised client class or call: its provider without an endpoint, and where its
    endpoint and model are passed."""

    provider: str | None
    """None: only the endpoint (or a LiteLLM model prefix) says."""
    url_keys: tuple[str, ...] = ("base_url",)
    model_keys: tuple[str, ...] = ("model",)
    model_arg: int | None = None


_OPENAI = Client("openai", ("base_url",))
_MN = ("model", "model_name")
_AZURE = Client("azure-openai", ("azure_endpoint", "base_url"), ("azure_deployment",))
# (module prefix, class or function name) -> client; the module prefix is matched against
# where the name was imported from.
CLIENTS: dict[tuple[str, str], Client] = {
    ("openai", "OpenAI"): _OPENAI,
    ("openai", "AsyncOpenAI"): _OPENAI,
    ("openai", "AzureOpenAI"): _AZURE,
    ("openai", "AsyncAzureOpenAI"): _AZURE,
    ("anthropic", "Anthropic"): Client("anthropic"),
    ("anthropic", "AsyncAnthropic"): Client("anthropic"),
    ("anthropic", "AnthropicBedrock"): Client("aws-bedrock", ()),
    ("google.genai", "Client"): Client("google-gemini", ()),
    ("google.generativeai", "GenerativeModel"): Client("google-gemini", (), ("model_name",), 0),
    ("mistralai", "Mistral"): Client("mistral", ("server_url",)),
    ("cohere", "Client"): Client("cohere"),
    ("cohere", "ClientV2"): Client("cohere"),
    ("cohere", "AsyncClient"): Client("cohere"),
    ("cohere", "AsyncClientV2"): Client("cohere"),
    ("groq", "Groq"): Client("groq"),
    ("groq", "AsyncGroq"): Client("groq"),
    ("together", "Together"): Client("together"),
    ("together", "AsyncTogether"): Client("together"),
    ("zhipuai", "ZhipuAI"): Client("zhipu"),
    ("zai", "ZaiClient"): Client("zhipu"),
    ("zai", "ZhipuAiClient"): Client("zhipu"),
    ("volcenginesdkarkruntime", "Ark"): Client("volcengine-ark"),
    ("volcenginesdkarkruntime", "AsyncArk"): Client("volcengine-ark"),
    ("qianfan", "ChatCompletion"): Client("qianfan", (), ("model",)),
    ("qianfan", "Completion"): Client("qianfan", (), ("model",)),
    ("dashscope", "Generation.call"): Client("dashscope", (), ("model",)),
    ("dashscope", "MultiModalConversation.call"): Client("dashscope", (), ("model",)),
    ("dashscope", "TextEmbedding.call"): Client("dashscope", (), ("model",)),
    ("dashscope", "Application.call"): Client("dashscope", (), ()),
    ("litellm", "completion"): Client(None, ("api_base", "base_url")),
    ("litellm", "acompletion"): Client(None, ("api_base", "base_url")),
    ("litellm", "embedding"): Client(None, ("api_base", "base_url")),
    ("litellm", "aembedding"): Client(None, ("api_base", "base_url")),
    # LangChain (langchain_openai, langchain_community.chat_models, langchain_deepseek …)
    ("langchain", "ChatOpenAI"): Client("openai", ("base_url", "openai_api_base"), _MN),
    ("langchain", "OpenAIEmbeddings"): Client("openai", ("base_url", "openai_api_base")),
    ("langchain", "AzureChatOpenAI"): Client(
        "azure-openai", ("azure_endpoint",), ("azure_deployment", "deployment_name")
    ),
    ("langchain", "ChatAnthropic"): Client("anthropic", ("base_url", "anthropic_api_url"), _MN),
    ("langchain", "ChatTongyi"): Client("dashscope", (), _MN),
    ("langchain", "Tongyi"): Client("dashscope", (), _MN),
    ("langchain", "DashScopeEmbeddings"): Client("dashscope", (), ("model",)),
    ("langchain", "ChatZhipuAI"): Client("zhipu", ("zhipuai_api_base", "api_base"), _MN),
    ("langchain", "ChatDeepSeek"): Client("deepseek", ("api_base", "base_url"), _MN),
    ("langchain", "ChatMoonshot"): Client("moonshot", ("base_url",), _MN),
    ("langchain", "MoonshotChat"): Client("moonshot", ("base_url",), _MN),
    ("langchain", "QianfanChatEndpoint"): Client("qianfan", (), ("model",)),
    ("langchain", "ChatGoogleGenerativeAI"): Client("google-gemini", (), ("model",)),
    ("langchain", "ChatMistralAI"): Client("mistral", ("endpoint",), _MN),
    ("langchain", "ChatCohere"): Client("cohere", (), ("model",)),
    ("langchain", "ChatGroq"): Client("groq", ("base_url",), _MN),
    ("langchain", "ChatTogether"): Client("together", ("base_url",), ("model",)),
    ("langchain", "ChatBedrock"): Client("aws-bedrock", (), ("model_id", "model")),
    ("langchain", "ChatBedrockConverse"): Client("aws-bedrock", (), ("model", "model_id")),
    # LlamaIndex (llama_index.llms.<provider>)
    ("llama_index", "OpenAI"): Client("openai", ("api_base",), ("model",)),
    ("llama_index", "OpenAILike"): Client(None, ("api_base",), ("model",)),
    ("llama_index", "AzureOpenAI"): Client(
        "azure-openai", ("azure_endpoint",), ("engine", "deployment_name")
    ),
    ("llama_index", "Anthropic"): Client("anthropic", ("base_url",), ("model",)),
    ("llama_index", "DashScope"): Client("dashscope", (), ("model_name",)),
    ("llama_index", "DeepSeek"): Client("deepseek", (), ("model",)),
    ("llama_index", "ZhipuAI"): Client("zhipu", (), ("model",)),
    ("llama_index", "Groq"): Client("groq", (), ("model",)),
    ("llama_index", "MistralAI"): Client("mistral", (), ("model",)),
    ("llama_index", "GoogleGenAI"): Client("google-gemini", (), ("model",)),
}  # fmt: skip
# litellm's provider prefixes (docs.litellm.ai/docs/providers) -> our provider ids
LITELLM_PREFIXES = {
    "openai": "openai", "azure": "azure-openai", "anthropic": "anthropic",
    "gemini": "google-gemini", "mistral": "mistral", "codestral": "mistral",
    "cohere": "cohere", "cohere_chat": "cohere", "groq": "groq", "together_ai": "together",
    "deepseek": "deepseek", "dashscope": "dashscope", "moonshot": "moonshot",
    "volcengine": "volcengine-ark", "bedrock": "aws-bedrock", "bedrock_converse": "aws-bedrock",
    "zhipuai": "zhipu", "zai": "zhipu", "ollama": "self-hosted", "ollama_chat": "self-hosted",
    "hosted_vllm": "self-hosted", "lm_studio": "self-hosted", "minimax": "minimax",
}  # fmt: skip
# Bare model names LiteLLM routes by itself (no prefix) -> provider, by lab.
_BARE_LITELLM = {"openai": "openai", "anthropic": "anthropic"}


def litellm_provider(model: str) -> tuple[str | None, str]:
    """(provider, model) for a LiteLLM model string: `deepseek/deepseek-chat`; a bare name
    only when its lab is one LiteLLM routes to by itself (`gpt-4o`, `claude-…`)."""
    prefix, slash, rest = model.partition("/")
    if slash and prefix in LITELLM_PREFIXES:
        return LITELLM_PREFIXES[prefix], rest
    lab = catalogue().lab_of(model)
    if not slash and lab is not None and lab.lab in _BARE_LITELLM:
        return _BARE_LITELLM[lab.lab], model
    return None, model
