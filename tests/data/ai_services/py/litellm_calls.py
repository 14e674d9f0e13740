# From LiteLLM's provider pages: https://docs.litellm.ai/docs/providers/deepseek and
# https://docs.litellm.ai/docs/providers/dashscope
from litellm import completion
import litellm

response = completion(model="deepseek/deepseek-chat", messages=[{"role": "user", "content": "hi"}])
qwen = litellm.completion(model="dashscope/qwen-turbo", messages=[])
local = completion(model="ollama/llama3", messages=[], api_base="http://localhost:11434")
