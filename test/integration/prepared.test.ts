// The copy of a model prepared for this CPU (engine/prepared.ts): the first CPU session packs the
// weights and saves them; later sessions map that copy and compute the same logits; a damaged,
// outdated or foreign copy is made again, never trusted, and nothing half-written stays behind.
// Equal means bit-identical logits: the same kernels over the same packed bytes.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importModel } from '../../src/main/engine/build/import-model.ts';
import { onnx } from '../../src/main/engine/build/onnx.ts';
import { PREPARED_DIR, preparedBytes } from '../../src/main/engine/prepared.ts';
import { PREPARED_ALIGNMENT } from '../../src/main/engine/prepared-align.ts';
import { ModelSession } from '../../src/main/engine/session.ts';
import { seededRandom } from '../reference/random-weights.ts';
import { randomLowRank, tinyModel } from '../helpers/models.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { maxAbsDiff, promptLogits } from '../helpers/logits.ts';

// int4 and int8 run MatMulNBits' integer kernels, whose packed buffers onnxruntime saved at
// offsets they cannot be read from (prepared-align.ts); fp32 packs plain MatMuls
const CASES = [
  { arch: 'qwen3', precision: 'int4' },
  { arch: 'gemma3', precision: 'int8' },
  { arch: 'llama', precision: 'fp32' },
] as const;

for (const { arch, precision } of CASES) describe(`the copy prepared for this machine (tiny ${arch} at ${precision})`, () => {
  let dir: string;
  let reference: Float32Array; // packed at load, no copy involved
  let stackReference: Float32Array;
  const rand = seededRandom(5);
  const prompt = Array.from({ length: 12 }, () => Math.floor(rand() * 30000));
  let stack: Parameters<typeof promptLogits>[2];
  const prepared = (f: string) => join(dir, PREPARED_DIR, f);
  const leftovers = () => readdirSync(dir).filter((f) => f.startsWith('.prepared-'));

  async function logitsOf(expect: string): Promise<Float32Array[]> {
    const session = await ModelSession.open(dir, { provider: 'cpu' });
    try {
      assert.equal(session.preparation, expect);
      return [await promptLogits(session, prompt), await promptLogits(session, prompt, stack)];
    } finally {
      await session.release();
    }
  }

  before(async () => {
    const model = await tinyModel(arch);
    dir = (await importModel(model.hfDir, { precision, home: tmpDir('prepared-home') })).dir;
    stack = [{ adapter: randomLowRank(model.config, 3, 11), scale: 1 }];
    const plain = await ModelSession.open(dir, { provider: 'cpu', prepare: false });
    assert.equal(plain.preparation, 'packed');
    reference = await promptLogits(plain, prompt);
    stackReference = await promptLogits(plain, prompt, stack);
    await plain.release();
  });

  it('is not made by a session that is asked not to', () => {
    assert.equal(preparedBytes(dir), 0);
  });

  it('is made by the first cpu session, and that session answers as a packed one does', async () => {
    const [bare, withStack] = await logitsOf('saved');
    assert.equal(maxAbsDiff(bare, reference), 0);
    assert.equal(maxAbsDiff(withStack, stackReference), 0);
    assert.deepEqual(readdirSync(join(dir, PREPARED_DIR)).sort(), ['model.data', 'model.onnx', 'stamp.json']);
    const stored = onnx.ModelProto.decode(readFileSync(prepared('model.onnx'))).graph!.initializer!.flatMap((t) => t.externalData ?? []);
    const offsets = stored.flatMap((e) => (e.key === 'offset' ? [Number(e.value)] : e.key!.startsWith('prepacked_') ? [Number(/\|(\d+);/.exec(e.value!)![1])] : []));
    assert.ok(offsets.length > 0);
    assert.deepEqual(offsets.filter((o) => o % PREPARED_ALIGNMENT !== 0), [], 'every stored tensor and packed buffer starts aligned');
    assert.ok(preparedBytes(dir) > statSync(join(dir, 'model.onnx.data')).size / 2);
    assert.deepEqual(leftovers(), []);
  });

  it('is mapped by later sessions, with the same logits, adapters included', async () => {
    const [bare, withStack] = await logitsOf('mapped');
    assert.equal(maxAbsDiff(bare, reference), 0);
    assert.equal(maxAbsDiff(withStack, stackReference), 0);
  });

  it('is made again when truncated (a copy cut short by a full disk), not mapped; a killed attempt is cleared away', async () => {
    const killed = join(dir, `.prepared-${spawnSync(process.execPath, ['-e', '']).pid}-dead`); // a process that has ended
    mkdirSync(killed);
    writeFileSync(join(killed, 'model.data'), 'half written');
    truncateSync(prepared('model.data'), statSync(prepared('model.data')).size - 4096);
    const [bare] = await logitsOf('saved');
    assert.equal(maxAbsDiff(bare, reference), 0);
    assert.deepEqual(leftovers(), []);
    await logitsOf('mapped');
  });

  it('is made again when it was prepared on another machine', async () => {
    const stamp = JSON.parse(readFileSync(prepared('stamp.json'), 'utf8'));
    writeFileSync(prepared('stamp.json'), JSON.stringify({ ...stamp, machine: 'another-cpu' }));
    await logitsOf('saved');
    assert.notEqual(JSON.parse(readFileSync(prepared('stamp.json'), 'utf8')).machine, 'another-cpu');
  });

  it('is made again when the imported files changed after it', async () => {
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, 'model.onnx.data'), later, later);
    await logitsOf('saved');
    await logitsOf('mapped');
  });

  it('is made again when its graph is damaged, and the session still opens', async () => {
    writeFileSync(prepared('model.onnx'), 'not an onnx graph');
    const [bare] = await logitsOf('saved');
    assert.equal(maxAbsDiff(bare, reference), 0);
    assert.deepEqual(leftovers(), []);
  });
});
