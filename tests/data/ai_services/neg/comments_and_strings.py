"""Examples in documentation are not calls:

    client = OpenAI(base_url="https://api.deepseek.com")
"""
# client = OpenAI(base_url="https://api.moonshot.cn/v1")
EXAMPLE = 'OpenAI(base_url="https://dashscope.aliyuncs.com/compatible-mode/v1")'
print("use deepseek/deepseek-chat with litellm")
