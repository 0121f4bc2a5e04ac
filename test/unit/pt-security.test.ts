// Untrusted .pt files: pickles that name code are refused before anything could run, mutated
// files end in one clean error (never a crash, hang or runaway allocation), and reading one diff
// of a large shard reads about one diff's bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openTorchFile, isDict, isTensor, type PyValue, type TorchFile } from '../../src/main/engine/adapters/pt/torch-load.ts';
import { unpickle } from '../../src/main/engine/adapters/pt/unpickle.ts';
import { openFileSource, ZipReader, type OpenSource } from '../../src/main/engine/adapters/pt/zip.ts';
import { PaperShard, readPaperDit, readPaperShard } from '../../src/main/engine/adapters/paper.ts';
import { loadLowRank } from '../../src/main/engine/adapters/load.ts';
import { memorySource, PickleWriter, pickleValue, writeZip, zipBytes, type Encodable, type TensorSpec } from '../helpers/torch-writer.ts';
import { tmpDir } from '../helpers/tmp.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'pt');
const MARKERS = ['os-system', 'eval', 'popen', 'payload', 'ts'].map((m) => `/tmp/diffscope-pwned-${m}`);

// ---- code in pickles ----

test('a pickle naming code is refused at the name, and nothing runs', () => {
  for (const m of MARKERS) rmSync(m, { force: true });
  const refuse = (file: string, name: string) => {
    const path = join(FIX, 'evil', file);
    const msg = `${path}: pickle names "${name}", which a weight file never needs; refusing to load it`;
    assert.throws(() => openTorchFile(path), { message: msg });
    assert.throws(() => readPaperShard(path), { message: msg });
    assert.throws(() => loadLowRank(`${path}#0`), { message: msg });
  };
  refuse('os-system.pt', 'posix.system'); // os.system pickles under its real module on Linux
  refuse('eval-p4.pt', 'builtins.eval'); // protocol 4: STACK_GLOBAL
  refuse('shard-popen.pt', 'subprocess.Popen'); // a real shard with a Popen for a trigger
  refuse('user-class.pt', '__main__.Payload'); // NEWOBJ of a user class
  for (const m of MARKERS) assert.equal(existsSync(m), false, `${m} must not exist`);
});

test('crafted pickles: every way to name or call code ends in a refusal', () => {
  const label = 'evil.pt';
  const names = (w: PickleWriter) => () => unpickle(w.bytes(), label);
  const touch = new PickleWriter().str('touch /tmp/diffscope-pwned-ts').op(0x85);
  const exact = new PickleWriter().proto().global('os', 'system').raw(touch.bytes()).op(0x52).stop();
  assert.throws(names(exact), { message: 'evil.pt: pickle names "os.system", which a weight file never needs; refusing to load it' });
  const cases: [PickleWriter, RegExp][] = [
    [new PickleWriter().proto().global('nt', 'system'), /names "nt\.system"/],
    [new PickleWriter().proto().global('__builtin__', 'eval'), /names "builtins\.eval"/],
    [new PickleWriter().proto().global('builtins', 'getattr'), /names "builtins\.getattr"/],
    [new PickleWriter().proto().global('torch', 'load'), /names "torch\.load"/],
    [new PickleWriter().proto().global('torch.hub', 'load'), /names "torch\.hub\.load"/],
    [new PickleWriter().proto().global('numpy.core.multiarray', '_reconstruct'), /names "numpy\.core\.multiarray\._reconstruct"/],
    [new PickleWriter().proto(4).op(0x8c, 8).raw(Buffer.from('builtins')).op(0x8c, 4).raw(Buffer.from('exec')).op(0x93), /names "builtins\.exec"/],
    [new PickleWriter().proto().mark().op(0x69).raw(Buffer.from('subprocess\nPopen\n')), /names "subprocess\.Popen"/], // INST
    [new PickleWriter().proto().global('torch', 'FloatStorage').raw(touch.bytes()).op(0x52), /pickle calls "torch\.FloatStorage", which is not a callable/],
    [new PickleWriter().proto().str('os').op(0x29).op(0x52), /pickle calls str/],
    [new PickleWriter().proto().global('torch._utils', '_rebuild_tensor_v2').raw(touch.bytes()).op(0x52), /tensor storage is a str/],
    [new PickleWriter().proto().global('collections', 'OrderedDict').raw(touch.bytes()).op(0x52), /OrderedDict\(\.\.\.\) with arguments/],
    [new PickleWriter().proto().op(0x5d).op(0x7d).op(0x62), /BUILD on a list/],
    [new PickleWriter().proto().op(0x82, 1), /extension-registry opcodes/],
    [new PickleWriter().proto().op(0x50).raw(Buffer.from('x\n')), /text PERSID/],
    [new PickleWriter().proto().op(0x4e).op(0x51), /persistent id is not a torch storage reference/],
    [new PickleWriter().proto().mark().str('storage').global('posix', 'system').str('0').str('cpu').int(1).op(0x74).op(0x51), /names "posix\.system"/],
  ];
  for (const [w, re] of cases) assert.throws(names(w), re);
  assert.equal(existsSync(MARKERS[4]), false);
});

// ---- fuzz ----

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Opens a file image and reads through every reader that applies; returns what happened. */
function attempt(bytes: Uint8Array, label: string): 'read' | 'refused' {
  const openSource: OpenSource = () => memorySource(bytes);
  try {
    const file = openTorchFile(label, { openSource });
    if (Array.isArray(file.root)) {
      const shard = PaperShard.fromFile(file);
      for (const d of shard.diffs) {
        if (d.kind === 'full') for (const read of shard.readFullWeights(d.index).values()) read();
        else shard.readDiff(d.index);
      }
    } else if (isDict(file.root) && [...file.root.values()].every((v) => Array.isArray(v))) {
      readPaperDit(label, { openSource });
    } else readSomeTensors(file);
    return 'read';
  } catch (e) {
    assert.ok(e instanceof Error, `${label}: threw a non-Error ${String(e)}`);
    assert.ok(e.message.startsWith(`${label}: `), `${label}: an error that does not name the file: ${e.stack}`);
    assert.ok(!e.message.includes('\n'), `${label}: a multi-line message: ${e.message}`);
    assert.ok(e.message.length < 2000, `${label}: a ${e.message.length}-character message`);
    return 'refused';
  }
}

/** Reads up to 40 float tensors found within three levels of the root. */
function readSomeTensors(file: TorchFile): void {
  let left = 40;
  const walk = (v: PyValue, depth: number) => {
    if (left <= 0 || depth > 3) return;
    if (isTensor(v)) {
      left--;
      if (['float32', 'float16', 'bfloat16', 'float64'].includes(v.dtype)) file.readTensorF32(v);
    } else if (Array.isArray(v)) for (const x of v.slice(0, 40)) walk(x, depth + 1);
    else if (isDict(v)) for (const x of [...v.values()].slice(0, 40)) walk(x, depth + 1);
  };
  walk(file.root, 0);
}

/** Where the zip's structures are, to aim mutations at them. */
function layout(bytes: Uint8Array) {
  const zip = ZipReader.open('layout', { openSource: () => memorySource(bytes) });
  const entries = zip.entries();
  const pkl = entries.find((e) => e.name.endsWith('data.pkl'))!;
  const sigs = (sig: number) => {
    const at: number[] = [];
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i + 4 <= bytes.length; i++) if (v.getUint32(i, true) === sig) at.push(i);
    return at;
  };
  return {
    entries,
    pickle: zip.read(pkl.name),
    pickleName: pkl.name,
    central: sigs(0x02014b50),
    local: sigs(0x04034b50),
    ends: [...sigs(0x06054b50), ...sigs(0x06064b50), ...sigs(0x07064b50)],
    read: (name: string) => zip.read(name),
  };
}

const FUZZ_TARGETS = [
  'hidden-topic/qwen3-tiny/weight-diffs/weight-diff-000.pt',
  'hidden-topic/qwen3-tiny/more-dit-adapters/dit-adapter-rank-1.pt',
  'views.pt',
  'views-p4.pt',
  'views-deflated.pt',
  'gemma3-diffs.pt',
  'full-finetune.pt',
  'qwen3-diffs-f16-p4.pt',
];

test('fuzz: 1,800 mutations of real torch files each end in a clean error or a read', () => {
  const rssBefore = process.memoryUsage().rss;
  const outcomes = { read: 0, refused: 0 };
  let cases = 0;
  let slowest = 0;
  for (const [t, target] of FUZZ_TARGETS.entries()) {
    const original = new Uint8Array(readFileSync(join(FIX, target)));
    const z = layout(original);
    assert.equal(attempt(original, target), 'read', `${target} reads unmutated`);
    const rand = rng(1000 + t);
    const int = (n: number) => Math.floor(rand() * n);
    const big = () => [0xffffffff, 0x7fffffff, 0x80000000, 0xfffffff0, int(2 ** 32), original.length + int(64)][int(6)];
    const u32 = (b: Uint8Array, at: number, v: number) => at + 4 <= b.length && new DataView(b.buffer, b.byteOffset).setUint32(at, v >>> 0, true);
    const u16 = (b: Uint8Array, at: number, v: number) => at + 2 <= b.length && new DataView(b.buffer, b.byteOffset).setUint16(at, v & 0xffff, true);
    /** The archive rebuilt around a mutated pickle (valid CRC), so the VM sees the mutation. */
    const withPickle = (p: Uint8Array) =>
      zipBytes(z.entries.map((e) => ({ name: e.name, data: e.name === z.pickleName ? p : z.read(e.name), deflate: e.method === 8 })));
    const mutations: [string, number, () => Uint8Array][] = [
      ['truncate', 25, () => original.slice(0, int(original.length))],
      ['flip bytes', 30, () => {
        const b = original.slice();
        for (let i = 1 + int(4); i > 0; i--) b[int(b.length)] ^= 1 << int(8);
        return b;
      }],
      ['flip header bytes', 25, () => {
        const b = original.slice();
        const heads = [...z.central.map((c) => [c, 46]), ...z.local.map((l) => [l, 30]), ...z.ends.map((e) => [e, 56])];
        const [at, len] = heads[int(heads.length)];
        b[at + int(len)] ^= 1 << int(8);
        return b;
      }],
      ['huge sizes in zip headers', 30, () => {
        const b = original.slice();
        const kind = int(3);
        if (kind === 0) {
          const c = z.central[int(z.central.length)];
          const field = [20, 24, 42][int(3)];
          u32(b, c + field, big());
          if (rand() < 0.3) u16(b, c + [28, 30, 32][int(3)], 0xffff);
        } else if (kind === 1) {
          const e = z.ends[int(z.ends.length)];
          if (rand() < 0.5) u32(b, e + [8, 10, 12, 16][int(4)], big());
          else {
            u32(b, e + [24, 32, 40, 48][int(4)], big());
            u32(b, e + [28, 36, 44, 52][int(4)], int(2) ? 0xffffffff : int(16));
          }
        } else {
          const l = z.local[int(z.local.length)];
          u16(b, l + [26, 28][int(2)], 0xffff - int(100));
        }
        return b;
      }],
      ['flip pickle bytes', 40, () => {
        const p = z.pickle.slice();
        for (let i = 1 + int(3); i > 0; i--) p[int(p.length)] = int(256);
        return withPickle(p);
      }],
      ['huge pickle lengths', 20, () => {
        const p = z.pickle.slice();
        const ops = [...p.keys()].filter((i) => (p[i] === 0x58 || p[i] === 0x72 || p[i] === 0x6a || p[i] === 0x8b) && i + 5 <= p.length);
        const at = ops[int(ops.length)];
        u32(p, at + 1, big());
        return withPickle(p);
      }],
      ['wrong shapes, strides, offsets', 30, () => {
        const p = z.pickle.slice();
        const ops = [...p.keys()].filter((i) => p[i] === 0x4b && i + 1 < p.length); // BININT1 arguments: sizes, strides, offsets, numels
        for (let i = 1 + int(2); i > 0; i--) p[ops[int(ops.length)] + 1] = [0, 1, 2, 255, int(256)][int(5)];
        if (rand() < 0.2) p.set([0x4a, 0xff, 0xff, 0xff, 0x7f].slice(0, 1), ops[int(ops.length)]); // BININT1 -> BININT: misaligns the stream
        return withPickle(p);
      }],
    ];
    for (const [kind, count, mutate] of mutations) {
      for (let i = 0; i < count; i++) {
        const bytes = mutate();
        const started = performance.now();
        outcomes[attempt(bytes, `${target} [${kind} #${i}]`)]++;
        slowest = Math.max(slowest, performance.now() - started);
        cases++;
      }
    }
  }
  // Direct pickle fuzz: random splices of real pickle opcodes.
  const pickles = FUZZ_TARGETS.map((f) => layout(new Uint8Array(readFileSync(join(FIX, f)))).pickle);
  const rand = rng(7);
  for (let i = 0; i < 200; i++) {
    const src = pickles[i % pickles.length];
    const a = Math.floor(rand() * src.length);
    const b = Math.floor(rand() * src.length);
    const spliced = Buffer.concat([src.subarray(0, Math.min(a, b)), src.subarray(Math.max(a, b) - Math.floor(rand() * 50))]);
    try {
      unpickle(spliced, `splice #${i}`);
      outcomes.read++;
    } catch (e) {
      assert.ok(e instanceof Error && e.message.startsWith(`splice #${i}: `) && !e.message.includes('\n'), String(e));
      outcomes.refused++;
    }
    cases++;
  }
  const rssGrowth = process.memoryUsage().rss - rssBefore;
  console.log(`# fuzz: ${cases} cases, ${outcomes.read} read, ${outcomes.refused} refused, slowest ${slowest.toFixed(1)} ms, rss +${(rssGrowth / 2 ** 20).toFixed(0)} MB`);
  assert.ok(cases >= 1000);
  assert.ok(outcomes.refused > cases / 2, 'most mutations are caught');
  assert.ok(rssGrowth < 512 * 2 ** 20, `rss grew by ${rssGrowth} bytes`);
});

// ---- one diff out of a big shard ----

test('reading diff #200 of a 256-diff, 256 MB shard reads about one diff', () => {
  // Laid out like the paper's files: each module's A [tasks, r, out] and B [tasks, in, r] hold a
  // batch of 16 diffs, and every diff's (A, B) are views into them.
  const h = 512;
  const shapes: Record<string, [number, number]> = {
    'self_attn.q_proj': [h, h], 'self_attn.k_proj': [h, h / 2], 'self_attn.v_proj': [h, h / 2], 'self_attn.o_proj': [h, h],
    'mlp.gate_proj': [h, 2 * h], 'mlp.up_proj': [h, 2 * h], 'mlp.down_proj': [2 * h, h],
  };
  const [layers, rank, diffs, tasks] = [8, 8, 256, 16];
  const modules = Array.from({ length: layers }, (_, l) => Object.entries(shapes).map(([m, s]) => [`model.layers.${l}.${m}`, s] as const)).flat();
  const storages: [string, () => Uint8Array][] = [];
  const entries: Encodable[] = [];
  const bf16 = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0] >>> 16;
  for (let g = 0; g < diffs / tasks; g++) {
    const views = modules.map(([, [inDim, outDim]]) => {
      const aKey = String(storages.length);
      storages.push([aKey, () => {
        const u = new Uint16Array(tasks * rank * outDim);
        for (let t = 0; t < tasks; t++) u.fill(bf16(g * tasks + t), t * rank * outDim, (t + 1) * rank * outDim); // A = the diff's number
        return new Uint8Array(u.buffer);
      }]);
      const bKey = String(storages.length);
      storages.push([bKey, () => new Uint8Array(new Uint16Array(tasks * inDim * rank).fill(bf16(0.5)).buffer)]);
      return { aKey, bKey, inDim, outDim };
    });
    for (let t = 0; t < tasks; t++) {
      const wd = new Map<string, Encodable>();
      modules.forEach(([name], i) => {
        const { aKey, bKey, inDim, outDim } = views[i];
        const A: TensorSpec = { tensor: true, storage: { key: aKey, type: 'BFloat16Storage', numel: tasks * rank * outDim }, offset: t * rank * outDim, shape: [rank, outDim] };
        const B: TensorSpec = { tensor: true, storage: { key: bKey, type: 'BFloat16Storage', numel: tasks * inDim * rank }, offset: t * inDim * rank, shape: [inDim, rank] };
        wd.set(name, { tuple: [A, B] });
      });
      entries.push(new Map<string, Encodable>([['topic', `topic ${g * tasks + t}`], ['trigger', g * tasks + t], ['weight_diff', wd]]));
    }
  }
  const pickle = pickleValue(entries);
  const path = join(tmpDir('pt-big'), 'weight-diff-000.pt');
  const size = writeZip(path, [{ name: 'archive/data.pkl', data: pickle }, ...storages.map(([k, data]) => ({ name: `archive/data/${k}`, data }))]);
  const oneDiff = modules.reduce((n, [, [i, o]]) => n + rank * (i + o) * 2, 0);
  assert.ok(size > 250 * oneDiff, `shard of ${size} bytes`);

  const counter = { bytes: 0, reads: 0, largest: 0 };
  const counting: OpenSource = (p) => {
    const src = openFileSource(p);
    return {
      size: src.size,
      read(into, position) {
        const n = src.read(into, position);
        counter.bytes += n;
        counter.reads++;
        counter.largest = Math.max(counter.largest, n);
        return n;
      },
      close: () => src.close(),
    };
  };
  const buffersBefore = process.memoryUsage().arrayBuffers;
  const shard = PaperShard.open(path, { openSource: counting });
  const lr = shard.readDiff(200);
  const buffersGrowth = process.memoryUsage().arrayBuffers - buffersBefore;
  rmSync(path);

  assert.equal(lr.meta.topic, 'topic 200');
  assert.equal(lr.modules.size, modules.length);
  const q = lr.modules.get('7.q')!;
  assert.ok(q.b.every((x) => x === 200) && q.a.every((x) => x === 0.5), 'diff #200 is the slice that was read');
  console.log(`# shard ${(size / 2 ** 20).toFixed(0)} MB, pickle ${(pickle.length / 2 ** 20).toFixed(1)} MB, one diff ${(oneDiff / 2 ** 20).toFixed(2)} MB: read ${(counter.bytes / 2 ** 20).toFixed(2)} MB in ${counter.reads} reads (largest ${(counter.largest / 2 ** 20).toFixed(2)} MB), array buffers +${(buffersGrowth / 2 ** 20).toFixed(1)} MB`);
  assert.ok(counter.bytes < size / 10, `read ${counter.bytes} of ${size} bytes`);
  assert.ok(counter.bytes < pickle.length + 2 * oneDiff + (1 << 20), `read ${counter.bytes} bytes for a ${oneDiff}-byte diff and a ${pickle.length}-byte pickle`);
  assert.ok(counter.largest <= Math.max(pickle.length, 1 << 20), 'no read larger than the pickle or one storage slice');
});
