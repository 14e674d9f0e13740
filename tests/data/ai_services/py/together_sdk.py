# From Together AI's chat overview, "Running a single query": https://docs.together.ai/docs/chat-overview
from together import Together

client = Together()
response = client.chat.completions.create(
    model="meta-llama/Meta-Llama-3-8B-Instruct-Turbo",
    messages=[{"role": "user", "content": "What are some fun things to do in New York?"}],
)
