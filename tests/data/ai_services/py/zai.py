# From Z.AI's Python SDK guide (zai-sdk, `ZaiClient`): https://docs.z.ai/guides/develop/python/introduction
from zai import ZaiClient

client = ZaiClient(api_key="your-api-key")
response = client.chat.completions.create(model="glm-4.6", messages=[])
