# From the Claude SDK for Python README, "Getting started": https://github.com/anthropics/anthropic-sdk-python
from anthropic import Anthropic

client = Anthropic()  # the README: api_key defaults to os.environ["ANTHROPIC_API_KEY"]
message = client.messages.create(
    model="claude-opus-5",
    max_tokens=1024,
    messages=[{"role": "user", "content": "Hello, Claude"}],
)
