# From Azure OpenAI's quickstart (AzureOpenAI client, deployment as the model):
# https://learn.microsoft.com/en-us/azure/ai-foundry/openai/chatgpt-quickstart
import os

from openai import AzureOpenAI

client = AzureOpenAI(
    azure_endpoint="https://{host:azure-openai}/",
    api_key=os.getenv("AZURE_OPENAI_API_KEY"),
    api_version="2024-10-21",
)
response = client.chat.completions.create(model="gpt-4o-deployment", messages=[])
