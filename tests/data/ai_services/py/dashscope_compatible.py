# From Alibaba Cloud Model Studio "OpenAI compatible - Chat":
# https://www.alibabacloud.com/help/en/model-studio/compatibility-of-openai-with-dashscope
import os

from openai import OpenAI

client = OpenAI(
    api_key=os.getenv("DASHSCOPE_API_KEY"),
    base_url="https://{host:dashscope:intl}/compatible-mode/v1",
)
completion = client.chat.completions.create(
    model="qwen-plus",
    messages=[{"role": "user", "content": "Who are you?"}],
)
