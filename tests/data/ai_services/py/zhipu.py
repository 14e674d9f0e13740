# From the zhipuai SDK's quick start (project description of the `zhipuai` distribution) and
# the Zhipu provider page: https://ai-sdk.dev/providers/community-providers/zhipu
from zhipuai import ZhipuAI

client = ZhipuAI(api_key="your-api-key")
response = client.chat.completions.create(
    model="glm-4",
    messages=[{"role": "user", "content": "Hello, ZhipuAI!"}],
)
