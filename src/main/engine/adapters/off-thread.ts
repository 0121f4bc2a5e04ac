// Adapter checks (check.ts) in a worker thread of their own, so that reading a file a stranger
// made never stalls the thread that answers requests: a slow or hostile file delays only its own
// import. The worker's heap is capped and it is stopped after a time limit; either way the import
// fails with a one-line reason and the process carries on.
import { Worker } from 'node:worker_threads';
import type { AdapterCheck, CheckReply, CheckRequest, ExperimentCheck } from './check.ts';
import type { LoadOptions } from './load.ts';
import type { AdapterInspection } from './inspect.ts';
import type { BaseModel } from './validate.ts';

const fromSource = import.meta.url.endsWith('.ts');
/** Bundled: check-worker.js next to the chunk that holds this module (electron.vite.config.ts). */
const ENTRY = new URL(fromSource ? './check-worker-source.mjs' : './check-worker.js', import.meta.url);

export interface OffThreadLimits {
  timeoutMs: number;
  heapMb: number;
}

const DEFAULT_LIMITS: OffThreadLimits = { timeoutMs: 10 * 60_000, heapMb: 2048 };

/** Checks running at once; more wait their turn (fifty imports must not start fifty threads). */
const MAX_RUNNING = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function run(req: CheckRequest, what: string, limits: OffThreadLimits): Promise<unknown> {
  if (running < MAX_RUNNING) running++;
  else await new Promise<void>((turn) => waiting.push(turn)); // a finished check hands over its slot
  try {
    return await runNow(req, what, limits);
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

function runNow(req: CheckRequest, what: string, limits: OffThreadLimits): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(ENTRY, { workerData: req, resourceLimits: { maxOldGenerationSizeMb: limits.heapMb } });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void worker.terminate();
    };
    const timer = setTimeout(() => settle(() => reject(new Error(`${what}: reading it took over ${Math.round(limits.timeoutMs / 1000)} s; stopped`))), limits.timeoutMs);
    worker.once('message', (m: CheckReply) => settle(() => (m.ok ? resolve(m.result) : reject(new Error(m.message)))));
    worker.once('error', (err) => {
      const oom = (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
      settle(() => reject(new Error(oom ? `${what}: reading it needs more than ${limits.heapMb} MB of memory; stopped` : `${what}: ${err.message.split('\n')[0]}`)));
    });
    worker.once('exit', (code) => settle(() => reject(new Error(`${what}: the reader stopped (exit code ${code})`))));
  });
}

/** checkAdapter, off this thread. */
export function checkAdapterOffThread(ref: string, base: BaseModel, opts: LoadOptions = {}, limits = DEFAULT_LIMITS): Promise<AdapterCheck> {
  return run({ op: 'adapter', ref, base, opts }, ref, limits) as Promise<AdapterCheck>;
}

/** checkExperiment, off this thread. */
export function checkExperimentOffThread(dir: string, base: BaseModel, limits = DEFAULT_LIMITS): Promise<ExperimentCheck> {
  return run({ op: 'experiment', dir, base }, dir, limits) as Promise<ExperimentCheck>;
}

/** inspectAdapter(loadLowRank(ref)), off this thread. */
export function inspectAdapterOffThread(ref: string, opts: LoadOptions = {}, limits = DEFAULT_LIMITS): Promise<AdapterInspection> {
  return run({ op: 'inspect', ref, opts }, ref, limits) as Promise<AdapterInspection>;
}
