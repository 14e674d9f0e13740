// A client kept on an object, after Moonshot's OpenAI-compatible docs: https://platform.moonshot.ai/docs/api/chat.en-US
import OpenAI from "openai";

export class Bot {
  private client: OpenAI;
  constructor() {
    this.client = new OpenAI({ apiKey: process.env.MOONSHOT_API_KEY, baseURL: "https://{host:moonshot:.ai}/v1" });
  }
  async ask(question: string) {
    return this.client.chat.completions.create({
      model: "kimi-k2-turbo-preview",
      messages: [{ role: "user", content: question }],
    });
  }
}
