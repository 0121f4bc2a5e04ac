// Evaluations on a remote OpenAI-compatible server that serves LoRA adapters by name, as vLLM does
// with runtime LoRA loading. Each stack (diff + DIT adapter) is written ONCE as a PEFT folder
// (engine/adapters/peft.ts writePeft: one rank r1 + r2 adapter, exact) under a folder the server
// can read, named by its content, then per batch: POST /v1/load_lora_adapter, one chat completion
// per row with model = that name (the server batches concurrent requests), POST
// /v1/unload_lora_adapter. Diffscope's own `serve` accepts the same calls (server/lora-routes.ts).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { StackEntry } from '../../../shared/api.ts';
import { engineRef, type Model } from '../../catalog/index.ts';
import { loadLowRank } from '../../engine/adapters/load.ts';
import { writePeft } from '../../engine/adapters/peft.ts';
import { required, type Ctx } from '../context.ts';
import { apiBase, chatCompletion, loadLoraAdapter, mapLimit, unloadLoraAdapter, type Endpoint } from '../openai-http.ts';
import { checkSource } from '../sources.ts';
import { Cancelled, type EvalEngine } from './engine.ts';

export interface RemoteOptions {
  baseUrl: string;
  model?: string; // the base model's name on the server (default: the local model id)
  loraDir?: string; // default <home>/lora-exports
  apiKey: string | null;
}

export function remoteEngine(ctx: Ctx, model: Model, opts: RemoteOptions): EvalEngine {
  const ep: Endpoint = { baseUrl: apiBase(opts.baseUrl), apiKey: opts.apiKey, timeoutMs: 600_000 };
  const remoteModel = opts.model || model.id;
  const loraDir = resolve(opts.loraDir ?? join(ctx.home, 'lora-exports'));
  const written = new Set<string>();
  let cancelled = false;

  /** The stack's PEFT folder, written the first time it is needed; its name is its content's hash. */
  const peftFolder = async (stack: StackEntry[]): Promise<{ name: string; path: string }> => {
    const adapters = stack.map((p) => required(ctx.catalog.adapters.get(p.adapterId), `adapter ${p.adapterId}`));
    const key = stack.map((p, i) => `${adapters[i].source.sha256}#${adapters[i].source.index ?? ''}*${p.scale}`).join('+');
    const name = `diffscope-${createHash('sha256').update(`${model.id}\0${key}`).digest('hex').slice(0, 20)}`;
    const path = join(loraDir, name);
    if (!written.has(name) && !existsSync(join(path, 'adapter_config.json'))) {
      for (const a of adapters) await checkSource(a);
      const entries = stack.map((p, i) => {
        const a = adapters[i];
        return { adapter: loadLowRank(engineRef(a), { base: model.sourcePath, rank: a.kind === 'full' ? (a.rank ?? undefined) : undefined }), scale: p.scale };
      });
      writePeft(path, entries, { baseModel: remoteModel, meta: { stack: JSON.stringify(stack.map((p, i) => ({ ...p, sha256: adapters[i].source.sha256 }))) } });
    }
    written.add(name);
    return { name, path };
  };

  return {
    name: `openai:${ep.baseUrl}`,
    async answer(rows, maxTokens) {
      if (cancelled) throw new Cancelled();
      const names = new Map<string, string>(); // stack key -> model name to ask
      const loaded: string[] = [];
      try {
        for (const row of rows) {
          const key = JSON.stringify(row.stack);
          if (names.has(key)) continue;
          if (row.stack.length === 0) {
            names.set(key, remoteModel);
            continue;
          }
          const { name, path } = await peftFolder(row.stack);
          await loadLoraAdapter(ep, name, path, remoteModel).catch((err: Error) => {
            if (!/already/i.test(err.message)) throw err; // left loaded by an interrupted run: same content, same name
          });
          loaded.push(name);
          names.set(key, name);
        }
        return await mapLimit(rows, rows.length, async (row) => {
          if (cancelled) throw new Cancelled();
          const messages = [{ role: 'user', content: row.prompt }];
          return chatCompletion(ep, { model: names.get(JSON.stringify(row.stack))!, messages, max_tokens: maxTokens, temperature: 0, seed: 0 });
        });
      } finally {
        for (const name of loaded) await unloadLoraAdapter(ep, name).catch(() => {});
      }
    },
    cancel() {
      cancelled = true;
    },
    close: async () => {},
  };
}
