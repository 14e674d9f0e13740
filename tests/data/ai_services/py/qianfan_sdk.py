# From Baidu Qianfan's SDK chat page (对话Chat): https://cloud.baidu.com/doc/WENXINWORKSHOP/s/xlmokikxe
import qianfan

chat_comp = qianfan.ChatCompletion()
resp = chat_comp.do(model="ERNIE-4.0-8K", messages=[{"role": "user", "content": "你好"}])
