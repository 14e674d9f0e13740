# From LangChain's reference and integration pages: ChatTongyi https://reference.langchain.com/v0.3/python/_modules/langchain_community/chat_models/tongyi.html ,
# ChatZhipuAI (langchain_community.chat_models; no Python page found, see expected.yaml),
# ChatDeepSeek https://docs.langchain.com/oss/python/integrations/chat/deepseek ,
# ChatAnthropic https://reference.langchain.com/python/langchain-anthropic/ChatAnthropic ,
# QianfanChatEndpoint https://docs.langchain.com/oss/python/integrations/chat/baidu_qianfan_endpoint
from langchain_anthropic import ChatAnthropic
from langchain_community.chat_models import ChatZhipuAI, QianfanChatEndpoint
from langchain_community.chat_models.tongyi import ChatTongyi
from langchain_deepseek import ChatDeepSeek

tongyi = ChatTongyi(model="qwen-max", streaming=True)
glm = ChatZhipuAI(model="glm-4", temperature=0.5)
deepseek = ChatDeepSeek(model="deepseek-chat", temperature=0, max_tokens=None)
claude = ChatAnthropic(model="claude-sonnet-4-5-20250929", temperature=0)
ernie = QianfanChatEndpoint(streaming=True, model="ERNIE-Bot")
