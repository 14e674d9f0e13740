from openai import OpenAI


def test_client() -> None:
    client = OpenAI(base_url="https://{host:deepseek}", api_key="x")
    client.chat.completions.create(model="deepseek-chat", messages=[])
