// Adapter vs base model: the first mismatch named with file, module, expected and found;
// which bases an adapter fits; and what inspect reports for a known adapter.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { LowRank } from '../../src/main/engine/adapters/lowrank.ts';
import { adapterMismatch, fits, validateAdapter } from '../../src/main/engine/adapters/validate.ts';
import { inspectAdapter, lowRankNorm } from '../../src/main/engine/adapters/inspect.ts';
import { readPeft } from '../../src/main/engine/adapters/peft.ts';
import { validateStack } from '../../src/main/engine/stack.ts';
import type { Manifest } from '../../src/main/engine/library.ts';
import { MODULES, moduleShape } from '../../src/main/engine/modules.ts';
import type { ModelConfig } from '../../src/main/engine/hf/config.ts';
import { seededNormal, tinyConfig } from '../reference/random-weights.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'peft', 'qwen3-tiny-r2');
// make-model's tiny preset: the same shapes for qwen3 and llama
const TINY = { hiddenSize: 64, intermediateSize: 128, numLayers: 3, numHeads: 4, numKvHeads: 2, headDim: 16, layerTypes: ['full', 'full', 'full'] } as const;
const qwen3Tiny = tinyConfig('qwen3', { ...TINY, layerTypes: [...TINY.layerTypes] });
const llamaTiny = tinyConfig('llama', { ...TINY, layerTypes: [...TINY.layerTypes] });
const qwen3Wide = tinyConfig('qwen3', { ...TINY, hiddenSize: 128, layerTypes: [...TINY.layerTypes] });
const qwen3Short = tinyConfig('qwen3', { ...TINY, numLayers: 2, layerTypes: ['full', 'full'] });

/** A rank-1 diff on every module of `config`, declaring its architecture like a full-finetune diff does. */
function diffFor(config: ModelConfig, source: string): LowRank {
  const normal = seededNormal(3);
  const modules = new Map();
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const module of MODULES) {
      const [inDim, outDim] = moduleShape(config, module);
      modules.set(`${layer}.${module}`, { a: Float32Array.from({ length: inDim }, normal), b: Float32Array.from({ length: outDim }, normal), inDim, outDim, rank: 1 });
    }
  }
  return { modules, scale: 1, rank: 1, meta: { source, arch: config.arch, hfArchitecture: config.hfArchitecture } };
}

describe('validate an adapter against a base model', () => {
  const diff = diffFor(qwen3Tiny, 'diffs/qwen3-topic.safetensors');

  it('fits the base it was made for', () => {
    assert.equal(adapterMismatch(diff, qwen3Tiny), null);
  });

  it('refuses a qwen3 diff on the llama tiny (same shapes, other architecture)', () => {
    assert.throws(() => validateAdapter(diff, llamaTiny), {
      message: 'diffs/qwen3-topic.safetensors: made for a qwen3 (Qwen3ForCausalLM) model, the base model is llama (LlamaForCausalLM)',
    });
  });

  it('names file, module, expected and found shapes on a differently sized base', () => {
    assert.throws(() => validateAdapter(diff, qwen3Wide), {
      message: 'diffs/qwen3-topic.safetensors: module layers.0.q_proj: expected [128, 64] ([in, out]) for the base model, found [64, 64]',
    });
    assert.throws(() => validateAdapter(diff, qwen3Short), {
      message: 'diffs/qwen3-topic.safetensors: module layers.2.q_proj: the base model has 2 layers (0..1)',
    });
  });

  it('is the check validateStack runs, on an imported model\'s shapes', () => {
    const shapes = { layers: 3, modules: Object.fromEntries(MODULES.map((m) => [m, moduleShape(qwen3Wide, m)])) } as Manifest['shapes'];
    assert.throws(() => validateStack(shapes, [{ adapter: diff, scale: 1 }]), /module layers\.0\.q_proj: expected \[128, 64\] \(\[in, out\]\) for the base model, found \[64, 64\]/);
    const manifest = { arch: 'llama', hfArchitecture: 'LlamaForCausalLM', shapes: { ...shapes, modules: Object.fromEntries(MODULES.map((m) => [m, moduleShape(llamaTiny, m)])) } } as unknown as Manifest;
    assert.match(adapterMismatch(diff, manifest) ?? '', /made for a qwen3 .* the base model is llama/);
  });

  it('refuses a PEFT adapter whose base_model_name_or_path names another family, even where shapes agree', () => {
    const peft = readPeft(FIXTURE);
    assert.equal(peft.meta.baseModel, 'qwen3-tiny');
    assert.throws(() => validateAdapter(peft, llamaTiny), /qwen3-tiny-r2: made for a qwen3 model, the base model is llama \(LlamaForCausalLM\)/);
    assert.doesNotThrow(() => validateAdapter(peft, qwen3Tiny));
  });

  it('lists the known bases an adapter fits', () => {
    const bases = [
      { name: 'qwen3-tiny', base: qwen3Tiny },
      { name: 'llama-tiny', base: llamaTiny },
      { name: 'qwen3-wide', base: qwen3Wide },
    ];
    assert.deepEqual(fits(diff, bases).map((b) => b.name), ['qwen3-tiny']);
    assert.deepEqual(fits(readPeft(FIXTURE), bases).map((b) => b.name), ['qwen3-tiny']);
  });
});

describe('inspect an adapter', () => {
  it('reports kind, rank, modules, layers and per-layer norms of a known adapter', () => {
    const lr: LowRank = {
      modules: new Map([
        // a b = [[1,2,0,0],[0,0,3,4],[0,0,0,0]]: ||ab||_F = sqrt(30)
        ['0.q', { a: Float32Array.of(1, 0, 0, 1, 0, 0), b: Float32Array.of(1, 2, 0, 0, 0, 0, 3, 4), inDim: 3, outDim: 4, rank: 2 }],
        // a b = [[2,2],[0,0]]: sqrt(8)
        ['2.down', { a: Float32Array.of(2, 0, 0, 0), b: Float32Array.of(1, 1, 5, 5), inDim: 2, outDim: 2, rank: 2 }],
        // a b = [[3],[6]] (a rank-1 module in a rank-2 adapter): sqrt(45)
        ['2.k', { a: Float32Array.of(1, 2), b: Float32Array.of(3), inDim: 2, outDim: 1, rank: 1 }],
      ]),
      scale: 0.5,
      rank: 2,
      meta: { format: 'diffscope-lowrank', kind: 'dit', label: 'volcanoes', trigger: '42', split: 'test', source: 'x.safetensors' },
    };
    const info = inspectAdapter(lr);
    assert.equal(info.kind, 'dit');
    assert.equal(info.rank, 2);
    assert.equal(info.format, 'diffscope-lowrank');
    assert.deepEqual(info.modules.map((m) => `layers.${m.layer}.${m.module}`), ['layers.0.q_proj', 'layers.2.k_proj', 'layers.2.down_proj']);
    assert.deepEqual(info.layers, [0, 2]);
    assert.equal(info.perLayerNorms.length, 3);
    assert.ok(Math.abs(info.perLayerNorms[0] - 0.5 * Math.sqrt(30)) < 1e-12);
    assert.equal(info.perLayerNorms[1], 0);
    assert.ok(Math.abs(info.perLayerNorms[2] - 0.5 * (Math.sqrt(8) + Math.sqrt(45))) < 1e-12);
    assert.deepEqual([info.label, info.trigger, info.split, info.source], ['volcanoes', '42', 'test', 'x.safetensors']);
  });

  it('computes ||a b||_F through the Gram matrices exactly as the product does', () => {
    const normal = seededNormal(8);
    const [inDim, r, outDim] = [20, 5, 30];
    const a = Float32Array.from({ length: inDim * r }, normal);
    const b = Float32Array.from({ length: r * outDim }, normal);
    let sq = 0;
    for (let i = 0; i < inDim; i++) {
      for (let o = 0; o < outDim; o++) {
        let s = 0;
        for (let j = 0; j < r; j++) s += a[i * r + j] * b[j * outDim + o];
        sq += s * s;
      }
    }
    assert.ok(Math.abs(lowRankNorm({ a, b, inDim, outDim, rank: r }) - Math.sqrt(sq)) < 1e-9 * Math.sqrt(sq));
  });

  it('reads a PEFT adapter as a diff of rank 2 on 21 modules', () => {
    const info = inspectAdapter(readPeft(FIXTURE));
    assert.equal(info.format, 'peft');
    assert.equal(info.kind, 'diff');
    assert.equal(info.rank, 2);
    assert.equal(info.modules.length, 21);
    assert.deepEqual(info.layers, [0, 1, 2]);
    assert.ok(info.perLayerNorms.every((n) => n > 0));
  });
});
