// int8 and int4 imports of the tiny presets. Two independent checks:
// - layout parity: imports at accuracy_level 0 (float activations) against the plain TypeScript
//   reference run on the same weights quantised and dequantised in TypeScript (quantize.ts), to
//   float precision: a wrong nibble order, scale or zero point, or a tied head that reads other
//   bytes than the table, is off by whole logits. The default level 4 also rounds activations to
//   int8 per block; on these tiny random models that moves logits by up to ~0.35 (TOL_LEVEL4).
// - against fp32: int8 logits within TOL_INT8 of fp32's, and the same greedy token wherever fp32's
//   best token leads its runner-up by more than twice that (random tiny models have many near-ties).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { importModel } from '../../src/main/engine/build/import-model.ts';
import { weightBytes } from '../../src/main/engine/build/auto-precision.ts';
import { precisionFor, DEFAULT_BLOCK_SIZE } from '../../src/main/engine/build/precision.ts';
import { dequantiseRows, quantiseRows, type NbitsSpec } from '../../src/main/engine/build/quantize.ts';
import { ModelSession } from '../../src/main/engine/session.ts';
import { parseModuleKey, type LoadedStackEntry } from '../../src/main/engine/adapters/lowrank.ts';
import type { ArchKey } from '../../src/main/engine/hf/config.ts';
import { referenceLogits, type LoraStack, type Weights } from '../reference/forward.ts';
import { randomLowRank, tinyModel, type TinyModel } from '../helpers/models.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { maxAbsDiff, promptLogits } from '../helpers/logits.ts';

const TOL_LAYOUT = 2e-3;
const TOL_LEVEL4 = 0.5;
const TOL_INT8 = 0.6;
const PROMPT = [1, 50, 300, 2000, 40, 7, 999, 12345, 31, 8];

const SPECS: Record<'int8' | 'int4', NbitsSpec> = {
  int8: { bits: 8, block: DEFAULT_BLOCK_SIZE, zeroPoints: false },
  int4: { bits: 4, block: DEFAULT_BLOCK_SIZE, zeroPoints: true },
};

/** The checkpoint's matrices as the quantised import stores them, back in float32. */
function quantisedWeights(m: TinyModel, spec: NbitsSpec): Weights {
  return {
    get(name) {
      const t = m.weights.get(name);
      if (t.shape.length !== 2) return t; // norms stay in float
      const [rows, cols] = t.shape;
      return { shape: t.shape, data: dequantiseRows(quantiseRows(t.data, rows, cols, spec), rows, cols, spec) };
    },
  };
}



/** Best and runner-up of one row. */
function top2(row: Float32Array): [number, number, number] {
  let best = 0;
  let second = -1;
  for (let i = 1; i < row.length; i++) {
    if (row[i] > row[best]) [second, best] = [best, i];
    else if (second < 0 || row[i] > row[second]) second = i;
  }
  return [best, row[best], row[second]];
}

function loraFor(stack: LoadedStackEntry[]): LoraStack {
  return stack.flatMap(({ adapter, scale }) =>
    [...adapter.modules].map(([key, m]) => ({ ...parseModuleKey(key), a: m.a, b: m.b, rank: m.rank, scale: scale * adapter.scale })),
  );
}

for (const arch of ['qwen3', 'llama', 'gemma3'] as ArchKey[]) {
  describe(`int8 and int4 imports (tiny ${arch})`, () => {
    let model: TinyModel;
    const sessions: Partial<Record<'fp32' | 'int8' | 'int4', ModelSession>> = {};
    const dirs: Partial<Record<'int8' | 'int4', string>> = {};
    const exact: Partial<Record<'int8' | 'int4', ModelSession>> = {}; // accuracy_level 0

    before(async () => {
      model = await tinyModel(arch);
      sessions.fp32 = await ModelSession.open(model.libDir, { provider: 'cpu' });
      const home = tmpDir(`quantized-${arch}`);
      for (const id of ['int8', 'int4'] as const) {
        const r = await importModel(model.hfDir, { precision: id, home });
        assert.equal(r.manifest.precision, id);
        assert.deepEqual(r.manifest.quantization, { bits: SPECS[id].bits, blockSize: 32, zeroPoints: SPECS[id].zeroPoints, accuracyLevel: 4 });
        dirs[id] = r.dir;
        sessions[id] = await ModelSession.open(r.dir, { provider: 'cpu' });
        exact[id] = await ModelSession.open((await importModel(model.hfDir, { precision: id, home, accuracyLevel: 0 })).dir, { provider: 'cpu' });
      }
    });
    after(async () => {
      for (const s of [...Object.values(sessions), ...Object.values(exact)]) await s?.release();
    });

    it('stores the bytes its precision predicts (a tied head shares the table)', () => {
      for (const id of ['int8', 'int4'] as const) {
        const stored = statSync(join(dirs[id]!, 'model.onnx.data')).size;
        const expected = weightBytes(model.config, precisionFor(id));
        const extra = stored - expected; // alignment padding, norms and RoPE tables
        assert.ok(extra >= 0 && extra < 0.05 * expected + 4e6, `${id}: ${stored} bytes stored for ${expected} bytes of matrices`);
      }
    });

    for (const id of ['int8', 'int4'] as const) {
      it(`${id} (accuracy level 0) equals the reference on the same weights quantised in TypeScript, to ${TOL_LAYOUT}`, async () => {
        const reference = referenceLogits(model.config, quantisedWeights(model, SPECS[id]), PROMPT);
        const diff = maxAbsDiff(await promptLogits(exact[id]!, PROMPT), reference);
        assert.ok(diff <= TOL_LAYOUT, `max |Δlogit| ${diff}`);
      });

      it(`${id} (accuracy level 0) applies a diff + DIT stack in float on top, as the reference does`, async () => {
        const stack: LoadedStackEntry[] = [
          { adapter: randomLowRank(model.config, 1, 101), scale: 1 },
          { adapter: randomLowRank(model.config, 16, 202), scale: 0.8 },
        ];
        const reference = referenceLogits(model.config, quantisedWeights(model, SPECS[id]), PROMPT, loraFor(stack));
        const withStack = await promptLogits(exact[id]!, PROMPT, stack);
        assert.ok(maxAbsDiff(withStack, reference) <= TOL_LAYOUT, `max |Δlogit| ${maxAbsDiff(withStack, reference)}`);
        assert.ok(maxAbsDiff(withStack, await promptLogits(exact[id]!, PROMPT)) > 0.1, 'the stack changed nothing');
      });

      it(`${id} at the default level 4 stays within ${TOL_LEVEL4} of the same reference`, async () => {
        const reference = referenceLogits(model.config, quantisedWeights(model, SPECS[id]), PROMPT);
        const diff = maxAbsDiff(await promptLogits(sessions[id]!, PROMPT), reference);
        assert.ok(diff <= TOL_LEVEL4, `max |Δlogit| ${diff}`);
      });
    }

    it(`int8 stays within ${TOL_INT8} of fp32, with the same greedy token wherever fp32 leads by more than ${2 * TOL_INT8}`, async () => {
      const fp32 = await promptLogits(sessions.fp32!, PROMPT);
      const int8 = await promptLogits(sessions.int8!, PROMPT);
      const diff = maxAbsDiff(int8, fp32);
      assert.ok(diff <= TOL_INT8, `max |Δlogit| ${diff}`);
      const V = model.config.vocabSize;
      for (let p = 0; p < PROMPT.length; p++) {
        const [best, first, second] = top2(fp32.subarray(p * V, (p + 1) * V));
        if (first - second > 2 * TOL_INT8) assert.equal(top2(int8.subarray(p * V, (p + 1) * V))[0], best, `position ${p}`);
      }
    });
  });
}
