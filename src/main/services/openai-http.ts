// A minimal client of OpenAI-compatible servers (OpenAI, vLLM, llama.cpp, Ollama, another
// Diffscope): chat completions and vLLM's runtime LoRA calls, over fetch. Used by the LLM judge and
// by evaluations on a remote engine. Errors name the server and what it said, in one line.
import { UserError } from './context.ts';

export interface Endpoint {
  baseUrl: string; // ".../v1"
  apiKey: string | null;
  timeoutMs?: number;
}

export interface ChatCompletionRequest {
  model: string;
  messages: { role: string; content: string }[];
  max_tokens: number;
  temperature: number;
  seed?: number;
}

/** ".../v1" from what a user types: a trailing slash or a pasted "/chat/completions" is dropped. */
export function apiBase(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`${url}: not a URL (expected e.g. http://localhost:8000/v1)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UserError(`${url}: only http and https endpoints are supported`);
  return u.toString().replace(/\/+$/, '').replace(/\/chat\/completions$/, '');
}

async function post(ep: Endpoint, path: string, body: unknown): Promise<Response> {
  const url = `${apiBase(ep.baseUrl)}${path}`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (ep.apiKey) headers.authorization = `Bearer ${ep.apiKey}`;
  try {
    return await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(ep.timeoutMs ?? 300_000) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new UserError(`${url}: ${e.name === 'TimeoutError' ? 'no answer in time' : (e.cause?.code ?? e.message)}`);
  }
}

async function failure(res: Response, what: string): Promise<UserError> {
  const text = (await res.text().catch(() => '')).slice(0, 500);
  let message = text;
  try {
    const body = JSON.parse(text) as { error?: { message?: string } | string; message?: string; detail?: string };
    message = (typeof body.error === 'string' ? body.error : body.error?.message) ?? body.message ?? body.detail ?? text;
  } catch {
    // plain text
  }
  return new UserError(`${what}: ${res.status} ${message.split('\n')[0]}`.trim());
}

/** One chat completion; returns the reply's text. */
export async function chatCompletion(ep: Endpoint, req: ChatCompletionRequest): Promise<string> {
  const res = await post(ep, '/chat/completions', { ...req, stream: false });
  if (!res.ok) throw await failure(res, `${apiBase(ep.baseUrl)} (model ${req.model})`);
  const body = (await res.json()) as { choices?: { message?: { content?: string | null } }[] };
  const content = body.choices?.[0]?.message?.content;
  if (typeof content !== 'string') throw new UserError(`${apiBase(ep.baseUrl)} (model ${req.model}): the reply holds no message text`);
  return content;
}

/** A chat message with tool calls, as OpenAI's chat completions send and return them. */
export interface ToolChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

export interface ToolSpec {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/** One chat completion with tools offered (none: the model must answer in words); returns the reply message. */
export async function toolChatCompletion(
  ep: Endpoint,
  req: { model: string; messages: ToolChatMessage[]; tools: ToolSpec[] | null; max_tokens: number; temperature: number; seed?: number },
): Promise<{ content: string | null; toolCalls: { id: string; name: string; arguments: string }[] }> {
  const { tools, ...rest } = req;
  const res = await post(ep, '/chat/completions', { ...rest, ...(tools ? { tools, tool_choice: 'auto' } : {}), stream: false });
  if (!res.ok) throw await failure(res, `${apiBase(ep.baseUrl)} (model ${req.model})`);
  const body = (await res.json()) as { choices?: { message?: { content?: string | null; tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[] } }[] };
  const message = body.choices?.[0]?.message;
  if (!message) throw new UserError(`${apiBase(ep.baseUrl)} (model ${req.model}): the reply holds no message`);
  const toolCalls = (message.tool_calls ?? []).map((c, i) => ({ id: c.id ?? `call_${i}`, name: c.function?.name ?? '', arguments: c.function?.arguments ?? '{}' }));
  return { content: typeof message.content === 'string' ? message.content : null, toolCalls };
}

/** vLLM's runtime LoRA loading: afterwards, model = name means base + that PEFT adapter. */
export async function loadLoraAdapter(ep: Endpoint, name: string, path: string, baseModel?: string): Promise<void> {
  const res = await post(ep, '/load_lora_adapter', { lora_name: name, lora_path: path, ...(baseModel ? { base_model: baseModel } : {}) });
  if (!res.ok) throw await failure(res, `${apiBase(ep.baseUrl)}: load LoRA adapter ${name}`);
}

export async function unloadLoraAdapter(ep: Endpoint, name: string): Promise<void> {
  const res = await post(ep, '/unload_lora_adapter', { lora_name: name });
  if (!res.ok && res.status !== 404) throw await failure(res, `${apiBase(ep.baseUrl)}: unload LoRA adapter ${name}`);
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
