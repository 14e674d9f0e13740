import dashscope

dashscope.Generation.call(model="qwen-max", messages=[])
