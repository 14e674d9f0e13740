# From the OpenAI Python library README, "Microsoft Azure OpenAI" (AzureOpenAI client, the
# deployment as the model): https://github.com/openai/openai-python
from openai import AzureOpenAI

# gets the API Key from environment variable AZURE_OPENAI_API_KEY
client = AzureOpenAI(
    # https://learn.microsoft.com/azure/ai-services/openai/reference#rest-api-versioning
    api_version="2023-07-01-preview",
    azure_endpoint="https://{host:azure-openai}",
)

completion = client.chat.completions.create(model="deployment-name", messages=[])
