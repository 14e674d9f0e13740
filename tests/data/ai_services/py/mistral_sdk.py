# From Mistral's "Text generation" page (client.chat.complete): https://docs.mistral.ai/capabilities/completion/
import os

from mistralai import Mistral

client = Mistral(api_key=os.environ["MISTRAL_API_KEY"])
chat_response = client.chat.complete(
    model="mistral-large-latest",
    messages=[{"role": "user", "content": "What is the best French cheese?"}],
)
