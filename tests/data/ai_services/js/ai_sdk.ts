// From the AI SDK provider pages: https://ai-sdk.dev/providers/ai-sdk-providers/deepseek and
// https://ai-sdk.dev/providers/ai-sdk-providers/zai
import { deepseek } from '@ai-sdk/deepseek';
import { createZai } from '@ai-sdk/zai';
import { generateText } from 'ai';

const { text } = await generateText({
  model: deepseek('deepseek-reasoner'),
  prompt: 'How many people will live in the world in 2040?',
});

const zai = createZai({
  apiKey: process.env.ZAI_API_KEY,
  baseURL: 'https://{host:zhipu:z.ai}/api/paas/v4',
});
