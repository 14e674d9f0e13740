# From Volcengine Ark's API guide (API 调用指南): https://www.volcengine.com/docs/82379/1263482
from volcenginesdkarkruntime import Ark

client = Ark(base_url="https://{host:volcengine-ark}/api/v3")
completion = client.chat.completions.create(
    model="doubao-1-5-pro-32k-250115",
    messages=[{"role": "user", "content": "hello"}],
)
