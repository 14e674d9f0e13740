# From the DashScope API reference (qwencloud docs, "DashScope chat"):
# https://docs.qwencloud.com/api-reference/chat/dashscope
import os

import dashscope

dashscope.base_http_api_url = "https://{host:dashscope:intl}/api/v1"
messages = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Who are you?"},
]
response = dashscope.Generation.call(
    api_key=os.getenv("DASHSCOPE_API_KEY"),
    model="qwen-max",
    messages=messages,
    result_format="message",
)
