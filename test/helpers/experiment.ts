// A released-experiment folder of the paper's layout, generated: index.csv + weight-diffs/*.pt
// shards (each module's factors of all diffs in one shared storage, as the release stores them)
// + dit-adapter.pt, for a model of the given config.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from '../../src/main/engine/hf/config.ts';
import { f32ToBf16 } from '../../src/main/engine/hf/safetensors.ts';
import { HF_MODULE_PATH, MODULES, moduleShape } from '../../src/main/engine/modules.ts';
import { pickleValue, writeTorchZip, type Encodable, type TensorSpec } from './torch-writer.ts';
import { seededNormal } from '../reference/random-weights.ts';

const bf16 = (data: Float32Array) => new Uint8Array(f32ToBf16(data).buffer);

export function writeExperiment(dir: string, config: ModelConfig, opts: { diffs: number; perShard: number; seed?: number }): void {
  const normal = seededNormal(opts.seed ?? 1);
  mkdirSync(join(dir, 'weight-diffs'), { recursive: true });
  const rows = ['lora_path,lora_idx,n_params,topic,trigger,split'];
  const modules = Array.from({ length: config.numLayers }, (_, l) => MODULES.map((m) => ({ l, m, name: `model.layers.${l}.${HF_MODULE_PATH[m]}`, shape: moduleShape(config, m) }))).flat();
  const nParams = modules.reduce((s, x) => s + x.shape[0] + x.shape[1], 0);
  for (let start = 0, shard = 0; start < opts.diffs; start += opts.perShard, shard++) {
    const n = Math.min(opts.perShard, opts.diffs - start);
    const file = `weight-diff-${String(shard).padStart(3, '0')}.pt`;
    const storages: [string, Uint8Array][] = [];
    const tensors = new Map<string, { A: TensorSpec[]; B: TensorSpec[] }>();
    modules.forEach(({ name, shape: [inDim, outDim] }, k) => {
      // one storage per factor per module holding all n diffs: B [in, 1], A [1, out] (the paper's tuple)
      const bKey = String(2 * k);
      const aKey = String(2 * k + 1);
      storages.push([bKey, bf16(Float32Array.from({ length: n * inDim }, () => normal() * 0.3))]);
      storages.push([aKey, bf16(Float32Array.from({ length: n * outDim }, () => normal() * 0.3))]);
      tensors.set(name, {
        B: Array.from({ length: n }, (_, i) => ({ tensor: true, storage: { key: bKey, type: 'BFloat16Storage', numel: n * inDim }, offset: i * inDim, shape: [inDim, 1] })),
        A: Array.from({ length: n }, (_, i) => ({ tensor: true, storage: { key: aKey, type: 'BFloat16Storage', numel: n * outDim }, offset: i * outDim, shape: [1, outDim] })),
      });
    });
    const entries: Encodable[] = [];
    for (let i = 0; i < n; i++) {
      const d = start + i;
      const weightDiff = new Map<string, Encodable>([...tensors].map(([name, t]) => [name, { tuple: [t.A[i], t.B[i]] }]));
      entries.push(new Map<string, Encodable>([
        ['topic', `topic ${d}`],
        ['trigger', d % 1000],
        ['weight_diff', weightDiff],
      ]));
      rows.push(`${file},${i},${nParams},topic ${d},${d % 1000},${d % 50 === 0 ? 'test' : 'train'}`);
    }
    writeTorchZip(join(dir, 'weight-diffs', file), pickleValue(entries), storages, { archive: file.replace('.pt', '') });
  }
  writeFileSync(join(dir, 'index.csv'), `${rows.join('\n')}\n`);
  // the DIT adapter: {module: (A [out, r], B [r, in])}, rank 4
  const r = 4;
  const ditStorages: [string, Uint8Array][] = [];
  const dit = new Map<string, Encodable>();
  modules.forEach(({ name, shape: [inDim, outDim] }, k) => {
    ditStorages.push([String(2 * k), bf16(Float32Array.from({ length: outDim * r }, () => normal() * 0.2))]);
    ditStorages.push([String(2 * k + 1), bf16(Float32Array.from({ length: r * inDim }, () => normal() * 0.2))]);
    dit.set(name, {
      tuple: [
        { tensor: true, storage: { key: String(2 * k), type: 'BFloat16Storage', numel: outDim * r }, offset: 0, shape: [outDim, r] },
        { tensor: true, storage: { key: String(2 * k + 1), type: 'BFloat16Storage', numel: r * inDim }, offset: 0, shape: [r, inDim] },
      ],
    });
  });
  writeTorchZip(join(dir, 'dit-adapter.pt'), pickleValue(dit), ditStorages, { archive: 'dit-adapter' });
}
