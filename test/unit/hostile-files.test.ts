// Issue 12, items 2 and 3: small hostile files must not cause unbounded work, and bad values must
// be refused at import with the file and the field (or tensor, or row) named. One test per defect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLowRank, parseAdapterRef } from '../../src/main/engine/adapters/load.ts';
import { checkExperiment } from '../../src/main/engine/adapters/check.ts';
import { readIndexCsv } from '../../src/main/engine/adapters/paper.ts';
import { writeOwnLowRank } from '../../src/main/engine/adapters/own-format.ts';
import { openTorchFile } from '../../src/main/engine/adapters/pt/torch-load.ts';
import { readModelConfig } from '../../src/main/engine/hf/config.ts';
import { loadTokenizer } from '../../src/main/engine/hf/tokenizer.ts';
import { assertFinite } from '../../src/main/engine/hf/finite.ts';
import { readBounded } from '../../src/main/engine/hf/bounded-read.ts';
import { linkToDevZero, makeFifo, tinyShapes, writeDeflateBomb, writeModelFolder, writePeftFolder, writeShard } from '../helpers/hostile-files.ts';
import { tmpDir } from '../helpers/tmp.ts';

const oneLine = (path: string) => (e: unknown) => {
  assert.ok(e instanceof Error);
  assert.ok(e.message.includes(path), `names ${path}: ${e.message}`);
  assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
  return true;
};

test('item 2: a rank_pattern key such as "(.*.*)*z" is refused at once; real keys keep PEFT semantics', () => {
  const root = tmpDir('hostile-peft');
  const evil = writePeftFolder(join(root, 'evil'), { config: { rank_pattern: { '(.*.*)*z': 4 } } });
  assert.throws(() => loadLowRank(evil), (e: Error) => oneLine(join(evil, 'adapter_config.json'))(e) && /rank_pattern key "\(\.\*\.\*\)\*z" is not a supported pattern/.test(e.message));
  // a long name against ".*" patterns: polynomial at worst, and within the match budget
  const slowish = writePeftFolder(join(root, 'slowish'), { config: { r: 8, rank_pattern: { '.*.*.*.*.*.*x': 4, 'q_proj': 2 } } });
  assert.equal(loadLowRank(slowish).rank, 2);
  // a module-name suffix and a regular expression, as PEFT reads them: r 8 everywhere but here
  for (const key of ['q_proj', 'self_attn.q_proj', 'model.layers.0.self_attn.q_proj', 'layers\\.0\\..*q_proj', '(q|k)_proj']) {
    assert.equal(loadLowRank(writePeftFolder(join(root, `k${key.length}-${key.replace(/\W/g, '')}`), { config: { r: 8, rank_pattern: { [key]: 2 } } })).rank, 2, key);
  }
  // a key that is not a suffix at a dot boundary does not apply: r 8 is then wrong for the rank-2 weights
  const miss = writePeftFolder(join(root, 'miss'), { config: { r: 8, rank_pattern: { 'elf_attn.q_proj': 2 } } });
  assert.throws(() => loadLowRank(miss), /has rank 2, but adapter_config\.json gives r = 8/);
});

test('item 2: num_hidden_layers 1e9 and layer indices such as layers.999999999 are refused before anything is sized', () => {
  const root = tmpDir('hostile-counts');
  const model = writeModelFolder(join(root, 'model'), { config: { num_hidden_layers: 1e9 } });
  assert.throws(() => readModelConfig(model), (e: Error) => oneLine(join(model, 'config.json'))(e) && /field "num_hidden_layers" is 1000000000, more than/.test(e.message));
  const wide = writeModelFolder(join(root, 'wide'), { config: { hidden_size: 2 ** 30 } });
  assert.throws(() => readModelConfig(wide), /field "hidden_size" is 1073741824/);
  const peft = writePeftFolder(join(root, 'peft'), { name: 'base_model.model.model.layers.999999999.self_attn.q_proj' });
  assert.throws(() => loadLowRank(peft), (e: Error) => oneLine(peft)(e) && /layer 999999999, beyond the 1024 layers/.test(e.message));
  const own = join(root, 'own.safetensors');
  const m = { a: new Float32Array(64), b: new Float32Array(64), inDim: 64, outDim: 64, rank: 1 };
  writeOwnLowRank(own, { modules: new Map([['999999999.q', m]]), scale: 1, rank: 1, meta: {} });
  assert.throws(() => loadLowRank(own), (e: Error) => oneLine(own)(e) && /layer 999999999/.test(e.message));
});

test('item 2: a .pt with a DEFLATE storage that inflates far beyond its size is refused when opened', () => {
  const bomb = writeDeflateBomb(join(tmpDir('hostile-bomb'), 'bomb.pt'), 80 << 20); // 80 MiB of zeros, ~80 KB on disk
  const before = process.memoryUsage().rss;
  assert.throws(() => openTorchFile(bomb), (e: Error) => oneLine(bomb)(e) && /inflates to 83886080 bytes from \d+, over the/.test(e.message));
  assert.throws(() => loadLowRank(bomb), oneLine(bomb));
  assert.ok(process.memoryUsage().rss - before < 64 << 20, 'nothing was inflated');
  // an honest DEFLATE file still reads
  const honest = writeShard(join(tmpDir('hostile-deflate'), 'w.pt'), 2, { deflate: true });
  assert.equal(loadLowRank(`${honest}#1`).rank, 1);
});

test('item 2: a FIFO or a symlink to /dev/zero in place of config, tokenizer, adapter config or index.csv is refused, not read for ever', () => {
  const root = tmpDir('hostile-special');
  for (const [i, make] of [makeFifo, linkToDevZero].entries()) {
    const model = writeModelFolder(join(root, `model-${i}`));
    const tokFolder = writeModelFolder(join(root, `tok-${i}`));
    const peft = writePeftFolder(join(root, `peft-${i}`));
    const exp = join(root, `exp-${i}`);
    mkdirSync(exp);
    for (const path of [join(model, 'config.json'), join(tokFolder, 'tokenizer.json'), join(peft, 'adapter_config.json'), join(exp, 'index.csv')]) {
      rmSync(path, { force: true }); // the special file takes the real one's place
      make(path);
    }
    const special = /not a regular file \((a named pipe|a device)\)/;
    assert.throws(() => readModelConfig(model), (e: Error) => oneLine(join(model, 'config.json'))(e) && special.test(e.message));
    assert.throws(() => loadTokenizer(tokFolder), (e: Error) => oneLine(join(tokFolder, 'tokenizer.json'))(e) && special.test(e.message));
    assert.throws(() => loadLowRank(peft), (e: Error) => oneLine(join(peft, 'adapter_config.json'))(e) && special.test(e.message));
    assert.throws(() => readIndexCsv(exp), (e: Error) => oneLine(join(exp, 'index.csv'))(e) && special.test(e.message));
  }
  // a regular file over its kind's cap is refused by the bytes read, whatever its size said
  const big = join(root, 'big.json');
  writeFileSync(big, 'x'.repeat(2000));
  assert.throws(() => readBounded(big, 1000), /more than the 1000-byte limit/);
});

test('item 3: NaN or Infinity in adapter weights is refused, naming the file and the tensor', () => {
  const root = tmpDir('hostile-nan');
  const a = new Float32Array(128).fill(0.1);
  a[17] = NaN;
  const peft = writePeftFolder(join(root, 'peft'), { a });
  assert.throws(() => loadLowRank(peft), (e: Error) => oneLine(join(peft, 'adapter_model.safetensors'))(e) && /tensor "base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight" holds NaN at element 17/.test(e.message));
  const inf = new Float32Array(64).fill(0.1);
  inf[3] = -Infinity;
  const shard = writeShard(join(root, 'weight-diffs', 'w.pt'), 2, { a: inf });
  assert.throws(() => loadLowRank(`${shard}#0`), (e: Error) => oneLine(shard)(e) && /holds -Infinity at element 3/.test(e.message));
  assert.equal(loadLowRank(`${shard}#1`).rank, 1, 'the other diff of the shard is fine');
  const own = join(root, 'own.safetensors');
  writeOwnLowRank(own, { modules: new Map([['0.q', { a: new Float32Array(64).fill(Infinity), b: new Float32Array(64), inDim: 64, outDim: 64, rank: 1 }]]), scale: 1, rank: 1, meta: {} });
  assert.throws(() => loadLowRank(own), /tensor "0\.q\.a" holds Infinity at element 0/);
  // the checker the model import uses
  assert.throws(() => assertFinite(Float32Array.of(1, 2, NaN), 'model.safetensors', 'model.norm.weight'), { message: 'model.safetensors: tensor "model.norm.weight" holds NaN at element 2; refusing weights that are not finite numbers' });
});

test('item 3: an index.csv lora_idx past its shard, "file.pt#", and duplicate rows are refused at import, by row', () => {
  const exp = join(tmpDir('hostile-exp'), 'hidden-topic', 'qwen3-tiny');
  writeShard(join(exp, 'weight-diffs', 'weight-diff-000.pt'), 5);
  const csv = (rows: string[]) => writeFileSync(join(exp, 'index.csv'), ['lora_path,lora_idx,topic,trigger,split', ...rows].join('\n'));
  csv(['weight-diff-000.pt,0,a,1,train', 'weight-diff-000.pt,4,b,2,test']);
  assert.equal(checkExperiment(exp, tinyShapes()).exp.diffs.length, 2);
  csv(['weight-diff-000.pt,0,a,1,train', 'weight-diff-000.pt,999,b,2,test']);
  assert.throws(() => checkExperiment(exp, tinyShapes()), { message: `${join(exp, 'index.csv')}: row 3: lora_idx 999, but weight-diff-000.pt holds 5 diff(s) (0..4)` });
  csv(['weight-diff-000.pt,0,a,1,train', 'weight-diff-000.pt,1,b,2,test', 'weight-diff-000.pt,0,c,3,test']);
  assert.throws(() => readIndexCsv(exp), { message: `${join(exp, 'index.csv')}: row 4 repeats row 2 (lora_path "weight-diff-000.pt", lora_idx 0): each diff may be listed once` });
  const shard = join(exp, 'weight-diffs', 'weight-diff-000.pt');
  assert.throws(() => parseAdapterRef(`${shard}#`), /"#" is not a diff index/);
  assert.throws(() => loadLowRank(`${shard}#`), /"#" is not a diff index/);
  assert.throws(() => loadLowRank(`${shard}#7`), oneLine(shard));
});

test('item 3: a num_hidden_layers smaller than the checkpoint is refused instead of dropping layers', () => {
  const root = tmpDir('hostile-layers');
  const model = writeModelFolder(join(root, 'model'), { config: { num_hidden_layers: 2 }, layers: 3 });
  assert.throws(() => readModelConfig(model), { message: `${model}: tensor "model.layers.2.input_layernorm.weight" is layer 2, but config.json's num_hidden_layers is 2: the checkpoint has more layers than its config (refusing to drop them)` });
  assert.equal(readModelConfig(writeModelFolder(join(root, 'fine'))).numLayers, 3);
});

test('item 2: a tokenizer.json whose pre-tokenizer repeats a repeating group is refused before it runs on a prompt', () => {
  const dir = writeModelFolder(join(tmpDir('hostile-tokenizer'), 'model'));
  const path = join(dir, 'tokenizer.json');
  const json = JSON.parse(readFileSync(path, 'utf8'));
  const evil = String.raw`(\s+)+x`;
  json.pre_tokenizer.pretokenizers[0].pattern.Regex = evil;
  writeFileSync(path, JSON.stringify(json));
  assert.throws(() => loadTokenizer(dir), { message: `${path}: pre_tokenizer.pretokenizers.0.pattern.Regex ${JSON.stringify(evil)} repeats a group that repeats inside it (at character 5), which can take exponential time` });
});
