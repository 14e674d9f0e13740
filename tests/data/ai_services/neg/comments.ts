// const openai = new OpenAI({ baseURL: 'https://{host:deepseek}' });
/* import OpenAI from "openai"; new OpenAI({ baseURL: "https://{host:moonshot}/v1" }) */
const doc = "new OpenAI({ baseURL: 'https://{host:deepseek}' })";
export const model = "deepseek-chat";
