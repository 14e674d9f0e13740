# From Moonshot AI's chat API page: https://platform.moonshot.ai/docs/api/chat.en-US
from openai import OpenAI

client = OpenAI(
    api_key="$MOONSHOT_API_KEY",
    base_url="https://{host:moonshot:.ai}/v1",
)
completion = client.chat.completions.create(
    model="kimi-k2.5",
    messages=[{"role": "user", "content": "Hello, my name is Li Lei. What is 1+1?"}],
)
