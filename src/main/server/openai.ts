// An OpenAI-compatible endpoint so other tools can talk to a DIT-equipped model:
//   GET  /v1/models                 base models, and each with its DIT adapter(s)
//   POST /v1/chat/completions       streaming (SSE chunks) or not, with logprobs / top_logprobs
// A model id names a stack: "<model>+<adapter>[*scale][@layers,modules]+<adapter>..." (adapters in
// the catalog; "@8-20,mlp" restricts a part, docs/amplification.md).
// Answers come from the chat service, as the app's and the CLI's do; they are not logged (each
// request stands alone, and clients such as remote evaluations keep their own records).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PositionLogprobs } from '../engine/generate.ts';
import type { StackEntry } from '../../shared/api.ts';
import type { Backend } from '../services/backend.ts';
import { findModel } from '../services/lookup.ts';
import { parsePartSpec } from '../services/stack-spec.ts';
import { HttpError, readJson, sendJson } from './http-util.ts';
import { sseWrite } from './sse.ts';
import { loraModelEntries, namedLora } from './lora-routes.ts';

/** The request fields the endpoint reads; any other field is refused (see unsupported()). */
interface ChatRequest {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  temperature?: unknown;
  top_p?: unknown;
  top_k?: unknown; // vLLM's extension
  repetition_penalty?: unknown; // vLLM's extension
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  seed?: unknown;
  stop?: unknown;
  logprobs?: unknown;
  top_logprobs?: unknown;
}

const SUPPORTED = new Set(['model', 'messages', 'stream', 'temperature', 'top_p', 'top_k', 'repetition_penalty', 'max_tokens', 'max_completion_tokens', 'seed', 'stop', 'logprobs', 'top_logprobs']);
/** Fields that change nothing here: who asks, and how a stream reports usage (it always does). */
const IGNORED = new Set(['user', 'stream_options', 'store', 'metadata']);
/** Settings the engine does not have, accepted only at the value that means "off". */
const OFF_VALUES: Record<string, unknown> = { frequency_penalty: 0, presence_penalty: 0, n: 1 };
const HINTS: Record<string, string> = {
  frequency_penalty: ' (the engine has repetition_penalty, as vLLM names it)',
  presence_penalty: ' (the engine has repetition_penalty, as vLLM names it)',
  n: ' (one choice per request)',
};

/** A parameter this endpoint does not implement is refused, never silently ignored. */
function unsupported(body: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(body)) {
    if (SUPPORTED.has(key) || IGNORED.has(key) || value === undefined || value === null) continue;
    if (key in OFF_VALUES && value === OFF_VALUES[key]) continue;
    const hint = HINTS[key] ?? '';
    throw new HttpError(400, `${key} is not supported by this endpoint${hint}; supported: ${[...SUPPORTED].join(', ')}`);
  }
}

/** "<model>+<adapter>[*scale][@layers,modules]+...": the model (id or name) and its stack of catalog adapters (docs/amplification.md). */
function parseModelId(backend: Backend, id: string): { modelId: string; stack: StackEntry[] } {
  const [modelRef, ...parts] = id.split('+');
  const model = findModel(backend.ctx.catalog, modelRef);
  if (!model) throw new HttpError(404, `model "${modelRef}" is not in the catalog`);
  const stack = parts.map((p): StackEntry => {
    let spec: ReturnType<typeof parsePartSpec>;
    try {
      spec = parsePartSpec(p, '*', `model "${id}"`);
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
    const a = backend.ctx.catalog.adapters.get(spec.ref);
    if (!a) throw new HttpError(404, `adapter "${spec.ref}" is not in the catalog`);
    return { adapterId: spec.ref, scale: spec.scale, role: a.kind === 'dit' ? 'dit' : 'diff', ...spec.only };
  });
  return { modelId: model.id, stack };
}

const num = (v: unknown, name: string, fallback: number): number => {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new HttpError(400, `${name} must be a number`);
  return v;
};

function openAiLogprobs(lps: PositionLogprobs[] | undefined) {
  if (!lps) return null;
  const entry = (t: { token?: string; logprob: number }) => ({ token: t.token ?? '', logprob: t.logprob, bytes: [...Buffer.from(t.token ?? '', 'utf8')] });
  return { content: lps.map((p) => ({ ...entry(p.chosen), top_logprobs: p.top.map(entry) })) };
}

export function listModels(backend: Backend) {
  const { catalog } = backend.ctx;
  const data = catalog.models.list().flatMap((m) => {
    const dits = catalog.adapters.list({ modelId: m.id, kind: 'dit' });
    const created = Math.floor(Date.parse(m.createdAt) / 1000);
    return [m.id, ...dits.map((d) => `${m.id}+${d.id}`)].map((id) => ({ id, object: 'model', created, owned_by: 'diffscope' }));
  });
  return { object: 'list', data: [...data, ...loraModelEntries(backend, Math.floor(Date.now() / 1000))] };
}

/** The text of one part of a message's content array (`{type: "text", text}`). */
function contentPart(p: unknown, what: string): string {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new HttpError(400, `${what} must be an object such as {"type": "text", "text": "..."}`);
  const text = (p as { text?: unknown }).text;
  if (text === undefined) return ''; // an image or other part: no text to add
  if (typeof text !== 'string') throw new HttpError(400, `${what}.text must be a string`);
  return text;
}

export async function chatCompletions(backend: Backend, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body: ChatRequest = await readJson(req);
  if (typeof body.model !== 'string') throw new HttpError(400, 'model is required');
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw new HttpError(400, 'messages must be a non-empty array');
  const messages = body.messages.map((m: unknown, i) => {
    const o = (typeof m === 'object' && m !== null ? m : {}) as { role?: unknown; content?: unknown };
    const content = typeof o.content === 'string' ? o.content : Array.isArray(o.content) ? o.content.map((p, j) => contentPart(p, `messages[${i}].content[${j}]`)).join('') : null;
    if (typeof o.role !== 'string' || content === null) throw new HttpError(400, `messages[${i}] needs a role and text content`);
    return { role: o.role, content };
  });
  unsupported(body as Record<string, unknown>);
  const named = namedLora(backend, body.model); // loaded through /v1/load_lora_adapter (lora-routes.ts)
  const { modelId, stack } = named ? { modelId: named.modelId, stack: [] } : parseModelId(backend, body.model);
  const stop = typeof body.stop === 'string' ? [body.stop] : Array.isArray(body.stop) ? body.stop.map(String) : [];
  const topLogprobs = body.logprobs === true ? Math.min(20, Math.max(1, num(body.top_logprobs, 'top_logprobs', 1))) : undefined;
  const sampling = {
    maxTokens: Math.floor(num(body.max_completion_tokens ?? body.max_tokens, 'max_tokens', 256)),
    stop,
    temperature: num(body.temperature, 'temperature', 1),
    topP: num(body.top_p, 'top_p', 1),
    topK: Math.floor(num(body.top_k, 'top_k', 0)),
    repetitionPenalty: num(body.repetition_penalty, 'repetition_penalty', 1),
    seed: Math.floor(num(body.seed, 'seed', 0)),
  };
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const stream = body.stream === true;
  // Stack and budget errors reject here, before a streamed response has begun; tokens arrive
  // later (from the engine's thread or process), after the opening chunk.
  const answer = await backend.chat.answer({ modelId, messages, stack, files: named?.refs, sampling, logprobs: topLogprobs }, (_row, t) => {
    if (stream) sseWrite(res, { id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta: { content: t.text }, finish_reason: null }] });
  });
  if (stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    sseWrite(res, { id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
  }
  res.on('close', () => {
    if (!res.writableFinished) answer.cancel(); // the client went away
  });
  const { rows, stats } = await answer.result;
  const row = rows[0];
  const finish = row.finishReason === 'length' ? 'length' : 'stop';
  const usage = { prompt_tokens: stats.promptTokens, completion_tokens: row.tokens.length, total_tokens: stats.promptTokens + row.tokens.length };
  if (stream) {
    sseWrite(res, { id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta: {}, logprobs: openAiLogprobs(row.logprobs), finish_reason: finish }], usage });
    sseWrite(res, '[DONE]');
    res.end();
    return;
  }
  sendJson(res, 200, {
    id,
    object: 'chat.completion',
    created,
    model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content: row.text }, logprobs: openAiLogprobs(row.logprobs), finish_reason: finish }],
    usage,
  });
}
