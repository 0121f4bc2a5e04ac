// What an import needs to know about an adapter file or a released experiment folder before it
// is catalogued: read whole, validated against the base model, every index.csv row checked
// against its shard. Synchronous and possibly heavy (hostile files are bounded, not cheap): run
// through off-thread.ts, never on the thread that serves requests.
import { basename, join } from 'node:path';
import { inspectAdapter } from './inspect.ts';
import { loadLowRank, type LoadOptions } from './load.ts';
import { paperExperiment, readPaperShard, type PaperDiffRow, type PaperExperiment } from './paper.ts';
import { validateAdapter, type BaseModel } from './validate.ts';
import type { AdapterInspection } from './inspect.ts';

export interface AdapterCheck {
  rank: number;
  meta: Record<string, string>;
}

/** One adapter reference ("file[#index]", a folder), read and validated against the base. */
export function checkAdapter(ref: string, base: BaseModel, opts: LoadOptions = {}): AdapterCheck {
  const lr = loadLowRank(ref, opts);
  validateAdapter(lr, base);
  return { rank: lr.rank, meta: lr.meta };
}

export interface ExperimentCheck {
  exp: PaperExperiment;
  /** rank of each DIT adapter, by path */
  ditRanks: Record<string, number>;
}

/**
 * A released experiment: its DIT adapters read and validated whole (they are small); for each
 * present shard, every index.csv row's lora_idx exists in it and its first diff fits the base.
 */
export function checkExperiment(dir: string, base: BaseModel): ExperimentCheck {
  const exp = paperExperiment(dir);
  const ditRanks: Record<string, number> = {};
  for (const path of new Set([...(exp.ditAdapter ? [exp.ditAdapter] : []), ...exp.ditAdapters])) ditRanks[path] = checkAdapter(path, base).rank;
  const rowsOf = new Map<string, PaperDiffRow[]>(); // present shards -> their rows
  for (const d of exp.diffs) if (d.present) (rowsOf.get(d.shard) ?? rowsOf.set(d.shard, []).get(d.shard)!).push(d);
  for (const [shard, rows] of rowsOf) {
    const diffs = readPaperShard(shard);
    const past = rows.find((d) => d.loraIdx >= diffs.length);
    if (past) throw new Error(`${join(dir, 'index.csv')}: row ${past.line}: lora_idx ${past.loraIdx}, but ${basename(shard)} holds ${diffs.length} diff(s) (0..${diffs.length - 1})`);
    const first = diffs[0];
    if (first && first.kind === 'diff') checkAdapter(`${shard}#${first.index}`, base);
  }
  return { exp, ditRanks };
}

export type CheckRequest =
  | { op: 'adapter'; ref: string; base: BaseModel; opts: LoadOptions }
  | { op: 'experiment'; dir: string; base: BaseModel }
  | { op: 'inspect'; ref: string; opts: LoadOptions };
type CheckResult = AdapterCheck | ExperimentCheck | AdapterInspection;
export type CheckReply = { ok: true; result: CheckResult } | { ok: false; message: string };

export function runCheck(req: CheckRequest): CheckResult {
  if (req.op === 'adapter') return checkAdapter(req.ref, req.base, req.opts);
  if (req.op === 'experiment') return checkExperiment(req.dir, req.base);
  return inspectAdapter(loadLowRank(req.ref, req.opts)); // a full finetune is compressed here: seconds of work
}
