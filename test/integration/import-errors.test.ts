// Importing a broken Hugging Face folder, through importModel and through `diffscope import model`:
// the user gets one line naming the file and the field or tensor at fault, the command exits 1,
// and the library is left as it was (no model folder, no `.import-*` temporary folder).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importModel, type ImportProgress } from '../../src/main/engine/build/import-model.ts';
import { makeModel } from '../../src/main/engine/dev/make-model.ts';
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from '../../src/main/engine/hf/safetensors.ts';
import { modelsDir } from '../../src/main/engine/library.ts';
import { oneLineError, runCli } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';

const WRONG_SHAPE_TENSOR = 'model.layers.1.self_attn.q_proj.weight'; // [64, 64] in the tiny qwen3
const MISSING_TENSOR = 'model.layers.2.mlp.down_proj.weight';

/** Rewrites DIR/model.safetensors, letting `edit` drop (return null) or replace tensors. */
function rewriteWeights(dir: string, edit: (t: TensorToWrite) => TensorToWrite | null): void {
  const path = join(dir, 'model.safetensors');
  const src = SafetensorsFile.open(path);
  const data = new Map(src.names().map((n) => [n, src.readF32(n)])); // read all before overwriting the file
  const tensors = src
    .names()
    .map((name) => edit({ name, dtype: 'BF16' as const, shape: src.info(name).shape, data: data.get(name)! }))
    .filter((t): t is TensorToWrite => t !== null);
  const metadata = src.metadata;
  src.close();
  writeSafetensors(path, tensors, metadata);
}

function editConfig(dir: string, edit: (config: Record<string, unknown>) => void): void {
  const path = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8'));
  edit(config);
  writeFileSync(path, JSON.stringify(config, null, 2));
}

interface BadFolder {
  name: string;
  spoil(dir: string): void;
  /** What the one-line message must name: the file, then the field or tensor. */
  names: (string | RegExp)[];
  /** Fails on config or headers alone: no progress, so no weight byte was hashed or converted. */
  beforeWeights?: boolean;
}

const CASES: BadFolder[] = [
  {
    name: 'model.safetensors cut in the middle of its data',
    spoil: (dir) => truncateSync(join(dir, 'model.safetensors'), Math.floor(statSync(join(dir, 'model.safetensors')).size / 2)),
    names: ['model.safetensors', /tensor "model\.[\w.]+" ends at byte \d+ but the file has \d+ bytes/],
    beforeWeights: true,
  },
  {
    name: 'a header length larger than the file',
    spoil: (dir) => {
      const path = join(dir, 'model.safetensors');
      const bytes = readFileSync(path);
      bytes.writeBigUInt64LE(BigInt(bytes.length + 100), 0); // [u64 LE header length][header][data]
      writeFileSync(path, bytes);
    },
    names: ['model.safetensors', 'header length'],
    beforeWeights: true,
  },
  {
    name: 'an unknown architecture',
    spoil: (dir) => editConfig(dir, (c) => (c.architectures = ['MistralForCausalLM'])),
    names: ['config.json', 'architectures[0]', 'MistralForCausalLM'],
    beforeWeights: true,
  },
  {
    name: 'a missing tokenizer.json',
    spoil: (dir) => unlinkSync(join(dir, 'tokenizer.json')),
    names: ['tokenizer.json', 'missing'],
    beforeWeights: true,
  },
  {
    name: 'a head size the CPU attention kernel cannot take',
    spoil: (dir) => editConfig(dir, (c) => (c.head_dim = 24)), // weights still hold head_dim 16: the config check must come first
    names: ['config.json', 'head_dim 24'],
    beforeWeights: true,
  },
  {
    name: 'a config.json that is not JSON',
    spoil: (dir) => writeFileSync(join(dir, 'config.json'), '{"architectures": ["Qwen3ForCausalLM"],'),
    names: ['config.json', 'not valid JSON'],
    beforeWeights: true,
  },
  {
    name: 'a tensor of the wrong shape',
    spoil: (dir) =>
      rewriteWeights(dir, (t) => (t.name === WRONG_SHAPE_TENSOR ? { ...t, shape: [64, 56], data: new Float32Array(64 * 56).fill(0.01) } : t)),
    names: ['model.safetensors', WRONG_SHAPE_TENSOR, /\[64, ?56\]/],
    beforeWeights: true,
  },
  {
    name: 'a missing tensor',
    spoil: (dir) => rewriteWeights(dir, (t) => (t.name === MISSING_TENSOR ? null : t)),
    names: ['qwen3-tiny', `tensor "${MISSING_TENSOR}" is missing`],
    beforeWeights: true,
  },
];

/** Folders in the library's models folder, sorted. */
function library(home: string): string[] {
  const root = modelsDir(home);
  return existsSync(root) ? readdirSync(root).sort() : [];
}

/**
 * Runs a failing import and checks the library is as it was: no new model folder and no
 * `.import-*` leftover. (Compared with the listing before rather than with [] because the good
 * folder's import in between adds a model.)
 */
async function assertLeavesLibraryAlone(home: string, run: () => Promise<void>): Promise<void> {
  const before = library(home);
  await run();
  assert.deepEqual(library(home), before, `the library ${modelsDir(home)} changed`);
}

function assertNames(message: string, names: (string | RegExp)[]): void {
  assert.doesNotMatch(message, /\n/, `not one line: ${message}`);
  for (const n of names) {
    if (typeof n === 'string') assert.ok(message.includes(n), `"${message}" does not name ${n}`);
    else assert.match(message, n);
  }
}

describe('importing a broken model folder', () => {
  let root: string;
  let good: string; // a valid tiny qwen3 folder every case copies and spoils
  const folders = new Map<string, string>();

  before(async () => {
    root = tmpDir('import-errors');
    good = join(root, 'qwen3-tiny');
    makeModel({ arch: 'qwen3', preset: 'tiny', out: good, seed: 1 });
    for (const [i, c] of CASES.entries()) {
      const dir = join(root, `case-${i}`, 'qwen3-tiny'); // same folder name: messages name the file, not the case
      cpSync(good, dir, { recursive: true });
      c.spoil(dir);
      folders.set(c.name, dir);
    }
  });

  describe('importModel', () => {
    let home: string;
    before(() => (home = tmpDir('import-errors-home')));

    for (const c of CASES) {
      it(`rejects ${c.name}`, async () => {
        const progress: ImportProgress[] = [];
        await assertLeavesLibraryAlone(home, () =>
          assert.rejects(importModel(folders.get(c.name)!, { home, onProgress: (p) => progress.push(p) }), (err: Error) => {
            assertNames(err.message, c.names);
            return true;
          }),
        );
        if (c.beforeWeights) assert.deepEqual(progress, [], 'weights were read before the error');
      });
    }

    it('imports a good folder afterwards, and the same folder again as the same model', async () => {
      const before = library(home);
      const first = await importModel(good, { home });
      assert.equal(first.existed, false);
      assert.ok(existsSync(join(first.dir, 'model.onnx')) && existsSync(join(first.dir, 'manifest.json')));
      const again = await importModel(good, { home });
      assert.equal(again.id, first.id);
      assert.equal(again.existed, true);
      assert.deepEqual(library(home), [...before, first.id].sort());
    });
  });

  describe('diffscope import model', () => {
    let home: string;
    before(() => (home = tmpDir('import-errors-cli-home')));

    for (const c of CASES) {
      it(`fails on ${c.name} with one line and exit 1`, async () => {
        await assertLeavesLibraryAlone(home, async () => {
          const run = await runCli(['import', 'model', folders.get(c.name)!], home);
          assertNames(oneLineError(run), c.names);
          assert.equal(run.stdout, '');
          if (c.beforeWeights) assert.doesNotMatch(run.stderr, /hashing|converting/, 'weights were read before the error');
        });
      });
    }
  });
});
