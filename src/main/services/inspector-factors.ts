// Per-adapter factor data for similarity: each catalog adapter's low-rank factors read once and
// kept (least recently used dropped past a memory budget), with its ||ΔW||_F, so comparing one
// diff with thousands reads no file twice.
import { engineRef, type Adapter } from '../catalog/index.ts';
import { loadLowRank } from '../engine/adapters/load.ts';
import { PaperShard } from '../engine/adapters/paper.ts';
import type { LowRank } from '../engine/adapters/lowrank.ts';
import { normSquared } from '../engine/adapters/spectrum.ts';

export interface Factors {
  lr: LowRank;
  norm: number;
  bytes: number;
}

/** Factors kept at most (a rank-1 diff of the demo is 39 KB; of Qwen3-8B about 10 MB). */
const BUDGET_BYTES = 1 << 30;

export class FactorCache {
  private readonly kept = new Map<string, Factors>();
  private bytes = 0;
  /** the paper shard read last: its diffs come in a row, and opening one parses the whole pickle */
  private shard: { path: string; shard: PaperShard } | null = null;

  constructor(private readonly budget = BUDGET_BYTES) {}

  /** An adapter's factors; a full finetune is compressed against its base's source folder. */
  get(a: Adapter, base?: string): Factors {
    const hit = this.kept.get(a.id);
    if (hit) {
      this.kept.delete(a.id); // most recently used last
      this.kept.set(a.id, hit);
      return hit;
    }
    const lr = this.load(a, base);
    let bytes = 0;
    for (const m of lr.modules.values()) bytes += m.a.byteLength + m.b.byteLength;
    const f: Factors = { lr, norm: Math.sqrt(Math.max(0, normSquared(lr))), bytes };
    this.kept.set(a.id, f);
    this.bytes += bytes;
    for (const [id, old] of this.kept) {
      if (this.bytes <= this.budget || id === a.id) break;
      this.kept.delete(id);
      this.bytes -= old.bytes;
    }
    return f;
  }

  private load(a: Adapter, base?: string): LowRank {
    const { path, index } = a.source;
    if (a.kind === 'diff' && index !== null && path.endsWith('.pt')) {
      if (this.shard?.path !== path) this.shard = { path, shard: PaperShard.open(path) };
      return this.shard.shard.readDiff(index);
    }
    return loadLowRank(engineRef(a), { base, rank: a.rank ?? undefined });
  }

  /** Lets the last shard's parsed pickle go (after a batch of reads). */
  release(): void {
    this.shard = null;
  }

  forget(id: string): void {
    const f = this.kept.get(id);
    if (f) this.bytes -= f.bytes;
    this.kept.delete(id);
  }
}
