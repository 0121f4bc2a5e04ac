import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpDir as makeTmpDir } from '../helpers/tmp.ts';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SafetensorsCheckpoint,
  SafetensorsFile,
  bf16ToF32,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  writeSafetensors,
} from '../../src/main/engine/hf/safetensors.ts';

const tmpDir = () => makeTmpDir('safetensors');

/** A safetensors file with a hand-written header and `dataBytes` zero bytes of data. */
function rawFile(path: string, header: unknown, dataBytes: number): string {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([len, json, Buffer.alloc(dataBytes)]));
  return path;
}

const specials = [0, -0, 1, -2.5, Infinity, -Infinity, NaN];

test('F32 round trip is exact, special values included', () => {
  const path = join(tmpDir(), 'model.safetensors');
  const data = new Float32Array([...specials, 3.4028234663852886e38, 1.401298464324817e-45, -1e-40, 0.1]);
  writeSafetensors(path, [{ name: 'w', dtype: 'F32', shape: [data.length], data }], { format: 'pt' });
  const f = SafetensorsFile.open(path);
  assert.deepEqual(f.names(), ['w']);
  assert.deepEqual(f.info('w'), { dtype: 'F32', shape: [data.length], byteLength: data.length * 4 });
  assert.deepEqual(f.metadata, { format: 'pt' });
  const back = f.readF32('w');
  assert.deepEqual(new Uint32Array(back.buffer), new Uint32Array(data.buffer));
  assert.ok(Object.is(back[1], -0));
  assert.deepEqual(f.readRaw('w'), new Uint8Array(data.buffer));
  f.close();
});

test('F16: every half-precision value survives f16 -> f32 -> f16, and the specials decode right', () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const asF32 = f16ToF32(all);
  const back = f32ToF16(asF32);
  for (let i = 0; i < 65536; i++) {
    const isNaN16 = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
    if (isNaN16) assert.ok(Number.isNaN(asF32[i]) && (back[i] & 0x7c00) === 0x7c00 && (back[i] & 0x3ff) !== 0, `pattern ${i}`);
    else assert.equal(back[i], i, `pattern 0x${i.toString(16)}`);
  }
  assert.equal(asF32[0x0001], 2 ** -24); // smallest subnormal
  assert.equal(asF32[0x03ff], 1023 * 2 ** -24); // largest subnormal
  assert.equal(asF32[0x0400], 2 ** -14); // smallest normal
  assert.equal(asF32[0x3c00], 1);
  assert.equal(asF32[0x7bff], 65504);
  assert.equal(asF32[0x7c00], Infinity);
  assert.equal(asF32[0xfc00], -Infinity);
  assert.ok(Object.is(asF32[0x8000], -0));
});

test('F16 rounding: nearest, ties to even, overflow to inf, underflow through subnormals', () => {
  const cases: [number, number][] = [
    [1 + 2 ** -11, 1], // tie -> even (down)
    [1 + 3 * 2 ** -11, 1 + 2 ** -9], // tie -> even (up)
    [1 + 2 ** -11 + 2 ** -20, 1 + 2 ** -10], // above the tie
    [65519, 65504], // below the midpoint to inf
    [65520, Infinity], // the midpoint rounds to even: inf
    [1e6, Infinity],
    [-1e6, -Infinity],
    [2 ** -25, 0], // half the smallest subnormal: tie -> even (0)
    [1.5 * 2 ** -25, 2 ** -24],
    [3 * 2 ** -25, 2 * 2 ** -24], // tie between 1 and 2 subnormal steps -> even (2)
    [2 ** -14 - 2 ** -25, 2 ** -14], // rounds up across the subnormal/normal border
    [1e-10, 0],
  ];
  const got = f16ToF32(f32ToF16(new Float32Array(cases.map(([x]) => x))));
  cases.forEach(([x, want], i) => assert.equal(got[i], want, `f16(${x})`));
  const nan = f16ToF32(f32ToF16(new Float32Array([NaN, -NaN])));
  assert.ok(Number.isNaN(nan[0]) && Number.isNaN(nan[1]));
});

test('BF16: every bf16 value survives, and conversion rounds to nearest even', () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const back = f32ToBf16(bf16ToF32(all));
  for (let i = 0; i < 65536; i++) {
    const isNaN16 = (i & 0x7f80) === 0x7f80 && (i & 0x7f) !== 0;
    if (!isNaN16) assert.equal(back[i], i, `pattern 0x${i.toString(16)}`);
    else assert.ok(Number.isNaN(bf16ToF32(back.subarray(i, i + 1))[0]));
  }
  const cases: [number, number][] = [
    [1 + 2 ** -8, 1], // tie -> even (down)
    [1 + 3 * 2 ** -8, 1 + 2 ** -6], // tie -> even (up)
    [1 + 2 ** -8 + 2 ** -20, 1 + 2 ** -7],
    [3.4028234663852886e38, Infinity], // the largest float32 rounds past the largest bf16
    [2 ** -130, 2 ** -130], // subnormals pass through
    [-0, -0],
  ];
  const got = bf16ToF32(f32ToBf16(new Float32Array(cases.map(([x]) => x))));
  cases.forEach(([x, want], i) => assert.ok(Object.is(got[i], want), `bf16(${x}) = ${got[i]}, want ${want}`));
  // A NaN whose payload lives only in the low half must stay NaN.
  const lowNaN = new Float32Array(new Uint32Array([0x7f800001]).buffer);
  assert.ok(Number.isNaN(bf16ToF32(f32ToBf16(lowNaN))[0]));
});

test('written files: F16/BF16 tensors read back, header padded with spaces to 8 bytes', () => {
  const path = join(tmpDir(), 'model.safetensors');
  const data = new Float32Array([...specials, 0.5, -0.25, 2 ** -24]);
  writeSafetensors(path, [
    { name: 'a.f16', dtype: 'F16', shape: [2, 5], data },
    { name: 'b.bf16', dtype: 'BF16', shape: [10], data: () => data },
    { name: 'scalar', dtype: 'F32', shape: [], data: new Float32Array([7]) },
  ]);
  const bytes = readFileSync(path);
  const headerLen = Number(bytes.readBigUInt64LE(0));
  assert.equal((8 + headerLen) % 8, 0);
  const header = bytes.subarray(8, 8 + headerLen).toString();
  assert.match(header, /^\{.*\} *$/);
  const f = SafetensorsFile.open(path);
  assert.deepEqual(f.info('a.f16'), { dtype: 'F16', shape: [2, 5], byteLength: 20 });
  for (const name of ['a.f16', 'b.bf16']) {
    const back = f.readF32(name);
    data.forEach((v, i) => {
      if (Number.isNaN(v)) assert.ok(Number.isNaN(back[i]));
      else if (name === 'b.bf16' && i === 9) assert.equal(back[i], 2 ** -24); // exact in bf16 too
      else assert.ok(Object.is(back[i], v), `${name}[${i}] = ${back[i]}, want ${v}`);
    });
  }
  assert.deepEqual([...f.readF32('scalar')], [7]);
  assert.deepEqual(f.metadata, {});
  f.close();
});

test('writeSafetensors refuses data that does not match the shape, naming the tensor', () => {
  const path = join(tmpDir(), 'bad.safetensors');
  assert.throws(
    () => writeSafetensors(path, [{ name: 'w', dtype: 'BF16', shape: [2, 3], data: new Float32Array(5) }]),
    /bad\.safetensors: tensor "w" has 5 values but shape \[2,3\] needs 6/,
  );
});

test('readF32 refuses integer tensors; readRaw gives their bytes', () => {
  const path = rawFile(join(tmpDir(), 'ints.safetensors'), { ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, 16);
  const f = SafetensorsFile.open(path);
  assert.equal(f.readRaw('ids').length, 16);
  assert.throws(() => f.readF32('ids'), /ints\.safetensors: tensor "ids" has dtype I64/);
  assert.throws(() => f.info('nope'), /ints\.safetensors: no tensor "nope"/);
  f.close();
  assert.throws(() => f.readRaw('ids'), /closed/);
});

test('sharded checkpoint: index maps names to shards; has/info/readF32 across shards', () => {
  const dir = tmpDir();
  const a = new Float32Array([1, 2, 3, 4]);
  const b = new Float32Array([5, 6]);
  writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), [{ name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [2, 2], data: a }], { format: 'pt' });
  writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), [{ name: 'model.norm.weight', dtype: 'F32', shape: [2], data: b }]);
  writeFileSync(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({
      metadata: { total_size: 16 },
      weight_map: { 'model.embed_tokens.weight': 'model-00001-of-00002.safetensors', 'model.norm.weight': 'model-00002-of-00002.safetensors' },
    }),
  );
  const ck = SafetensorsCheckpoint.open(dir);
  assert.deepEqual(ck.names().sort(), ['model.embed_tokens.weight', 'model.norm.weight']);
  assert.ok(ck.has('model.norm.weight') && !ck.has('lm_head.weight'));
  assert.deepEqual(ck.info('model.embed_tokens.weight'), { dtype: 'BF16', shape: [2, 2], byteLength: 8 });
  assert.deepEqual([...ck.readF32('model.embed_tokens.weight')], [1, 2, 3, 4]);
  assert.deepEqual([...ck.readF32('model.norm.weight')], [5, 6]);
  assert.equal(ck.files.length, 2);
  assert.throws(() => ck.readF32('lm_head.weight'), /no tensor "lm_head.weight"/);
  ck.close();
});

test('single-file checkpoint and errors of sharded ones name the index file', () => {
  const single = tmpDir();
  writeSafetensors(join(single, 'model.safetensors'), [{ name: 'x', dtype: 'F32', shape: [1], data: new Float32Array([1]) }]);
  const ck = SafetensorsCheckpoint.open(single);
  assert.deepEqual(ck.names(), ['x']);
  ck.close();

  const dir = tmpDir();
  writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), [{ name: 'x', dtype: 'F32', shape: [1], data: new Float32Array([1]) }]);
  const index = (map: Record<string, string>) => writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: map }));
  index({ x: 'model-00001-of-00002.safetensors', y: 'model-00002-of-00002.safetensors' });
  assert.throws(() => SafetensorsCheckpoint.open(dir), /model\.safetensors\.index\.json: shard "model-00002-of-00002\.safetensors" \(holding "y"\) is missing/);
  index({ x: 'model-00001-of-00002.safetensors', z: 'model-00001-of-00002.safetensors' });
  assert.throws(() => SafetensorsCheckpoint.open(dir), /model\.safetensors\.index\.json: weight_map puts "z" in model-00001-of-00002\.safetensors, which has no such tensor/);
  index({ x: '../elsewhere.safetensors' });
  assert.throws(() => SafetensorsCheckpoint.open(dir), /model\.safetensors\.index\.json: weight_map\["x"\] is not a file name/);
  writeFileSync(join(dir, 'model.safetensors.index.json'), '{"weight_map": ');
  assert.throws(() => SafetensorsCheckpoint.open(dir), /model\.safetensors\.index\.json: not valid JSON/);
  writeFileSync(join(dir, 'model.safetensors.index.json'), '{"metadata": {}}');
  assert.throws(() => SafetensorsCheckpoint.open(dir), /model\.safetensors\.index\.json: field "weight_map" is missing/);

  assert.throws(() => SafetensorsCheckpoint.open(tmpDir()), /no model\.safetensors or model\.safetensors\.index\.json/);
});

test('bad files: every error is one line naming the file and the tensor or field', () => {
  const dir = tmpDir();
  const t = (dtype: string, shape: number[], offsets: number[]) => ({ dtype, shape, data_offsets: offsets });
  const cases: [string, () => string, RegExp][] = [
    ['short', () => (writeFileSync(join(dir, 'short.safetensors'), Buffer.alloc(5)), join(dir, 'short.safetensors')), /^short\.safetensors: not a safetensors file: 5 bytes, too short/],
    [
      'header past end',
      () => {
        const p = join(dir, 'past.safetensors');
        const b = Buffer.alloc(20);
        b.writeBigUInt64LE(1000n);
        writeFileSync(p, b);
        return p;
      },
      /^past\.safetensors: not a safetensors file: header length 1000 runs past the end of the file \(20 bytes\)$/,
    ],
    [
      'header too big',
      () => {
        const p = join(dir, 'huge.safetensors');
        const b = Buffer.alloc(16);
        b.writeBigUInt64LE(1n << 40n);
        writeFileSync(p, b);
        return p;
      },
      /^huge\.safetensors: not a safetensors file: header length 1099511627776 exceeds the 104857600-byte limit$/,
    ],
    ['not json', () => rawFile(join(dir, 'nojson.safetensors'), '{"a": ', 0), /^nojson\.safetensors: not a safetensors file: header is not valid JSON/],
    ['array', () => rawFile(join(dir, 'array.safetensors'), '[1, 2]', 0), /^array\.safetensors: not a safetensors file: header is not a JSON object$/],
    [
      'unknown dtype',
      () => rawFile(join(dir, 'dtype.safetensors'), { 'model.norm.weight': t('F128', [2], [0, 32]) }, 32),
      /^dtype\.safetensors: tensor "model\.norm\.weight" has unknown dtype "F128"$/,
    ],
    [
      'size mismatch',
      () => rawFile(join(dir, 'size.safetensors'), { 'model.norm.weight': t('BF16', [3], [0, 8]) }, 8),
      /^size\.safetensors: tensor "model\.norm\.weight" has 8 bytes but BF16 \[3\] needs 6$/,
    ],
    [
      'negative shape',
      () => rawFile(join(dir, 'shape.safetensors'), { w: t('F32', [-1], [0, 4]) }, 4),
      /^shape\.safetensors: tensor "w" has an invalid shape \[-1\]$/,
    ],
    [
      'reversed offsets',
      () => rawFile(join(dir, 'rev.safetensors'), { w: t('F32', [1], [8, 4]) }, 8),
      /^rev\.safetensors: tensor "w" has data_offsets \[8, 4\] that end before they begin$/,
    ],
    [
      'offsets missing',
      () => rawFile(join(dir, 'offs.safetensors'), { w: { dtype: 'F32', shape: [1] } }, 4),
      /^offs\.safetensors: tensor "w" has invalid data_offsets undefined$/,
    ],
    [
      'overlap',
      () => rawFile(join(dir, 'overlap.safetensors'), { a: t('F32', [2], [0, 8]), b: t('F32', [2], [4, 12]) }, 12),
      /^overlap\.safetensors: tensor "b" overlaps tensor "a"/,
    ],
    [
      'metadata not strings',
      () => rawFile(join(dir, 'meta.safetensors'), { __metadata__: { total: 3 } }, 0),
      /^meta\.safetensors: "__metadata__\.total" is not a string$/,
    ],
    [
      'truncated',
      () => {
        const p = join(dir, 'model.safetensors');
        writeSafetensors(p, [
          { name: 'model.layers.0.mlp.down_proj.weight', dtype: 'F32', shape: [4], data: new Float32Array(4) },
          { name: 'model.layers.0.mlp.up_proj.weight', dtype: 'F32', shape: [64], data: new Float32Array(64) },
        ]);
        const size = readFileSync(p).length;
        truncateSync(p, size - 10);
        return p;
      },
      /^model\.safetensors: tensor "model\.layers\.0\.mlp\.up_proj\.weight" ends at byte \d+ but the file has \d+ bytes$/,
    ],
  ];
  for (const [what, make, want] of cases) {
    const path = make();
    assert.throws(
      () => SafetensorsFile.open(path),
      (e: Error) => {
        assert.match(e.message, want, what);
        assert.ok(!e.message.includes('\n'), `${what}: one line`);
        return true;
      },
    );
  }
  assert.throws(() => SafetensorsFile.open(join(dir, 'absent.safetensors')), /absent\.safetensors: cannot be read \(ENOENT\)/);
});
