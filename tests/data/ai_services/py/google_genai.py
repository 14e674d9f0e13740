# From the Gemini API quickstart: https://ai.google.dev/gemini-api/docs/quickstart
from google import genai

client = genai.Client()
response = client.models.generate_content(
    model="gemini-2.5-flash", contents="Explain how AI works in a few words"
)
