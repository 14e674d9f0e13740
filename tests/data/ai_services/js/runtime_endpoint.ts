// An OpenAI-compatible client whose baseURL comes from the environment: not the SDK's default.
import OpenAI from "openai";

const client = new OpenAI({ baseURL: process.env.LLM_BASE_URL });
const reply = await client.chat.completions.create({ model: "qwen-plus", messages: [] });
