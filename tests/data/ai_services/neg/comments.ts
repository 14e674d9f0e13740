// const openai = new OpenAI({ baseURL: 'https://api.deepseek.com' });
/* import OpenAI from "openai"; new OpenAI({ baseURL: "https://api.moonshot.cn/v1" }) */
const doc = "new OpenAI({ baseURL: 'https://api.deepseek.com' })";
export const model = "deepseek-chat";
