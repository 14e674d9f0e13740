# From the OpenAI Python library README, "Async usage": https://github.com/openai/openai-python
import asyncio

from openai import AsyncOpenAI

client = AsyncOpenAI()


async def main() -> None:
    response = await client.responses.create(model="gpt-4o", input="Explain disestablishmentarianism to a smart five year old.")
    print(response.output_text)


asyncio.run(main())
