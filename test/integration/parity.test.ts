// The ONNX engine against the plain-TypeScript reference, for every architecture (tiny, fp32):
// 16 prompt tokens + 8 cached decode steps, with no adapter, a rank-1 diff, and a rank-1 + rank-16
// stack; and a batch of three different stacks against three single runs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ModelSession } from '../../src/main/engine/session.ts';
import { forwardStep, KvCache } from '../../src/main/engine/forward.ts';
import { StackFeeds } from '../../src/main/engine/stack.ts';
import type { LoadedStackEntry } from '../../src/main/engine/adapters/lowrank.ts';
import { parseModuleKey } from '../../src/main/engine/adapters/lowrank.ts';
import { generate } from '../../src/main/engine/generate.ts';
import { GREEDY } from '../../src/main/engine/sampler.ts';
import { referenceGreedy, referenceLogits, type LoraStack } from '../reference/forward.ts';
import { seededRandom } from '../reference/random-weights.ts';
import { randomLowRank, tinyModel, type TinyModel } from '../helpers/models.ts';
import { ARCHITECTURES } from '../../src/main/engine/build/registry.ts';
import { maxAbsDiff } from '../helpers/logits.ts';

const TOL = 1e-3;

function toReference(stack: LoadedStackEntry[]): LoraStack {
  return stack.flatMap(({ adapter, scale }) =>
    [...adapter.modules].map(([key, m]) => ({ ...parseModuleKey(key), a: m.a, b: m.b, rank: m.rank, scale: scale * adapter.scale })),
  );
}


function randomIds(n: number, vocab: number, seed: number): number[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => Math.floor(r() * Math.min(vocab, 30000)));
}

/** Engine logits for prompt (all positions) then each decode token, as one [n, vocab] array per row. */
async function engineLogits(session: ModelSession, stacks: LoadedStackEntry[][], prompts: number[][], decode: number[][]): Promise<Float32Array[]> {
  const V = session.manifest.shapes.vocab;
  const feeds = new StackFeeds(session.manifest.shapes);
  feeds.set(stacks);
  const B = prompts.length;
  const cache = new KvCache(B);
  const out = prompts.map((p) => new Float32Array((p.length + decode[0].length) * V));
  if (B === 1) {
    const { logits } = await forwardStep(session, cache, feeds, prompts, [prompts[0].map((_, i) => i)]);
    out[0].set(logits);
  } else {
    // right-padded prefill: ask for each row's positions, padded with its last position
    const longest = Math.max(...prompts.map((p) => p.length));
    const positions = prompts.map((p) => Array.from({ length: longest }, (_, i) => Math.min(i, p.length - 1)));
    const { logits } = await forwardStep(session, cache, feeds, prompts, positions);
    prompts.forEach((p, r) => out[r].set(logits.subarray(r * longest * V, (r * longest + p.length) * V)));
  }
  for (let s = 0; s < decode[0].length; s++) {
    const { logits } = await forwardStep(session, cache, feeds, decode.map((d) => [d[s]]), decode.map(() => [0]));
    for (let r = 0; r < B; r++) out[r].set(logits.subarray(r * V, (r + 1) * V), (prompts[r].length + s) * V);
  }
  return out;
}

for (const spec of ARCHITECTURES) {
  describe(`parity ${spec.key}`, () => {
    let model: TinyModel;
    let session: ModelSession;
    before(async () => {
      model = await tinyModel(spec.key);
      session = await ModelSession.open(model.libDir, { provider: 'cpu' });
    });
    after(() => session?.release());

    const prompt = randomIds(16, 100000, 11);
    const decode = randomIds(8, 100000, 12);

    const stacks = (m: TinyModel): Record<string, LoadedStackEntry[]> => ({
      'no adapter': [],
      'rank-1 diff': [{ adapter: randomLowRank(m.config, 1, 101), scale: 1 }],
      'rank-1 diff + rank-16 DIT adapter': [
        { adapter: randomLowRank(m.config, 1, 101), scale: 1 },
        { adapter: randomLowRank(m.config, 16, 202), scale: 0.8 },
      ],
    });

    for (const name of ['no adapter', 'rank-1 diff', 'rank-1 diff + rank-16 DIT adapter']) {
      it(`matches the reference over 16 prompt tokens + 8 cached steps, ${name}`, async () => {
        const stack = stacks(model)[name];
        const [engine] = await engineLogits(session, [stack], [prompt], [decode]);
        const ref = referenceLogits(model.config, model.weights, [...prompt, ...decode], toReference(stack));
        const diff = maxAbsDiff(engine, ref);
        assert.ok(diff <= TOL, `max |Δlogit| ${diff} > ${TOL}`);
        if (stack.length) {
          const base = referenceLogits(model.config, model.weights, [...prompt, ...decode]);
          assert.ok(maxAbsDiff(ref, base) > 100 * TOL, 'the adapter must visibly change the logits');
        }
      });
    }

    it('runs a batch of three different stacks exactly as three single runs', async () => {
      const all = stacks(model);
      const rows = [all['rank-1 diff + rank-16 DIT adapter'], all['no adapter'], all['rank-1 diff']];
      const prompts = [prompt, prompt.slice(0, 12), prompt.slice(3, 12)];
      const decodes = [decode, decode.slice().reverse(), decode.map((t) => t + 1)];
      const batched = await engineLogits(session, rows, prompts, decodes);
      for (let r = 0; r < 3; r++) {
        const [single] = await engineLogits(session, [rows[r]], [prompts[r]], [decodes[r]]);
        const diff = maxAbsDiff(batched[r], single);
        assert.ok(diff <= 1e-4, `row ${r}: max |Δlogit| ${diff} between batch and single`);
      }
    });

    it('generates the same 16 greedy tokens as the reference', async () => {
      const stack = stacks(model)['rank-1 diff + rank-16 DIT adapter'];
      const feeds = new StackFeeds(session.manifest.shapes);
      feeds.set([stack]);
      const { rows } = await generate(session, feeds, [prompt], {
        maxTokens: 16,
        sampling: GREEDY,
        eosIds: [],
        newDecoder: () => ({ push: () => '' }),
      });
      const expected = referenceGreedy(model.config, model.weights, prompt, 16, [], toReference(stack));
      assert.deepEqual(rows[0].tokens, expected);
    });
  });
}
