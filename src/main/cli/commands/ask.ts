// `diffscope ask`: one question (or a whole conversation, --messages) to a model with an adapter
// stack, answer streamed to stdout.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineClient } from '../../engine/client.ts';
import { resolveModelDir } from '../../engine/library.ts';
import type { ProviderChoice } from '../../engine/session.ts';
import { int, num, parse, pathWithScale } from '../args.ts';
import { importWithProgress } from './import.ts';
import { withBackend } from '../backend.ts';
import { engineRef } from '../../catalog/index.ts';
import type { StackRef } from '../../engine/engine.ts';
import type { ChatMessage } from '../../engine/hf/tokenizer.ts';

export async function askCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, {
    model: { type: 'string' },
    lora: { type: 'string', multiple: true, default: [] },
    diff: { type: 'string', multiple: true, default: [] },
    dit: { type: 'string' },
    rank: { type: 'string' },
    'max-tokens': { type: 'string' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    'repetition-penalty': { type: 'string' },
    seed: { type: 'string' },
    stop: { type: 'string', multiple: true, default: [] },
    logprobs: { type: 'string' },
    messages: { type: 'string' },
    raw: { type: 'boolean', default: false },
    provider: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
  });
  if (!values.model) throw new Error('--model ID_OR_DIR is required');
  if (values.messages !== undefined && (positionals.length > 0 || values.raw)) throw new Error('--messages replaces the question (and --raw): give one or the other');
  if (values.messages === undefined && positionals.length !== 1) throw new Error('ask takes one question (quote it), or --messages JSON_OR_FILE');
  const messages = values.messages === undefined ? [{ role: 'user', content: positionals[0] }] : readMessages(values.messages);
  const dir = await modelDir(values.model);
  // the diff(s) first, then the DIT adapter, then any other low-rank files: one stack
  const rank = values.rank === undefined ? undefined : int(values.rank, '--rank', 0);
  const stack = await resolveCatalogIds([
    ...values.diff.map((d) => ({ ...pathWithScale(d, '--diff'), rank })),
    ...(values.dit ? [pathWithScale(values.dit, '--dit')] : []),
    ...values.lora.map((l) => pathWithScale(l, '--lora')),
  ]);
  const logprobs = values.logprobs === undefined ? undefined : int(values.logprobs, '--logprobs', 0);

  const engine = new EngineClient();
  try {
    const info = await engine.load(dir, { provider: values.provider as ProviderChoice });
    const answer = engine.ask(
      dir,
      [values.raw ? { prompt: positionals[0], stack } : { messages, stack }],
      {
        maxTokens: int(values['max-tokens'], '--max-tokens', 256),
        sampling: {
          temperature: num(values.temperature, '--temperature', 0),
          topK: int(values['top-k'], '--top-k', 0),
          topP: num(values['top-p'], '--top-p', 1),
          repetitionPenalty: num(values['repetition-penalty'], '--repetition-penalty', 1),
          seed: int(values.seed, '--seed', 0),
        },
        stopStrings: values.stop,
        logprobs,
      },
      values.json ? undefined : (_row, t) => process.stdout.write(t.text),
    );
    process.once('SIGINT', () => answer.cancel());
    const { rows, stats } = await answer.result;
    const row = rows[0];
    if (values.json) {
      const out: Record<string, unknown> = {
        text: row.text,
        tokens: row.tokens,
        finishReason: row.finishReason,
        stats: {
          promptTokens: stats.promptTokens,
          ttftMs: stats.ttftMs,
          promptTokensPerSec: stats.promptTokensPerSec,
          decodeTokensPerSec: stats.decodeTokensPerSec,
          provider: info.provider,
        },
      };
      if (logprobs !== undefined) out.logprobs = row.logprobs;
      console.log(JSON.stringify(out));
    } else {
      process.stdout.write('\n');
      process.stderr.write(
        `[${row.tokens.length} tokens, ${row.finishReason}; prompt ${stats.promptTokens} tok at ${stats.promptTokensPerSec.toFixed(0)} tok/s, ` +
          `first token ${stats.ttftMs.toFixed(0)} ms, decode ${stats.decodeTokensPerSec.toFixed(1)} tok/s on ${info.provider}]\n`,
      );
    }
  } finally {
    await engine.close();
  }
}

/**
 * --messages: a conversation as a JSON array of {role: system|user|assistant, content}, ending
 * with the user's turn, given inline (starts with `[`) or as a file (an exported reply's
 * "context" has this shape, docs/export.md).
 */
export function readMessages(spec: string): ChatMessage[] {
  const inline = spec.trimStart().startsWith('[');
  const where = inline ? '--messages' : `--messages ${spec}`;
  if (!inline && !existsSync(spec)) throw new Error(`${where}: no such file (give a JSON array of {role, content}, inline or in a file)`);
  let value: unknown;
  try {
    value = JSON.parse(inline ? spec : readFileSync(spec, 'utf8'));
  } catch (e) {
    throw new Error(`${where}: not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(value) || value.length === 0) throw new Error(`${where}: expected a non-empty JSON array of {role, content}`);
  value.forEach((m: unknown, i) => {
    const r = m as { role?: unknown; content?: unknown } | null;
    if (typeof r !== 'object' || r === null || !['system', 'user', 'assistant'].includes(r.role as string) || typeof r.content !== 'string') {
      throw new Error(`${where}: message ${i}: expected {"role": "system" | "user" | "assistant", "content": "..."}`);
    }
  });
  const out = (value as { role: string; content: string }[]).map((m) => ({ role: m.role, content: m.content }));
  if (out.at(-1)!.role !== 'user') throw new Error(`${where}: the last message is the ${out.at(-1)!.role}'s; end with the user's turn to get a reply`);
  return out;
}

/** --diff/--dit name a file or folder, or an adapter id of the catalog (`diffscope adapters`). */
async function resolveCatalogIds(stack: StackRef[]): Promise<StackRef[]> {
  if (stack.every((s) => existsSync(s.path.replace(/#\d+$/, '')))) return stack;
  return withBackend(async (b) =>
    stack.map((s) => {
      if (existsSync(s.path.replace(/#\d+$/, ''))) return s;
      const a = b.ctx.catalog.adapters.get(s.path);
      if (!a) throw new Error(`${s.path}: neither a file nor an adapter id in the catalog (see \`diffscope adapters\`)`);
      return { ...s, path: engineRef(a), ...(a.kind === 'full' && a.rank ? { rank: a.rank } : {}) };
    }),
  );
}

/** A library id, an imported folder, or a Hugging Face folder (imported first, once). */
async function modelDir(ref: string): Promise<string> {
  if (existsSync(join(ref, 'config.json')) && !existsSync(join(ref, 'manifest.json'))) {
    return (await importWithProgress(ref)).dir;
  }
  return resolveModelDir(ref);
}
