// Changes made by other processes on the same data folder (a `diffscope eval` or `ask` started
// from the command line beside the app): their rows appear in the catalog, but no event says so.
// A long-lived back end looks every few seconds and tells its pages what changed.
import type { Ctx } from './context.ts';
import type { EvalService } from './eval/service.ts';

const EVERY_MS = 2000;

export function watchOtherWriters(ctx: Ctx, evals: EvalService): () => void {
  const signature = {
    evals: () => JSON.stringify(evals.list().map((r) => [r.id, r.status, r.progress.done, r.progress.failed])),
    conversations: () => JSON.stringify(ctx.catalog.conversations.list().map((c) => [c.id, c.updatedAt])),
  };
  const last = { evals: signature.evals(), conversations: signature.conversations() };
  const timer = setInterval(() => {
    for (const what of ['evals', 'conversations'] as const) {
      let now: string;
      try {
        now = signature[what]();
      } catch {
        continue; // the catalog is busy or closing: look again next time
      }
      if (now === last[what]) continue;
      last[what] = now;
      ctx.emit({ type: 'catalog', what });
    }
  }, EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
