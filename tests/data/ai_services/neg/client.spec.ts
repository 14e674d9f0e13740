import OpenAI from "openai";
const openai = new OpenAI({ baseURL: "https://api.deepseek.com" });
