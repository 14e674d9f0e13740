# LlamaIndex API reference, DashScope (QWEN_MAX is "qwen-max"): https://developers.llamaindex.ai/python/framework-api-reference/llms/dashscope
# and OpenAILike: https://developers.llamaindex.ai/python/framework-api-reference/llms/openai_like
from llama_index.llms.dashscope import DashScope, DashScopeGenerationModels
from llama_index.llms.openai_like import OpenAILike

dashscope_llm = DashScope(model_name="qwen-max")
gateway = OpenAILike(model="my-model", api_base="http://10.0.0.12:8000/v1", api_key="fake")
