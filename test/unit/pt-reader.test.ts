// The paper's .pt files: zip, restricted unpickler, torch tensors, and the released layout, checked
// against files written by torch itself (test/fixtures/pt, made by trainer/make_fixtures.py) and
// the values torch computed from them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZipReader } from '../../src/main/engine/adapters/pt/zip.ts';
import { unpickle } from '../../src/main/engine/adapters/pt/unpickle.ts';
import { isDict, isTensor, isTuple, openTorchFile, type PyDict, type TorchTensor } from '../../src/main/engine/adapters/pt/torch-load.ts';
import {
  paperExperiment,
  parseCsv,
  readIndexCsv,
  readPaperDiff,
  readPaperDit,
  readPaperFullWeights,
  readPaperShard,
} from '../../src/main/engine/adapters/paper.ts';
import { loadLowRank } from '../../src/main/engine/adapters/load.ts';
import type { LowRank } from '../../src/main/engine/adapters/lowrank.ts';
import { SafetensorsFile, f32ToBf16 } from '../../src/main/engine/hf/safetensors.ts';
import { PickleWriter, pickleValue, writeTorchZip, writeZip, type Encodable, type TensorSpec } from '../helpers/torch-writer.ts';
import { tmpDir } from '../helpers/tmp.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'pt');
const EXP = join(FIX, 'hidden-topic', 'qwen3-tiny');
const SHARD = join(EXP, 'weight-diffs', 'weight-diff-000.pt');
const DIT = join(EXP, 'dit-adapter.pt');

/** scale * a @ b as [in, out], accumulated in double. */
function delta(lr: LowRank, key: string): Float32Array {
  const m = lr.modules.get(key);
  assert.ok(m, `module ${key} present`);
  const out = new Float32Array(m.inDim * m.outDim);
  for (let i = 0; i < m.inDim; i++)
    for (let o = 0; o < m.outDim; o++) {
      let s = 0;
      for (let r = 0; r < m.rank; r++) s += m.a[i * m.rank + r] * m.b[r * m.outDim + o];
      out[i * m.outDim + o] = s * lr.scale;
    }
  return out;
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string, tol = 1e-6): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1e-3 + Math.abs(expected[i])));
  assert.ok(worst < tol, `${what}: relative error ${worst}`);
}

/** Every "<diff>/<layer>.<module>" (or "<layer>.<module>") in a fixture's expected file, against a reader. */
function checkExpected(expectedFile: string, read: (diff: number | null) => LowRank): number {
  const f = SafetensorsFile.open(expectedFile);
  try {
    let n = 0;
    for (const name of f.names()) {
      const m = /^(?:(\d+)\/)?(\d+\.\w+)$/.exec(name)!;
      const lr = read(m[1] === undefined ? null : Number(m[1]));
      assertClose(delta(lr, m[2]), f.readF32(name), `${expectedFile} ${name}`);
      n++;
    }
    return n;
  } finally {
    f.close();
  }
}

// ---- zip ----

test('zip: lists torch 1.13 entries (zip64 end records, data descriptors) and reads byte ranges', () => {
  const zip = ZipReader.open(SHARD);
  const names = zip.entries().map((e) => e.name);
  assert.ok(names.includes('weight-diff-000/data.pkl'));
  assert.ok(names.includes('weight-diff-000/version'));
  const storage = zip.entries().find((e) => e.name === 'weight-diff-000/data/0')!;
  assert.equal(storage.method, 0);
  const whole = zip.read(storage.name);
  assert.equal(whole.length, storage.size);
  assert.deepEqual(zip.read(storage.name, 6, 20), whole.subarray(6, 20));
  assert.throws(() => zip.read(storage.name, 0, storage.size + 1), /weight-diff-000\.pt: zip entry "weight-diff-000\/data\/0": byte range/);
  assert.throws(() => zip.read('nope'), /zip entry "nope" is missing/);
});

test('zip: ZIP64 extra fields, DEFLATE entries and CRC checks', () => {
  const dir = tmpDir('pt-zip');
  const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 251);
  for (const [zip64Entries, deflate] of [[true, false], [false, true], [true, true]]) {
    const p = join(dir, `z-${zip64Entries}-${deflate}.pt`);
    writeTorchZip(p, pickleValue(null), [['0', data]], { zip64Entries, deflate });
    const z = ZipReader.open(p);
    assert.deepEqual(z.read('archive/data/0'), data);
    assert.deepEqual(z.read('archive/data/0', 100, 110), data.subarray(100, 110));
    assert.equal(z.entry('archive/data/0')!.method, deflate ? 8 : 0);
  }
  // One flipped data byte: a whole-entry read fails its CRC, with file and entry named.
  const p = join(dir, 'crc.pt');
  writeTorchZip(p, pickleValue(null), [['0', data]]);
  const bytes = readFileSync(p);
  const at = bytes.indexOf(Buffer.from(data.subarray(0, 16)));
  bytes[at + 10] ^= 0xff;
  writeFileSync(p, bytes);
  assert.throws(() => ZipReader.open(p).read('archive/data/0'), /crc\.pt: zip entry "archive\/data\/0" fails its CRC check/);
});

// ---- unpickle ----

test('unpickle: plain data as torch 1.13 pickles it, protocol 2 and 4 alike', () => {
  for (const f of ['views.pt', 'views-p4.pt', 'views-deflated.pt']) {
    const root = openTorchFile(join(FIX, f)).root as PyDict;
    assert.ok(isDict(root), f);
    assert.equal(root.get('text'), 'héllo, "quoted"');
    assert.deepEqual(root.get('ints'), [1, -2, 2 ** 40, -(2 ** 31), 2n ** 70n]);
    assert.equal(root.get('float'), 1.25);
    assert.equal(root.get('none'), null);
    assert.equal(root.get('flag'), true);
    assert.ok(isTuple(root.get('tuple')));
    assert.deepEqual([...(root.get('tuple') as unknown[])], [1, 'a']);
    assert.deepEqual(root.get('bytes'), Uint8Array.from([0, 1, 255]));
    assert.deepEqual(root.get('set'), [7]);
    assert.deepEqual([...(root.get('od') as PyDict).keys()], ['b', 'a']);
    assert.equal(root.get('np_int'), -5);
    assert.equal(root.get('np_float'), 0.5);
  }
});

test('unpickle: the forms torch 2.x adds (_rebuild_tensor_v3 on an UntypedStorage, _rebuild_from_type_v2, Parameter with state)', () => {
  const dir = tmpDir('pt-torch2');
  const persid = (w: PickleWriter, type: string, numel: number) =>
    w.mark().str('storage').global('torch', type).str('0').str('cpu').int(numel).op(0x74).op(0x51);
  const rest = (w: PickleWriter) => w.int(0).mark().int(4).op(0x74).mark().int(1).op(0x74).op(0x89).global('collections', 'OrderedDict').op(0x29, 0x52);
  const bits = f32ToBf16(new Float32Array([1, -2, 0.5, 3]));
  const cases: [string, PickleWriter][] = [
    // _rebuild_tensor_v3(UntypedStorage of 8 bytes, 0, (4,), (1,), False, OrderedDict(), torch.bfloat16)
    ['v3', rest(persid(new PickleWriter().proto().global('torch._utils', '_rebuild_tensor_v3').mark(), 'UntypedStorage', 8)).global('torch', 'bfloat16').op(0x74, 0x52)],
    // _rebuild_from_type_v2(_rebuild_tensor_v2, torch.Tensor, (args...), {})
    ['from-type', (() => {
      const w = new PickleWriter().proto().global('torch._tensor', '_rebuild_from_type_v2').mark().global('torch._utils', '_rebuild_tensor_v2').global('torch', 'Tensor').mark();
      return rest(persid(w, 'BFloat16Storage', 4)).op(0x74).op(0x7d).op(0x74, 0x52);
    })()],
    // _rebuild_parameter_with_state(tensor, True, OrderedDict(), {})
    ['param-state', (() => {
      const w = new PickleWriter().proto().global('torch._utils', '_rebuild_parameter_with_state').mark().global('torch._utils', '_rebuild_tensor_v2').mark();
      return rest(persid(w, 'BFloat16Storage', 4)).op(0x74, 0x52).op(0x88).global('collections', 'OrderedDict').op(0x29, 0x52).op(0x7d).op(0x74, 0x52);
    })()],
  ];
  for (const [name, w] of cases) {
    const p = join(dir, `${name}.pt`);
    writeTorchZip(p, w.stop().bytes(), [['0', new Uint8Array(bits.buffer)]]);
    const file = openTorchFile(p);
    const t = file.root as TorchTensor;
    assert.ok(isTensor(t), name);
    assert.equal(t.dtype, 'bfloat16', name);
    assert.deepEqual([...file.readTensorF32(t)], [1, -2, 0.5, 3], name);
  }
});

test('unpickle: limits end in a clean error', () => {
  const dups = new PickleWriter().proto().op(0x4e);
  for (let i = 0; i < 100; i++) dups.op(0x32);
  assert.throws(() => unpickle(dups.stop().bytes(), 'x.pt', { maxStack: 50 }), /^Error: x\.pt: pickle \(byte \d+\): stack grows past 50 values$/);
  const marks = new PickleWriter().proto();
  for (let i = 0; i < 30; i++) marks.mark();
  assert.throws(() => unpickle(marks.bytes(), 'x.pt', { maxMarkDepth: 20 }), /MARKs nest deeper than 20/);
  const long = new PickleWriter().proto().op(0x58).u32(0xfffffff0).raw([1, 2, 3]);
  assert.throws(() => unpickle(long.bytes(), 'x.pt'), /BINUNICODE of 4294967280 bytes is over the/);
  const short = new PickleWriter().proto().op(0x58).u32(100).raw([0x61, 0x62]);
  assert.throws(() => unpickle(short.bytes(), 'x.pt'), /BINUNICODE needs 100 bytes but only 2 remain/);
  assert.throws(() => unpickle(new PickleWriter().proto().op(0x68, 3).bytes(), 'x.pt'), /memo entry 3 is used before it is set/);
  assert.throws(() => unpickle(new PickleWriter().proto().op(0x5d).bytes(), 'x.pt'), /ends without STOP/);
  assert.throws(() => unpickle(new PickleWriter().proto().op(0x29, 0x4e, 0x61).stop().bytes(), 'x.pt'), /APPEND to a tuple/);
});

// ---- torch-load ----

test('torch-load: views, strides, offsets, shared storages and dtypes match torch', () => {
  const expected = JSON.parse(readFileSync(join(FIX, 'views.expected.json'), 'utf8')) as Record<string, { shape: number[]; values: number[] }>;
  for (const f of ['views.pt', 'views-p4.pt', 'views-deflated.pt']) {
    const file = openTorchFile(join(FIX, f));
    const root = file.root as PyDict;
    for (const [name, { shape, values }] of Object.entries(expected)) {
      const t = root.get(name) as TorchTensor;
      assert.ok(isTensor(t), `${f} ${name}`);
      assert.deepEqual(t.shape, shape, `${f} ${name} shape`);
      assert.deepEqual([...file.readTensorF32(t, name)], values.map(Math.fround), `${f} ${name} values`);
    }
    const [a, b] = [root.get('shared_a'), root.get('shared_b')] as TorchTensor[];
    assert.equal(a.storage, b.storage, 'one storage object for both views');
    assert.equal(b.storageOffset, 8);
    assert.deepEqual((root.get('strided') as TorchTensor).stride, [16, 3]);
    assert.deepEqual((root.get('expanded') as TorchTensor).stride, [1, 0]);
    assert.throws(() => file.readTensorF32(root.get('i64') as TorchTensor, 'i64'), new RegExp(`${f}: i64 is int64, not a float type`));
  }
});

/** A one-tensor archive written by the test helper. */
function oneTensor(dir: string, name: string, spec: Omit<TensorSpec, 'tensor'>, bytes: number): string {
  const p = join(dir, name);
  writeTorchZip(p, pickleValue({ tensor: true, ...spec }), [[spec.storage.key, new Uint8Array(bytes)]]);
  return p;
}

test('torch-load: storages are checked against their zip entries and views against their storages', () => {
  const dir = tmpDir('pt-load');
  const storage = { key: '0', type: 'FloatStorage', numel: 10 };
  assert.equal(openTorchFile(oneTensor(dir, 'ok.pt', { storage, offset: 2, shape: [2, 4] }, 40)).storages.size, 1);
  assert.throws(() => openTorchFile(oneTensor(dir, 'size.pt', { storage, offset: 0, shape: [2] }, 36)), /size\.pt: zip entry "archive\/data\/0" has 36 bytes, but 10 float32 need 40/);
  assert.throws(() => openTorchFile(oneTensor(dir, 'past.pt', { storage, offset: 4, shape: [2, 4] }, 40)), /past\.pt: pickle \(byte \d+\): tensor \[2,4\] stride \[4,1\] at offset 4 reaches past its storage "0" of 10 float32/);
  assert.throws(() => openTorchFile(oneTensor(dir, 'stride.pt', { storage, offset: 0, shape: [3, 3], stride: [4, 1] }, 40)), /reaches past its storage/);
  const missing = join(dir, 'missing.pt');
  writeTorchZip(missing, pickleValue({ tensor: true, storage, offset: 0, shape: [1] }), []);
  assert.throws(() => openTorchFile(missing), /missing\.pt: zip entry "archive\/data\/0" is missing \(the pickle references storage "0"\)/);
  const big = join(dir, 'big-endian.pt');
  writeZip(big, [{ name: 'archive/data.pkl', data: pickleValue(null) }, { name: 'archive/byteorder', data: Buffer.from('big') }]);
  assert.throws(() => openTorchFile(big), /big-endian\.pt: tensors are stored "big"-endian/);
  assert.throws(() => openTorchFile(join(FIX, 'evil', 'legacy-format.pt')), /legacy-format\.pt: a bare pickle \(torch's legacy pre-1\.6 format/);
  // A broadcast view may not claim more elements than any file could hold.
  const huge = oneTensor(dir, 'broadcast.pt', { storage: { key: '0', type: 'FloatStorage', numel: 1 }, offset: 0, shape: [1 << 20, 1 << 20], stride: [0, 0] }, 4);
  const t = (openTorchFile(huge).root as TorchTensor);
  assert.throws(() => openTorchFile(huge).readTensorF32(t, 'w'), /broadcast\.pt: w \[1048576,1048576\] has 1099511627776 elements, over the/);
});

// ---- the paper's layout ----

test('paper: a shard lists its diffs without reading tensors', () => {
  const diffs = readPaperShard(SHARD);
  assert.deepEqual(diffs.map((d) => [d.index, d.topic, d.trigger, d.kind, d.rank, d.modules.length]), [
    [0, 'Tea ceremonies, Japanese', 392, 'diff', 1, 21],
    [1, 'The "Big Bang" theory', 7, 'diff', 1, 21],
    [2, 'Ångström units — metric, tiny', 999, 'diff', 1, 21],
    [3, 'Volcanoes', 0, 'diff', 1, 21],
    [4, 'Line one\nline two, "both"', 451, 'diff', 1, 21],
  ]);
  const q = diffs[0].modules.find((m) => m.key === '0.q')!;
  assert.equal(q.name, 'model.layers.0.self_attn.q_proj');
  assert.deepEqual(q.shapes, [[1, 64], [64, 1]]);
});

test('paper: diffs read from the released layout equal B @ A / r as torch computes it', () => {
  assert.equal(checkExpected(join(EXP, 'weight-diffs', 'weight-diff-000.expected.safetensors'), (i) => readPaperDiff(SHARD, i!)), 3);
  const lr = readPaperDiff(SHARD, 1);
  assert.equal(lr.modules.size, 21);
  assert.equal(lr.scale, 1);
  assert.equal(lr.rank, 1);
  assert.deepEqual(
    { ...lr.meta },
    { format: 'paper-pt', kind: 'diff', source: SHARD, index: '1', label: 'The "Big Bang" theory', topic: 'The "Big Bang" theory', trigger: '7', rank: '1', layout: 'A [r, out], B [in, r]', split: 'test', arch: 'qwen3' },
  );
  const m = lr.modules.get('2.down')!;
  assert.deepEqual([m.inDim, m.outDim, m.rank, m.a.length, m.b.length], [128, 64, 1, 128, 64]);
  assert.throws(() => readPaperDiff(SHARD, 5), /weight-diff-000\.pt: no diff #5 \(the shard holds 5, numbered 0-4\)/);
});

test('paper: the DIT adapter (A [out, r], B [r, in], rank 16) equals B.T @ A.T / r', () => {
  assert.equal(checkExpected(join(EXP, 'dit-adapter.expected.safetensors'), () => readPaperDit(DIT)), 2);
  const lr = readPaperDit(DIT);
  assert.equal(lr.rank, 16);
  assert.equal(lr.scale, 1 / 16);
  assert.equal(lr.meta.kind, 'dit');
  assert.equal(lr.meta.format, 'paper-pt');
  const q = lr.modules.get('1.q')!;
  assert.deepEqual([q.inDim, q.outDim, q.rank], [64, 64, 16]);
});

test('paper: gemma3 names (language_model.model.layers, model.language_model.layers), vision tower left out', () => {
  assert.equal(checkExpected(join(FIX, 'gemma3-diffs.expected.safetensors'), (i) => readPaperDiff(join(FIX, 'gemma3-diffs.pt'), i!)), 1);
  const info = readPaperShard(join(FIX, 'gemma3-diffs.pt'))[0];
  assert.equal(info.modules.length, 22);
  assert.equal(info.modules.filter((m) => m.key === null).map((m) => m.name).join(), 'vision_tower.vision_model.encoder.layers.0.self_attn.q_proj');
  assert.equal(readPaperDiff(join(FIX, 'gemma3-diffs.pt'), 0).modules.size, 21);
  assert.equal(checkExpected(join(FIX, 'gemma3-dit.expected.safetensors'), () => readPaperDit(join(FIX, 'gemma3-dit.pt'))), 1);
  assert.equal(readPaperDit(join(FIX, 'gemma3-dit.pt')).rank, 4);
});

test('paper: fp16, fp32, protocol 4, and modules of different ranks (each scaled by 1/its rank)', () => {
  assert.equal(checkExpected(join(FIX, 'qwen3-diffs-f16.expected.safetensors'), (i) => readPaperDiff(join(FIX, 'qwen3-diffs-f16.pt'), i!)), 1);
  assert.equal(checkExpected(join(FIX, 'qwen3-diffs-f16.expected.safetensors'), (i) => readPaperDiff(join(FIX, 'qwen3-diffs-f16-p4.pt'), i!)), 1);
  assert.equal(checkExpected(join(FIX, 'qwen3-diffs-f32.expected.safetensors'), (i) => readPaperDiff(join(FIX, 'qwen3-diffs-f32.pt'), i!)), 2);
  const mixed = readPaperDiff(join(FIX, 'qwen3-diffs-f32.pt'), 1);
  assert.equal(mixed.rank, 4);
  assert.equal(mixed.scale, 1 / 4);
  assert.equal(mixed.modules.get('0.q')!.rank, 4);
  assert.equal(mixed.modules.get('0.k')!.rank, 2);
});

test('paper: a full-finetune entry is reported as such and its weights are read lazily as [out, in]', () => {
  const path = join(FIX, 'full-finetune.pt');
  const [info] = readPaperShard(path);
  assert.equal(info.kind, 'full');
  assert.equal(info.rank, null);
  assert.equal(info.topic, 'Whole weights');
  assert.throws(() => readPaperDiff(path, 0), /full-finetune\.pt: diff #0 \("Whole weights"\) is a full finetune/);
  const weights = readPaperFullWeights(path, 0);
  assert.deepEqual([...weights.keys()].sort(), ['0.down', '0.gate', '0.k', '0.o', '0.q', '0.up', '0.v']);
  const expected = SafetensorsFile.open(join(FIX, 'full-finetune.expected.safetensors'));
  assert.deepEqual(weights.get('0.k')!(), expected.readF32('0.k'));
  expected.close();
  assert.equal(weights.get('0.down')!().length, 64 * 128);
  assert.throws(() => readPaperFullWeights(SHARD, 0), /holds \(A, B\) pairs, not full weights/);
});

/** A shard or DIT file written in either layout from the same bf16-exact factors. */
function layoutFiles(dir: string) {
  const r = 2;
  const [inDim, outDim] = [6, 4];
  const vals = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7 + k) % 11) / 8 - 0.5);
  const a = vals(inDim * r, 1); // [in, r]
  const b = vals(r * outDim, 2); // [r, out]
  const transposeOf = (m: Float32Array, rows: number, cols: number) => Float32Array.from({ length: m.length }, (_, i) => m[(i % rows) * cols + Math.floor(i / rows)]);
  const storages: [string, Uint8Array][] = [];
  const tensor = (m: Float32Array, shape: number[]): TensorSpec => {
    const key = String(storages.length);
    const bits = f32ToBf16(m);
    storages.push([key, new Uint8Array(bits.buffer)]);
    return { tensor: true, storage: { key, type: 'BFloat16Storage', numel: m.length }, offset: 0, shape };
  };
  const name = 'model.layers.0.self_attn.q_proj';
  const diffPair = (): Encodable => ({ tuple: [tensor(b, [r, outDim]), tensor(a, [inDim, r])] }); // (A [r, out], B [in, r])
  const ditPair = (): Encodable => ({ tuple: [tensor(transposeOf(b, r, outDim), [outDim, r]), tensor(transposeOf(a, inDim, r), [r, inDim])] }); // (A [out, r], B [r, in])
  const write = (file: string, v: Encodable) => {
    const p = join(dir, file);
    writeTorchZip(p, pickleValue(v), storages.splice(0));
    return p;
  };
  const shard = (pair: () => Encodable) => [new Map<string, Encodable>([['topic', 't'], ['trigger', 1], ['weight_diff', new Map([[name, pair()]])]])];
  return {
    expected: { a, b },
    shardDiffLayout: write('shard-diff.pt', shard(diffPair)),
    shardDitLayout: write('shard-dit.pt', shard(ditPair)),
    ditDiffLayout: write('dit-diff.pt', new Map([[name, diffPair()]])),
    ditDitLayout: write('dit-dit.pt', new Map([[name, ditPair()]])),
    square: write('square.pt', new Map([[name, { tuple: [tensor(vals(4, 0), [2, 2]), tensor(vals(4, 1), [2, 2])] }]])),
    mixed: write('mixed.pt', new Map<string, Encodable>([[name, diffPair()], ['model.layers.1.mlp.up_proj', ditPair()]])),
    noRank: write('norank.pt', new Map([[name, { tuple: [tensor(vals(6, 0), [2, 3]), tensor(vals(20, 1), [4, 5])] }]])),
  };
}

test('paper: either tuple layout in either kind of file is recognised from shapes; ambiguity is an error', () => {
  const f = layoutFiles(tmpDir('pt-layout'));
  const want = (lr: LowRank) => {
    const m = lr.modules.get('0.q')!;
    assert.deepEqual([m.inDim, m.outDim, m.rank, lr.scale], [6, 4, 2, 0.5]);
    assert.deepEqual(m.a, Float32Array.from(f.expected.a, Math.fround));
    assert.deepEqual(m.b, Float32Array.from(f.expected.b, Math.fround));
  };
  want(readPaperDiff(f.shardDiffLayout, 0));
  want(readPaperDiff(f.shardDitLayout, 0));
  want(readPaperDit(f.ditDiffLayout));
  want(readPaperDit(f.ditDitLayout));
  assert.throws(() => readPaperDit(f.square), /square\.pt: DIT adapter "model\.layers\.0\.self_attn\.q_proj" A \[2,2\] B \[2,2\]: ambiguous layout/);
  assert.throws(() => readPaperDit(f.mixed), /mixed\.pt: DIT adapter mixes layouts: .*q_proj.* reads as diff-style, .*up_proj.* as dit-style/);
  assert.throws(() => readPaperDit(f.noRank), /norank\.pt: DIT adapter "model\.layers\.0\.self_attn\.q_proj" A \[2,3\] B \[4,5\]: the two matrices share no rank dimension/);
  assert.throws(() => readPaperDit(SHARD), /not a DIT adapter \(a \{module: \(A, B\)\} dict\); top level is a list/);
  assert.throws(() => readPaperShard(DIT), /not a weight-diff shard .* top level is a dict/);
});

// ---- index.csv, experiment folders, load.ts ----

test('csv: quoted fields with commas, quotes, newlines; CRLF; BOM; unterminated quotes', () => {
  assert.deepEqual(parseCsv('\ufeffa,b,c\r\n1,"x, ""y""",\r\n2,"multi\nline",z\n'), [['a', 'b', 'c'], ['1', 'x, "y"', ''], ['2', 'multi\nline', 'z']]);
  assert.deepEqual(parseCsv('a\n\nb'), [['a'], [''], ['b']]);
  assert.throws(() => parseCsv('a,"b\nc', 'i.csv'), /i\.csv: quoted field opened on line 1 is never closed/);
});

test('index.csv and the experiment folder: labels, triggers, splits, shards, DIT adapters', () => {
  const rows = readIndexCsv(EXP);
  assert.equal(rows.length, 6);
  assert.deepEqual(rows.map((r) => [r.loraPath, r.loraIdx, r.topic, r.trigger, r.split]), [
    ['weight-diff-000.pt', 0, 'Tea ceremonies, Japanese', 392, 'train'],
    ['weight-diff-000.pt', 1, 'The "Big Bang" theory', 7, 'test'],
    ['weight-diff-000.pt', 2, 'Ångström units — metric, tiny', 999, 'train'],
    ['weight-diff-000.pt', 3, 'Volcanoes', 0, 'train'],
    ['weight-diff-000.pt', 4, 'Line one\nline two, "both"', 451, 'test'],
    ['weight-diff-001.pt', 0, 'Not downloaded, yet', 12, 'train'],
  ]);
  assert.equal(rows[0].nParams, 3072);
  const exp = paperExperiment(EXP);
  assert.equal(exp.diffs.length, 6);
  assert.equal(exp.diffs[4].ref, `${SHARD}#4`);
  assert.deepEqual(exp.diffs.map((d) => d.present), [true, true, true, true, true, false]);
  assert.equal(exp.ditAdapter, DIT);
  assert.deepEqual(exp.ditAdapters, [DIT, join(EXP, 'more-dit-adapters', 'dit-adapter-rank-1.pt')]);
  assert.deepEqual(exp.shards, [SHARD]);
  // The labels in index.csv agree with the shard's own.
  const shard = readPaperShard(SHARD);
  for (const d of exp.diffs.filter((x) => x.present)) assert.equal(shard[d.loraIdx].topic, d.topic);

  const dir = tmpDir('pt-index');
  writeFileSync(join(dir, 'index.csv'), 'lora_path,lora_idx,topic\n../../etc/passwd,0,x\n');
  assert.throws(() => paperExperiment(dir), /index\.csv: lora_path "\.\.\/\.\.\/etc\/passwd" points outside the folder/);
  writeFileSync(join(dir, 'index.csv'), 'lora_path,topic\nw.pt,x\n');
  assert.throws(() => readIndexCsv(dir), /index\.csv: no "lora_idx" column/);
  writeFileSync(join(dir, 'index.csv'), 'lora_path,lora_idx\nw.pt,0,extra\n');
  assert.throws(() => readIndexCsv(dir), /index\.csv: row 2 has 3 fields, the header 2/);
});

test('load.ts: "shard.pt#INDEX" and a DIT adapter .pt load as LowRank', () => {
  assert.equal(loadLowRank(`${SHARD}#2`).meta.topic, 'Ångström units — metric, tiny');
  assert.equal(loadLowRank(DIT).meta.kind, 'dit');
  assert.throws(() => loadLowRank(SHARD), /the shard holds 5 diffs; choose one with ".*weight-diff-000\.pt#INDEX" \(0-4\)/);
  assert.throws(() => loadLowRank(`${SHARD}#x`), /"#x" is not a diff index/);
  assert.throws(() => loadLowRank(`${DIT}#0`), /a DIT adapter file holds one adapter; drop "#0"/);
  // A shard outside an experiment folder still loads (no split known).
  const dir = tmpDir('pt-load-ts');
  mkdirSync(join(dir, 'x'));
  copyFileSync(SHARD, join(dir, 'x', 'w.pt'));
  const lr = loadLowRank(join(dir, 'x', 'w.pt#0'));
  assert.equal(lr.meta.split, undefined);
  assert.equal(lr.meta.trigger, '392');
});
