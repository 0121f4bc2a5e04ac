// fp16 import: the same tiny qwen3 checkpoint imported at fp16 answers with logits close to the
// fp32 import's, says fp16 in its manifest, and stores the bytes its precision predicts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { importModel, type ImportResult } from '../../src/main/engine/build/import-model.ts';
import { weightBytes } from '../../src/main/engine/build/auto-precision.ts';
import { precisionFor } from '../../src/main/engine/build/precision.ts';
import { readManifest } from '../../src/main/engine/library.ts';
import { ModelSession } from '../../src/main/engine/session.ts';
import type { LoadedStackEntry } from '../../src/main/engine/adapters/lowrank.ts';
import { seededRandom } from '../reference/random-weights.ts';
import { randomLowRank, tinyModel, type TinyModel } from '../helpers/models.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { maxAbsDiff, promptLogits } from '../helpers/logits.ts';

/** fp16 keeps ~3 significant digits; over 3 layers the tiny model's logits (std ~2.4) move by ~1e-2. */
const TOL = 5e-2;



describe('fp16 import (tiny qwen3)', () => {
  let model: TinyModel;
  let fp16: ImportResult;
  let sessions: { fp32: ModelSession; fp16: ModelSession };
  const rand = seededRandom(21);
  const prompt = Array.from({ length: 16 }, () => Math.floor(rand() * 30000));

  before(async () => {
    model = await tinyModel('qwen3');
    fp16 = await importModel(model.hfDir, { precision: 'fp16', home: tmpDir('precision-home') });
    sessions = {
      fp32: await ModelSession.open(model.libDir, { provider: 'cpu' }),
      fp16: await ModelSession.open(fp16.dir, { provider: 'cpu' }),
    };
  });
  after(async () => {
    await sessions?.fp32.release();
    await sessions?.fp16.release();
  });

  it('is recorded as fp16, apart from the fp32 import of the same checkpoint', () => {
    assert.equal(fp16.manifest.precision, 'fp16');
    assert.equal(readManifest(fp16.dir).precision, 'fp16');
    assert.equal(readManifest(model.libDir).precision, 'fp32');
    assert.equal(fp16.manifest.source.sha256, readManifest(model.libDir).source.sha256);
    assert.notEqual(fp16.id, readManifest(model.libDir).id);
  });

  it('stores two bytes a weight (and the tied head twice), where fp32 stores four and the tied table once', () => {
    const bytes = (dir: string) => statSync(join(dir, 'model.onnx.data')).size;
    for (const [dir, id] of [[fp16.dir, 'fp16'], [model.libDir, 'fp32']] as const) {
      const expected = weightBytes(model.config, precisionFor(id));
      // alignment padding and the small tensors (norms, RoPE tables of 32k positions) add a little
      const extra = bytes(dir) - expected;
      assert.ok(extra >= 0 && extra < 0.02 * expected + 4e6, `${id}: model.onnx.data ${bytes(dir)} bytes for ${expected} bytes of matrices`);
    }
    assert.equal(fp16.manifest.weightBytes, bytes(fp16.dir));
  });

  it(`gives logits within ${TOL} of fp32 over a 16-token prompt`, async () => {
    const diff = maxAbsDiff(await promptLogits(sessions.fp16, prompt), await promptLogits(sessions.fp32, prompt));
    assert.ok(diff <= TOL, `max |Δlogit| ${diff}`);
    assert.ok(diff > 0, 'fp16 logits equal fp32 bit for bit: the weights were not stored as fp16');
  });

  it(`gives logits within ${TOL} of fp32 with a rank-1 diff + rank-16 adapter stack`, async () => {
    const stack: LoadedStackEntry[] = [
      { adapter: randomLowRank(model.config, 1, 101), scale: 1 },
      { adapter: randomLowRank(model.config, 16, 202), scale: 0.8 },
    ];
    const base = await promptLogits(sessions.fp32, prompt);
    const fp32 = await promptLogits(sessions.fp32, prompt, stack);
    const diff = maxAbsDiff(await promptLogits(sessions.fp16, prompt, stack), fp32);
    assert.ok(diff <= TOL, `max |Δlogit| ${diff}`);
    assert.ok(maxAbsDiff(fp32, base) > 10 * TOL, 'the stack must move the logits by more than the tolerance');
  });
});
