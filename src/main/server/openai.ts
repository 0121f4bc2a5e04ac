// An OpenAI-compatible endpoint so other tools can talk to a DIT-equipped model:
//   GET  /v1/models                 base models, and each with its DIT adapter(s)
//   POST /v1/chat/completions       streaming (SSE chunks) or not, with logprobs / top_logprobs
// A model id names a stack: "<model>+<adapter>[*scale]+<adapter>..." (adapters in the catalog).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { engineRef } from '../catalog/index.ts';
import type { StackRef } from '../engine/engine.ts';
import type { PositionLogprobs } from '../engine/generate.ts';
import type { Backend } from '../services/backend.ts';
import { checkSource } from '../services/sources.ts';
import { HttpError, readJson, sendJson } from './http-util.ts';
import { sseWrite } from './sse.ts';
import { loraModelEntries, namedLora } from './lora-routes.ts';

interface ChatRequest {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  temperature?: unknown;
  top_p?: unknown;
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  seed?: unknown;
  stop?: unknown;
  logprobs?: unknown;
  top_logprobs?: unknown;
  frequency_penalty?: unknown;
}

function parseModelId(backend: Backend, id: string): { modelId: string; dir: string; refs: StackRef[] } {
  const [modelId, ...parts] = id.split('+');
  const model = backend.ctx.catalog.models.get(modelId);
  if (!model) throw new HttpError(404, `model "${modelId}" is not in the catalog`);
  const refs = parts.map((p) => {
    const [adapterId, scaleText] = p.split('*');
    const a = backend.ctx.catalog.adapters.get(adapterId);
    if (!a) throw new HttpError(404, `adapter "${adapterId}" is not in the catalog`);
    if (a.modelId !== modelId) throw new HttpError(400, `adapter "${adapterId}" belongs to model ${a.modelId}`);
    const scale = scaleText === undefined ? 1 : Number(scaleText);
    if (!Number.isFinite(scale)) throw new HttpError(400, `adapter "${adapterId}": scale "${scaleText}" is not a number`);
    return { path: engineRef(a), scale, ...(a.kind === 'full' && a.rank ? { rank: a.rank } : {}) };
  });
  return { modelId, dir: model.libraryDir, refs };
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
  const named = namedLora(backend, body.model); // loaded through /v1/load_lora_adapter (lora-routes.ts)
  const { modelId, dir, refs } = named ?? parseModelId(backend, body.model);
  if (!named) for (const id of body.model.split('+').slice(1)) await checkSource(backend.ctx.catalog.adapters.get(id.split('*')[0])!);
  const stop = typeof body.stop === 'string' ? [body.stop] : Array.isArray(body.stop) ? body.stop.map(String) : [];
  const topLogprobs = body.logprobs === true ? Math.min(20, Math.max(1, num(body.top_logprobs, 'top_logprobs', 1))) : undefined;
  const options = {
    maxTokens: Math.floor(num(body.max_completion_tokens ?? body.max_tokens, 'max_tokens', 256)),
    stopStrings: stop,
    logprobs: topLogprobs,
    sampling: { temperature: num(body.temperature, 'temperature', 1), topP: num(body.top_p, 'top_p', 1), topK: 0, repetitionPenalty: 1, seed: Math.floor(num(body.seed, 'seed', 0)) },
  };
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const stream = body.stream === true;
  if (stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    sseWrite(res, { id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
  }
  const answer = backend.ctx.engines.ask(modelId, dir, [{ messages, stack: refs }], options, (_row, t) => {
    if (stream) sseWrite(res, { id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta: { content: t.text }, finish_reason: null }] });
  });
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
