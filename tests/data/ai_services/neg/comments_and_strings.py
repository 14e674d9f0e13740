"""Examples in documentation are not calls:

    client = OpenAI(base_url="https://{host:deepseek}")
"""
# client = OpenAI(base_url="https://{host:moonshot}/v1")
EXAMPLE = 'OpenAI(base_url="https://{host:dashscope}/compatible-mode/v1")'
print("use deepseek/deepseek-chat with litellm")
