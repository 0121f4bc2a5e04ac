// `diffscope ask`: one question to a model with an adapter stack, answer streamed to stdout.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EngineClient } from '../../engine/client.ts';
import { resolveModelDir } from '../../engine/library.ts';
import type { ProviderChoice } from '../../engine/session.ts';
import { int, num, parse, pathWithScale } from '../args.ts';
import { importWithProgress } from './import.ts';
import { withBackend } from '../backend.ts';
import { engineRef } from '../../catalog/index.ts';
import type { StackRef } from '../../engine/engine.ts';

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
    raw: { type: 'boolean', default: false },
    provider: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
  });
  if (!values.model) throw new Error('--model ID_OR_DIR is required');
  if (positionals.length !== 1) throw new Error('ask takes one question (quote it)');
  const question = positionals[0];
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
      [values.raw ? { prompt: question, stack } : { messages: [{ role: 'user', content: question }], stack }],
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
