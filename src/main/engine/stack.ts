// Adapter stacks -> the graph's LoRA inputs. A stack [diff at s1, DIT at s2] becomes one
// rank r1 + r2 pair per module: a = [a1 | a2], b = [s1 b1 ; s2 b2], so the graph computes
// x a b = s1 x a1 b1 + s2 x a2 b2 exactly. Batches hold one stack per row, zero-padded to the
// largest rank. Buffers are kept, and a slot whose adapter and scale did not change is not
// rewritten: swapping the diff under a fixed DIT adapter touches only the diff's columns.
// A part restricted to some layers or modules (amplification) writes zeros outside them.
import type { Manifest } from './library.ts';
import { MODULES, loraInputNames } from './modules.ts';
import { moduleKey, type LowRank, type LoadedStackEntry } from './adapters/lowrank.ts';
import { validateAdapter } from './adapters/validate.ts';
import { selects, selectionKey, type PartSelection } from './adapters/selection.ts';

export interface FeedArray {
  data: Float32Array;
  dims: number[];
}

type Shapes = Manifest['shapes'];

export function stackRank(stack: LoadedStackEntry[]): number {
  return stack.reduce((r, e) => r + e.adapter.rank, 0);
}

/** Checks every module of every adapter against the model's shapes; names the first mismatch. */
export function validateStack(shapes: Shapes, stack: LoadedStackEntry[]): void {
  for (const { adapter } of stack) validateAdapter(adapter, shapes);
}

interface Slot {
  adapter: LowRank;
  scale: number;
  offset: number;
  only?: PartSelection;
}

/** LoRA feeds for a fixed batch size, reused across requests. */
export class StackFeeds {
  private rank = -1;
  private batch = 0;
  private slots: Slot[][] = [];
  readonly feeds = new Map<string, FeedArray>();

  constructor(private readonly shapes: Shapes) {}

  /** Points the feeds at these stacks (one per batch row); returns true if buffers were reallocated. */
  set(rows: LoadedStackEntry[][]): boolean {
    const rank = Math.max(0, ...rows.map(stackRank));
    const realloc = rank !== this.rank || rows.length !== this.batch;
    if (realloc) this.allocate(rows.length, rank);
    rows.forEach((stack, row) => {
      let offset = 0;
      const old = this.slots[row] ?? [];
      const slots: Slot[] = [];
      stack.forEach((entry, i) => {
        const slot = { adapter: entry.adapter, scale: entry.scale * entry.adapter.scale, offset, only: entry.only };
        const prev = old[i];
        const same =
          !realloc && prev && prev.adapter === slot.adapter && prev.scale === slot.scale && prev.offset === offset && selectionKey(prev.only) === selectionKey(slot.only);
        if (!same) this.writeSlot(row, slot);
        slots.push(slot);
        offset += entry.adapter.rank;
      });
      // columns left over from a longer previous stack must not keep contributing
      const oldEnd = old.reduce((end, s) => Math.max(end, s.offset + s.adapter.rank), 0);
      if (!realloc && oldEnd > offset) this.clearFrom(row, offset);
      this.slots[row] = slots;
    });
    return realloc;
  }

  private allocate(batch: number, rank: number): void {
    this.rank = rank;
    this.batch = batch;
    this.slots = [];
    for (let layer = 0; layer < this.shapes.layers; layer++) {
      for (const module of MODULES) {
        const [inDim, outDim] = this.shapes.modules[module];
        const names = loraInputNames(layer, module);
        this.feeds.set(names.a, { data: new Float32Array(batch * inDim * rank), dims: [batch, inDim, rank] });
        this.feeds.set(names.b, { data: new Float32Array(batch * rank * outDim), dims: [batch, rank, outDim] });
      }
    }
  }

  /** Each module's feed buffers with its shape, for one pass over the whole model. */
  private forEachModule(fn: (key: string, inDim: number, outDim: number, a: Float32Array, b: Float32Array) => void): void {
    for (let layer = 0; layer < this.shapes.layers; layer++) {
      for (const module of MODULES) {
        const [inDim, outDim] = this.shapes.modules[module];
        const names = loraInputNames(layer, module);
        fn(moduleKey(layer, module), inDim, outDim, this.feeds.get(names.a)!.data, this.feeds.get(names.b)!.data);
      }
    }
  }

  private writeSlot(row: number, slot: Slot): void {
    const R = this.rank;
    const r = slot.adapter.rank;
    this.forEachModule((key, inDim, outDim, a, b) => {
      const m = selects(slot.only, key) ? slot.adapter.modules.get(key) : undefined;
      const aBase = row * inDim * R + slot.offset;
      const bBase = (row * R + slot.offset) * outDim;
      if (!m) {
        for (let i = 0; i < inDim; i++) a.fill(0, aBase + i * R, aBase + i * R + r);
        b.fill(0, bBase, bBase + r * outDim);
        return;
      }
      // a[row, i, offset + j] = m.a[i, j]  (modules of lower rank than the adapter are zero-padded)
      const mr = m.rank;
      for (let i = 0; i < inDim; i++) {
        const dst = aBase + i * R;
        const src = i * mr;
        for (let j = 0; j < mr; j++) a[dst + j] = m.a[src + j];
        for (let j = mr; j < r; j++) a[dst + j] = 0;
      }
      // b[row, offset + j, :] = scale * m.b[j, :]
      const s = slot.scale;
      const n = mr * outDim;
      for (let k = 0; k < n; k++) b[bBase + k] = s * m.b[k];
      b.fill(0, bBase + n, bBase + r * outDim);
    });
  }

  private clearFrom(row: number, offset: number): void {
    const R = this.rank;
    this.forEachModule((_key, inDim, outDim, a, b) => {
      for (let i = 0; i < inDim; i++) a.fill(0, row * inDim * R + i * R + offset, row * inDim * R + (i + 1) * R);
      b.fill(0, (row * R + offset) * outDim, (row + 1) * R * outDim);
    });
  }
}
