import OpenAI from "openai";
const openai = new OpenAI({ baseURL: "https://{host:deepseek}" });
