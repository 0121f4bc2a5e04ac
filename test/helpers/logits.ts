// Logits as the engine computes them, and how far apart two sets are: shared by the tests that
// compare an import with the reference or with another precision.
import assert from 'node:assert/strict';
import { forwardStep, KvCache } from '../../src/main/engine/forward.ts';
import type { ModelSession } from '../../src/main/engine/session.ts';
import { StackFeeds } from '../../src/main/engine/stack.ts';
import type { LoadedStackEntry } from '../../src/main/engine/adapters/lowrank.ts';

/** Logits at every position of one prompt: [prompt.length * vocab]. */
export async function promptLogits(session: ModelSession, prompt: number[], stack: LoadedStackEntry[] = []): Promise<Float32Array> {
  const feeds = new StackFeeds(session.manifest.shapes);
  feeds.set([stack]);
  const { logits } = await forwardStep(session, new KvCache(1), feeds, [prompt], [prompt.map((_, i) => i)]);
  return logits;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
