# From DeepSeek's "Your First API Call": https://api-docs.deepseek.com/
import os

from openai import OpenAI

client = OpenAI(api_key=os.environ.get("DEEPSEEK_API_KEY"), base_url="https://{host:deepseek}")

response = client.chat.completions.create(
    model="deepseek-chat",
    messages=[
        {"role": "system", "content": "You are a helpful assistant"},
        {"role": "user", "content": "Hello"},
    ],
    stream=False,
)
reasoning = client.chat.completions.create(model="deepseek-reasoner", messages=[])
