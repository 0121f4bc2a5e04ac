// Where an evaluation's answers come from. Both engines answer a batch of rows greedily (the
// paper's setting), each row one user turn with its own adapter stack:
//   local: this machine's engine, all rows in ONE run with per-row LoRA inputs (engine-pool ask);
//   openai: a server with runtime LoRA loading (vLLM), see remote.ts.
import type { StackEntry } from '../../../shared/api.ts';
import type { Model } from '../../catalog/index.ts';
import type { Answer } from '../../engine/client.ts';
import type { FileStackEntry } from '../../engine/engine.ts';
import type { Ctx } from '../context.ts';
import { fromFirstWord } from '../first-word.ts';
import { resolveStack } from '../lookup.ts';

export interface EvalRow {
  prompt: string; // one user turn, through the model's chat template
  stack: StackEntry[];
}

export interface EvalEngine {
  /** "local", or "openai:<url>": recorded with the run */
  readonly name: string;
  /** One greedy answer per row, in order. Rejects when cancelled. */
  answer(rows: EvalRow[], maxTokens: number): Promise<string[]>;
  cancel(): void;
  /** Releases what the engine holds for the run (remote: unloads adapters). */
  close(): Promise<void>;
}

export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** Catalog adapters -> the engine's stack references, each file checked once per engine. */
export function stackResolver(ctx: Ctx, model: Model) {
  const checked = new Set<string>();
  return async (stack: StackEntry[]): Promise<FileStackEntry[]> => (await resolveStack(ctx, model.id, stack, checked)).refs;
}

export function localEngine(ctx: Ctx, model: Model): EvalEngine {
  const resolve = stackResolver(ctx, model);
  let running: Answer | null = null;
  let cancelled = false;
  return {
    name: 'local',
    async answer(rows, maxTokens) {
      if (cancelled) throw new Cancelled();
      const askRows = await Promise.all(rows.map(async (r) => ({ messages: [{ role: 'user', content: r.prompt }], stack: await resolve(r.stack) })));
      // answers start at their first word, as the chat's and the OpenAI endpoint's do (a remote
      // Diffscope answers exactly as this engine)
      running = fromFirstWord((onToken) => ctx.engines.ask(model.id, model.libraryDir, askRows, { maxTokens, sampling: { temperature: 0 } }, onToken), () => {});
      try {
        const { rows: out } = await running.result;
        if (cancelled || out.some((r) => r.finishReason === 'cancelled')) throw new Cancelled();
        return out.map((r) => r.text);
      } finally {
        running = null;
      }
    },
    cancel() {
      cancelled = true;
      running?.cancel();
    },
    close: async () => {},
  };
}
