# From Alibaba Cloud's answer on LangChain with DashScope compatible mode:
# https://developer.aliyun.com/ask/592978 (ChatOpenAI with base_url)
import os

from langchain_openai import ChatOpenAI


def get_response() -> None:
    llm = ChatOpenAI(
        api_key=os.getenv("DASHSCOPE_API_KEY"),
        base_url="https://{host:dashscope}/compatible-mode/v1",
        model="qwen-plus",
    )
    print(llm.invoke([{"role": "user", "content": "你是谁?"}]))
