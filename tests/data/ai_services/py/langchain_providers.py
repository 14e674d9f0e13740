# From LangChain's integration pages: ChatTongyi https://python.langchain.com/docs/integrations/chat/tongyi/ ,
# ChatZhipuAI https://python.langchain.com/docs/integrations/chat/zhipuai/ ,
# ChatDeepSeek https://python.langchain.com/docs/integrations/chat/deepseek/ ,
# ChatAnthropic https://python.langchain.com/docs/integrations/chat/anthropic/ ,
# QianfanChatEndpoint https://python.langchain.com/docs/integrations/chat/baidu_qianfan_endpoint/
from langchain_anthropic import ChatAnthropic
from langchain_community.chat_models import ChatZhipuAI, QianfanChatEndpoint
from langchain_community.chat_models.tongyi import ChatTongyi
from langchain_deepseek import ChatDeepSeek

tongyi = ChatTongyi(model="qwen-max", streaming=True)
glm = ChatZhipuAI(model="glm-4", temperature=0.5)
deepseek = ChatDeepSeek(model="deepseek-chat", temperature=0, max_tokens=None)
claude = ChatAnthropic(model="claude-3-5-sonnet-latest", temperature=0)
ernie = QianfanChatEndpoint(model="ERNIE-3.5-8K", streaming=True)
