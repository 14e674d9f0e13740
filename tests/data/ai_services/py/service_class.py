# A client kept on an object, the model in a module constant (a common application shape,
# after DeepSeek's documented call: https://api-docs.deepseek.com/).
import os

from openai import OpenAI

BASE_URL = os.getenv("LLM_BASE_URL", "https://{host:deepseek}/v1")
MODEL = "deepseek-reasoner"


class Assistant:
    def __init__(self) -> None:
        self.client = OpenAI(api_key=os.environ["DEEPSEEK_API_KEY"], base_url=BASE_URL)

    def ask(self, question: str) -> str:
        reply = self.client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": question}]
        )
        return reply.choices[0].message.content or ""
