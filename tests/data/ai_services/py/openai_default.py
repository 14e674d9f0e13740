# From the OpenAI Python library README (AsyncOpenAI): https://github.com/openai/openai-python
import asyncio

from openai import AsyncOpenAI

client = AsyncOpenAI()


async def main() -> None:
    response = await client.responses.create(model="gpt-4o", input="Explain disestablishmentarianism")
    print(response.output_text)


asyncio.run(main())
