// From Alibaba Cloud Model Studio's Node.js OpenAI-compatible sample:
// https://www.alibabacloud.com/help/en/model-studio/compatibility-of-openai-with-dashscope
const OpenAI = require("openai");

const openai = new OpenAI({
  apiKey: process.env.DASHSCOPE_API_KEY,
  baseURL: "https://{host:dashscope}/compatible-mode/v1",
});

async function main() {
  const completion = await openai.chat.completions.create({
    model: "qwen-plus",
    messages: [{ role: "user", content: "Who are you?" }],
  });
}
