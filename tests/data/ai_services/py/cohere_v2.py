# From Cohere's Chat API page: https://docs.cohere.com/v2/docs/chat-api
import cohere

co = cohere.ClientV2(api_key="<YOUR API KEY>")
response = co.chat(
    model="command-r-plus-08-2024",
    messages=[{"role": "user", "content": "Write a title for a blog post about API design. Only output the title text."}],
)
