# An OpenAI-compatible client whose endpoint comes from the application's settings: some
# endpoint, not the library's default (its operator is not known from the code).
from openai import OpenAI

from app.config import settings

client = OpenAI(base_url=settings.LLM_BASE_URL, api_key=settings.LLM_API_KEY)
reply = client.chat.completions.create(model="deepseek-chat", messages=[])
