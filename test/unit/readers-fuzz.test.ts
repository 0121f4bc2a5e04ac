// Issue 12: hundreds of generated hostile inputs through the readers a user's import goes
// through — low-rank safetensors, .pt zip + pickle (DEFLATE bombs included), PEFT folders, model
// folders (config.json, safetensors, tokenizer files), special files and symlinks in place of any
// of their files. Deterministic (seeded) and bounded: every case ends in a read or in a one-line
// error that names the file, within a few seconds and a few hundred MB, and no pickle runs code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadLowRank } from '../../src/main/engine/adapters/load.ts';
import { checkExperiment } from '../../src/main/engine/adapters/check.ts';
import { writeOwnLowRank } from '../../src/main/engine/adapters/own-format.ts';
import { readModelConfig } from '../../src/main/engine/hf/config.ts';
import { loadTokenizer, readGenerationConfig } from '../../src/main/engine/hf/tokenizer.ts';
import { linkToDevZero, makeFifo, tinyShapes, writeModelFolder, writePeftFolder, writeShard } from '../helpers/hostile-files.ts';
import { PickleWriter, zipBytes } from '../helpers/torch-writer.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** Deterministic PRNG (mulberry32). */
function rng(seed: number) {
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] };
}

const MARKER = '/tmp/diffscope-pwned-fuzz';
const PER_CASE_MS = 5000;
const stats = { cases: 0, read: 0, refused: 0, slowest: 0, slowestCase: '' };

/** Runs one case; a thrown error must be one line and name a file of the case. */
function attempt(label: string, names: string[], read: () => unknown): void {
  const started = performance.now();
  try {
    read();
    stats.read++;
  } catch (e) {
    assert.ok(e instanceof Error, `${label}: threw a non-Error ${String(e)}`);
    assert.ok(!(e instanceof RangeError && /allocation|Array buffer|Invalid array length/.test(e.message)), `${label}: an allocation failure: ${e.message}`);
    assert.ok(!e.message.includes('\n'), `${label}: a multi-line message: ${e.message}`);
    assert.ok(e.message.length < 2000, `${label}: a ${e.message.length}-character message`);
    assert.ok(names.some((n) => e.message.includes(n)), `${label}: the error names none of ${names.join(', ')}: ${e.message}`);
    stats.refused++;
  }
  const ms = performance.now() - started;
  if (ms > stats.slowest) [stats.slowest, stats.slowestCase] = [ms, label];
  assert.ok(ms < PER_CASE_MS, `${label}: took ${ms.toFixed(0)} ms`);
  stats.cases++;
}

// ---- safetensors ----

function splitSafetensors(bytes: Buffer): { header: Record<string, unknown>; data: Buffer } {
  const n = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')), data: bytes.subarray(8 + n) };
}
function joinSafetensors(header: unknown, data: Buffer, declared?: number): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(declared ?? json.length));
  return Buffer.concat([len, json, data]);
}

const HUGE = [2 ** 31, 2 ** 32 + 1, 2 ** 53, 1e300, -1, 0.5, 'x', null, [], 999999999] as const;

function mutateSafetensors(original: Buffer, r: ReturnType<typeof rng>): Buffer {
  const { header, data } = splitSafetensors(original);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const name = r.pick(names);
  const t = { ...(header[name] as Record<string, unknown>) };
  switch (r.int(10)) {
    case 0:
      return original.subarray(0, r.int(original.length));
    case 1: {
      const b = Buffer.from(original);
      for (let i = 1 + r.int(4); i > 0; i--) b[r.int(b.length)] ^= 1 << r.int(8);
      return b;
    }
    case 2:
      t.shape = [r.pick(HUGE), r.pick(HUGE)];
      break;
    case 3:
      t.data_offsets = [r.pick([0, 4, 2 ** 40, -8]), r.pick(HUGE)];
      break;
    case 4:
      t.dtype = r.pick(['F64', 'I64', 'BOOL', 'F8_E4M3', 'Q4', '', 7]);
      break;
    case 5: // a layer index far past any model, or a module name that is not one
      header[name.replace(/layers\.\d+|^\d+/, r.pick(['layers.999999999', 'layers.-1', '4294967296', 'layers.1e9']))] = t;
      delete header[name];
      return joinSafetensors(header, data);
    case 6:
      return joinSafetensors(header, data, r.pick([2 ** 40, 2 ** 31, 0, 7, data.length + 1e6]));
    case 7:
      header.__metadata__ = r.pick([{ scale: 'NaN' }, { scale: '1e999' }, 'text', { format: 'pt', 'diffscope.kind': 'x'.repeat(5000) }, null]);
      break;
    case 8: // NaN / Inf values in the data section
    {
      const d = Buffer.from(data);
      const at = 4 * r.int(Math.floor(d.length / 4));
      d.writeFloatLE(r.pick([NaN, Infinity, -Infinity]), at);
      return joinSafetensors(header, d);
    }
    default: // a deep or wide header
      return joinSafetensors(r.int(2) ? '['.repeat(100000) + ']'.repeat(100000) : Object.fromEntries(Array.from({ length: 20000 }, (_, i) => [`t${i}`, t])), data);
  }
  header[name] = t;
  return joinSafetensors(header, data);
}

test('fuzz: hostile inputs through every reader end in a read or a one-line error, each within seconds', { timeout: 120_000 }, () => {
  rmSync(MARKER, { force: true });
  const rssBefore = process.memoryUsage().rss;
  const root = tmpDir('fuzz');
  const r = rng(12);
  let t0 = performance.now();
  const lap = (what: string) => {
    if (process.env.DIFFSCOPE_FUZZ_TIMES) console.log(`# ${what}: ${(performance.now() - t0).toFixed(0)} ms`);
    t0 = performance.now();
  };

  // low-rank safetensors (the engine's own layout) and PEFT weights: 160 cases
  const own = join(root, 'own.safetensors');
  const lr = { modules: new Map([['0.q', { a: new Float32Array(64).fill(0.1), b: new Float32Array(64).fill(0.2), inDim: 64, outDim: 64, rank: 1 }]]), scale: 1, rank: 1, meta: {} };
  writeOwnLowRank(own, lr);
  const ownBytes = readFileSync(own);
  const peftBase = writePeftFolder(join(root, 'peft-base'));
  const peftWeights = readFileSync(join(peftBase, 'adapter_model.safetensors'));
  for (let i = 0; i < 80; i++) {
    const path = join(root, `own-${i}.safetensors`);
    writeFileSync(path, mutateSafetensors(ownBytes, r));
    attempt(`own safetensors #${i}`, [path], () => loadLowRank(path));
    const dir = writePeftFolder(join(root, `peft-w-${i}`));
    writeFileSync(join(dir, 'adapter_model.safetensors'), mutateSafetensors(peftWeights, r));
    attempt(`PEFT weights #${i}`, [dir], () => loadLowRank(dir));
  }

  lap('safetensors');
  // PEFT adapter_config.json: 150 cases of hostile fields and pattern keys
  const PIECES = ['(', ')', '.*', '.+', '*', '+', '?', '|', 'a', 'q_proj', '\\.', '[0-9]', '{2,5}', '{99999}', '\\1', '(?=', '^', '$', 'layers', '\\d+', '[', ']', '(?:'];
  const hostileKey = () => Array.from({ length: 1 + r.int(12) }, () => r.pick(PIECES)).join('');
  for (let i = 0; i < 150; i++) {
    const fields: Record<string, unknown> = {};
    const kind = r.int(4);
    if (kind === 0) fields[r.pick(['r', 'lora_alpha', 'use_rslora', 'peft_type', 'use_dora', 'modules_to_save', 'layer_replication'])] = r.pick([...HUGE, true, 'LOHA', ['lm_head'], { x: 1 }]);
    else fields[r.pick(['rank_pattern', 'alpha_pattern'])] = Object.fromEntries(Array.from({ length: 1 + r.int(kind === 3 ? 200 : 4) }, () => [hostileKey(), r.pick([2, 4, 0, -1, 'x', 1e9])]));
    const dir = writePeftFolder(join(root, `peft-c-${i}`), { config: fields });
    attempt(`PEFT config #${i} ${JSON.stringify(fields).slice(0, 120)}`, [dir], () => loadLowRank(dir));
  }

  lap('PEFT configs');
  // .pt: a shard with its pickle spliced with code, storages bombs of every ratio, lengths, truncation: 120 cases
  const shard = writeShard(join(root, 'exp', 'weight-diffs', 'weight-diff-000.pt'), 3);
  const shardBytes = new Uint8Array(readFileSync(shard));
  const touch = new PickleWriter().str(`touch ${MARKER}`).op(0x85);
  for (let i = 0; i < 120; i++) {
    const path = join(root, `pt-${i}.pt`);
    const kind = i % 4;
    if (kind === 0) {
      // code named anywhere in the pickle
      const evil = new PickleWriter().proto().global(r.pick(['posix', 'os', 'subprocess', 'builtins', 'torch', 'numpy']), r.pick(['system', 'Popen', 'eval', 'exec', 'load', 'getattr'])).raw(touch.bytes()).op(0x52).stop();
      writeFileSync(path, zipBytes([{ name: 'archive/data.pkl', data: evil.bytes() }, { name: 'archive/version', data: Buffer.from('3\n') }]));
    } else if (kind === 1) {
      // a DEFLATE storage declared at sizes up to 4 GiB, its bytes a few KB: the directory lies or the data is zeros
      const declared = r.pick([64 << 20, 256 << 20, 1 << 30, 2 ** 32 - 4]);
      const bytes = zipBytes([
        { name: 'archive/data.pkl', data: new PickleWriter().proto().op(0x7d).stop().bytes() },
        { name: 'archive/data/0', data: new Uint8Array(4096), deflate: true },
        { name: 'archive/version', data: Buffer.from('3\n') },
      ]);
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let at = 0; at + 46 <= bytes.length; at++) if (v.getUint32(at, true) === 0x02014b50 && bytes[at + 46] === 0x61 && bytes[at + 54] === 0x64) v.setUint32(at + 24, declared >>> 0, true);
      writeFileSync(path, bytes);
    } else if (kind === 2) {
      writeFileSync(path, shardBytes.subarray(0, r.int(shardBytes.length)));
    } else {
      const b = shardBytes.slice();
      for (let k = 1 + r.int(6); k > 0; k--) b[r.int(b.length)] = r.int(256);
      writeFileSync(path, b);
    }
    attempt(`pt #${i}`, [path], () => loadLowRank(`${path}#${r.int(4)}`));
  }
  assert.equal(existsSync(MARKER), false, 'a pickle ran code');

  lap('.pt');
  // model folders: config.json fields, extra layers, tokenizer files: 90 cases
  const model = writeModelFolder(join(root, 'model-base'));
  const CONFIG_FIELDS = ['num_hidden_layers', 'hidden_size', 'intermediate_size', 'vocab_size', 'num_attention_heads', 'num_key_value_heads', 'head_dim', 'max_position_embeddings', 'architectures', 'rope_scaling', 'tie_word_embeddings'];
  for (let i = 0; i < 60; i++) {
    const dir = join(root, `model-${i}`);
    const field = r.pick(CONFIG_FIELDS);
    writeModelFolder(dir, { config: { [field]: r.pick([...HUGE, 1e9, 2, 3, { type: 'llama3' }, ['X']]) }, layers: r.pick([3, 3, 4, 1000]), tokenizer: false });
    attempt(`model config #${i} ${field}`, [dir, 'config.json', 'model.safetensors'], () => readModelConfig(dir));
  }
  const tokJson = readFileSync(join(model, 'tokenizer.json'));
  for (let i = 0; i < 20; i++) {
    const dir = join(root, `tok-${i}`);
    mkdirSync(dir);
    copyFileSync(join(model, 'tokenizer_config.json'), join(dir, 'tokenizer_config.json'));
    const kind = [0, 1, 2, 3][i % 4];
    if (kind === 0) writeFileSync(join(dir, 'tokenizer.json'), tokJson.subarray(0, r.int(tokJson.length)));
    else if (kind === 1) writeFileSync(join(dir, 'tokenizer.json'), r.pick(['null', '[]', '"x"', '{"model": 7}', '{}', '['.repeat(100000)]));
    else if (kind === 2) {
      // tokenizer_config.json is read first: a bad one is refused before the 11 MB tokenizer.json is parsed
      copyFileSync(join(model, 'tokenizer.json'), join(dir, 'tokenizer.json'));
      writeFileSync(join(dir, 'tokenizer_config.json'), r.pick(['[]', 'null', '"x"', '{"a": ', '{'.repeat(50000)]));
    } else {
      copyFileSync(join(model, 'tokenizer.json'), join(dir, 'tokenizer.json'));
      writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: r.pick([-1, 'x', [1.5], 2 ** 60, null]), temperature: r.pick([NaN, -1, 'hot', 2]) }));
      attempt(`generation config #${i}`, [dir], () => readGenerationConfig(dir));
      continue;
    }
    attempt(`tokenizer #${i}`, [dir], () => loadTokenizer(dir));
  }
  lap('model folders');
  // index.csv rows: 20 cases
  const exp = join(root, 'exp');
  for (let i = 0; i < 20; i++) {
    const rows = Array.from({ length: 1 + r.int(5) }, () => `${r.pick(['weight-diff-000.pt', '../x.pt', '/etc/passwd', 'w.pt'])},${r.pick(['0', '1', '2', '999', '-1', '1e3', '', '0x1', '2.0'])},t,${r.pick(['1', 'x', ''])},${r.pick(['train', 'test', ''])}`);
    writeFileSync(join(exp, 'index.csv'), ['lora_path,lora_idx,topic,trigger,split', ...rows, r.int(3) ? '' : '"unterminated'].join('\n'));
    attempt(`index.csv #${i}`, [join(exp, 'index.csv'), exp], () => checkExperiment(exp, tinyShapes()));
  }

  lap('index.csv');
  // special files and symlinks in place of every file the readers open: 60 cases
  const specials: [string, (p: string) => void][] = [
    ['fifo', makeFifo],
    ['/dev/zero', linkToDevZero],
    ['a folder', (p) => mkdirSync(p)],
    ['a dangling link', (p) => symlinkSync(join(root, 'nowhere'), p)],
    ['a link loop', (p) => symlinkSync(p, p)],
    ['a sparse 64 GiB file', (p) => (writeFileSync(p, ''), truncateSync(p, 64 * 2 ** 30))],
  ];
  const targets: [string, (dir: string) => string, (dir: string) => unknown][] = [
    ['config.json', (d) => writeModelFolder(d), (d) => readModelConfig(d)],
    ['model.safetensors', (d) => writeModelFolder(d), (d) => readModelConfig(d)],
    ['tokenizer.json', (d) => writeModelFolder(d), (d) => loadTokenizer(d)],
    ['tokenizer_config.json', (d) => writeModelFolder(d), (d) => loadTokenizer(d)],
    ['adapter_config.json', (d) => writePeftFolder(d), (d) => loadLowRank(d)],
    ['adapter_model.safetensors', (d) => writePeftFolder(d), (d) => loadLowRank(d)],
    ['index.csv', (d) => (mkdirSync(d), d), (d) => checkExperiment(d, tinyShapes())],
    ['weight-diffs/weight-diff-000.pt', (d) => (writeShard(join(d, 'weight-diffs', 'weight-diff-000.pt'), 1), writeFileSync(join(d, 'index.csv'), 'lora_path,lora_idx\nweight-diff-000.pt,0\n'), d), (d) => checkExperiment(d, tinyShapes())],
    ['dit-adapter.pt', (d) => (mkdirSync(d), d), (d) => loadLowRank(join(d, 'dit-adapter.pt'))],
    ['own.safetensors', (d) => (mkdirSync(d), d), (d) => loadLowRank(join(d, 'own.safetensors'))],
  ];
  let n = 0;
  for (const [file, make, read] of targets) {
    for (const [what, special] of specials) {
      const dir = join(root, `special-${n++}`);
      make(dir);
      rmSync(join(dir, file), { force: true });
      special(join(dir, file));
      attempt(`${file} as ${what}`, [join(dir, file), dir], () => read(dir));
    }
  }

  lap('special files');
  const rssGrowth = process.memoryUsage().rss - rssBefore;
  console.log(`# readers fuzz: ${stats.cases} cases, ${stats.read} read, ${stats.refused} refused, slowest ${stats.slowest.toFixed(0)} ms (${basename(stats.slowestCase)}), rss +${(rssGrowth / 2 ** 20).toFixed(0)} MB`);
  assert.ok(stats.cases >= 500, `${stats.cases} cases`);
  assert.ok(stats.refused > stats.cases / 2, 'most hostile inputs are refused');
  assert.ok(rssGrowth < 400 * 2 ** 20, `rss grew by ${rssGrowth} bytes`);
  assert.equal(existsSync(MARKER), false, 'a pickle ran code');
});
