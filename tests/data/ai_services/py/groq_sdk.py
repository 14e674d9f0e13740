# From GroqCloud's quickstart: https://console.groq.com/docs/quickstart
import os

from groq import Groq

client = Groq(api_key=os.environ.get("GROQ_API_KEY"))
chat_completion = client.chat.completions.create(
    messages=[{"role": "user", "content": "Explain the importance of fast language models"}],
    model="llama-3.3-70b-versatile",
)
