// Adapters read from other formats, run through the engine, against the plain-TypeScript reference
// with the weight diffs MERGED into the weights (W + scale · ΔW), qwen3 tiny, fp32:
// a PEFT diff, a PEFT diff + DIT adapter stack, a stack exported as one PEFT adapter and read back,
// and a full finetune compressed by randomised SVD.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelSession } from '../../src/main/engine/session.ts';
import { forwardStep, KvCache } from '../../src/main/engine/forward.ts';
import { StackFeeds } from '../../src/main/engine/stack.ts';
import type { LowRank, LoadedStackEntry } from '../../src/main/engine/adapters/lowrank.ts';
import { readPeft, writePeft } from '../../src/main/engine/adapters/peft.ts';
import { diffFullFinetune } from '../../src/main/engine/adapters/full.ts';
import { loadLowRank } from '../../src/main/engine/adapters/load.ts';
import { SafetensorsCheckpoint, writeSafetensors, type TensorToWrite } from '../../src/main/engine/hf/safetensors.ts';
import { HF_MODULE_PATH, MODULES, moduleShape } from '../../src/main/engine/modules.ts';
import { referenceLogits, type Weights } from '../reference/forward.ts';
import { seededNormal, seededRandom } from '../reference/random-weights.ts';
import { tinyModel, type TinyModel } from '../helpers/models.ts';
import { mergedWeights, writePeftFixture, type PeftFixture } from '../helpers/peft-fixture.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { maxAbsDiff } from '../helpers/logits.ts';

const TOL = 1e-3;


/** Engine logits of every prompt position, [n, vocab]. */
async function engineLogits(session: ModelSession, stack: LoadedStackEntry[], ids: number[]): Promise<Float32Array> {
  const feeds = new StackFeeds(session.manifest.shapes);
  feeds.set([stack]);
  const { logits } = await forwardStep(session, new KvCache(1), feeds, [ids], [ids.map((_, i) => i)]);
  return logits;
}

/**
 * A full finetune of the base: every linear gets W + ΔW (ΔW from `delta`, or left alone when it
 * returns null), `other` may change the rest; written in F32 so the stored ΔW is exactly ΔW.
 */
function writeFinetune(
  model: TinyModel,
  dir: string,
  delta: (layer: number, module: (typeof MODULES)[number], out: number, inDim: number) => Float64Array | null,
  other: (name: string, data: Float32Array) => Float32Array = (_, d) => d,
): Weights {
  const base = SafetensorsCheckpoint.open(model.hfDir);
  const byName = new Map<string, (w: Float32Array) => Float32Array>();
  for (let layer = 0; layer < model.config.numLayers; layer++) {
    for (const module of MODULES) {
      const [inDim, outDim] = moduleShape(model.config, module);
      const d = delta(layer, module, outDim, inDim);
      if (d) byName.set(`model.layers.${layer}.${HF_MODULE_PATH[module]}.weight`, (w) => Float32Array.from(w, (x, i) => x + d[i]));
    }
  }
  mkdirSync(dir, { recursive: true });
  const tensors: TensorToWrite[] = base.names().map((name) => ({
    name,
    dtype: 'F32',
    shape: base.info(name).shape,
    data: () => (byName.get(name) ?? ((w: Float32Array) => other(name, w)))(base.readF32(name)),
  }));
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  base.close();
  copyFileSync(join(model.hfDir, 'config.json'), join(dir, 'config.json'));
  const ft = SafetensorsCheckpoint.open(dir);
  return { get: (name) => ({ shape: ft.info(name).shape, data: ft.readF32(name) }) };
}

/** U V with U [out, k], V [k, in] Gaussian: a delta of rank k, [out, in]. */
function lowRankDelta(out: number, inDim: number, k: number, seed: number, std = 0.15): Float64Array {
  const normal = seededNormal(seed);
  const U = Float64Array.from({ length: out * k }, () => normal() * std);
  const V = Float64Array.from({ length: k * inDim }, () => normal() * std);
  const d = new Float64Array(out * inDim);
  for (let o = 0; o < out; o++) for (let j = 0; j < k; j++) for (let i = 0; i < inDim; i++) d[o * inDim + i] += U[o * k + j] * V[j * inDim + i];
  return d;
}

/** The base weights with every adapter of the stack merged: W[out, in] += s · (a b)ᵀ. */
function mergeLowRanks(model: TinyModel, stack: LoadedStackEntry[]): Weights {
  const merged = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const { adapter, scale } of stack) {
    for (const [key, m] of adapter.modules) {
      const [layer, module] = key.split('.') as [string, (typeof MODULES)[number]];
      const name = `model.layers.${layer}.${HF_MODULE_PATH[module]}.weight`;
      const w = merged.get(name) ?? { ...model.weights.get(name), data: Float32Array.from(model.weights.get(name).data) };
      const s = scale * adapter.scale;
      for (let o = 0; o < m.outDim; o++) {
        for (let i = 0; i < m.inDim; i++) {
          let sum = 0;
          for (let j = 0; j < m.rank; j++) sum += m.a[i * m.rank + j] * m.b[j * m.outDim + o];
          w.data[o * m.inDim + i] += s * sum;
        }
      }
      merged.set(name, w);
    }
  }
  return { get: (name) => merged.get(name) ?? model.weights.get(name) };
}

describe('adapters through the engine vs merged weights (qwen3 tiny)', () => {
  let model: TinyModel;
  let session: ModelSession;
  let root: string;
  let diffFixture: PeftFixture;
  let ditFixture: PeftFixture;
  let diff: LowRank;
  let dit: LowRank;
  const r = seededRandom(5);
  const ids = Array.from({ length: 12 }, () => Math.floor(r() * 30000));

  before(async () => {
    model = await tinyModel('qwen3');
    session = await ModelSession.open(model.libDir, { provider: 'cpu' });
    root = tmpDir('adapters-parity');
    // the paper's diff: rank 1 on all seven modules (alpha 2: scale 2)
    diffFixture = writePeftFixture(join(root, 'diff'), { config: model.config, rank: 1, alpha: 2, seed: 31 });
    // a DIT-like adapter: rank 16, rsLoRA, q at rank 4 and down with its own alpha (so per-module scales differ)
    ditFixture = writePeftFixture(join(root, 'dit'), {
      config: model.config,
      rank: 16,
      alpha: 4,
      seed: 32,
      rsLora: true,
      rankPattern: { q_proj: 4 },
      alphaPattern: { 'mlp.down_proj': 1 },
      std: 0.15,
    });
    diff = readPeft(diffFixture.dir);
    dit = loadLowRank(ditFixture.dir);
  });
  after(() => session?.release());

  it('a PEFT diff matches the reference with the diff merged', async (t) => {
    assert.equal(diff.rank, 1);
    assert.equal(diff.scale, 2);
    const engine = await engineLogits(session, [{ adapter: diff, scale: 1 }], ids);
    const ref = referenceLogits(model.config, mergedWeights(model.weights, [{ deltas: diffFixture.deltas, scale: 1 }]), ids);
    const d = maxAbsDiff(engine, ref);
    t.diagnostic(`max |Δlogit| ${d.toExponential(2)}`);
    assert.ok(d <= TOL, `max |Δlogit| ${d} > ${TOL}`);
    const base = referenceLogits(model.config, model.weights, ids);
    assert.ok(maxAbsDiff(ref, base) > 100 * TOL, 'the diff must visibly change the logits');
  });

  it("the paper's .pt diff + DIT adapter (real torch.save files) match the merged sum of both", async (t) => {
    const exp = join(import.meta.dirname, '..', 'fixtures', 'pt', 'hidden-topic', 'qwen3-tiny');
    const paperDiff = loadLowRank(join(exp, 'weight-diffs', 'weight-diff-000.pt#1'));
    const paperDit = loadLowRank(join(exp, 'dit-adapter.pt'));
    const stack = [
      { adapter: paperDiff, scale: 1 },
      { adapter: paperDit, scale: 1 },
    ];
    const engine = await engineLogits(session, stack, ids);
    const d = maxAbsDiff(engine, referenceLogits(model.config, mergeLowRanks(model, stack), ids));
    t.diagnostic(`max |Δlogit| ${d.toExponential(2)}`);
    assert.ok(d <= TOL, `max |Δlogit| ${d} > ${TOL}`);
    assert.ok(maxAbsDiff(engine, await engineLogits(session, [], ids)) > 100 * TOL, 'the stack must visibly change the logits');
  });

  it('a PEFT diff + DIT adapter stack matches the merged sum of both', async (t) => {
    assert.equal(dit.rank, 16);
    assert.equal(dit.scale, 1, 'per-module scales differ, so they are folded into b');
    assert.equal(dit.modules.get('0.q')!.rank, 4);
    const stack = [
      { adapter: diff, scale: 1 },
      { adapter: dit, scale: 0.8 },
    ];
    const engine = await engineLogits(session, stack, ids);
    const merged = mergedWeights(model.weights, [
      { deltas: diffFixture.deltas, scale: 1 },
      { deltas: ditFixture.deltas, scale: 0.8 },
    ]);
    const d = maxAbsDiff(engine, referenceLogits(model.config, merged, ids));
    t.diagnostic(`max |Δlogit| ${d.toExponential(2)}`);
    assert.ok(d <= TOL, `max |Δlogit| ${d} > ${TOL}`);
  });

  it('exports the stack as one rank-17 PEFT adapter that runs like the two-adapter stack', async (t) => {
    const stack = [
      { adapter: diff, scale: 1 },
      { adapter: dit, scale: 0.8 },
    ];
    const twoAdapters = await engineLogits(session, stack, ids);
    for (const uniformRank of [true, false]) {
      const out = join(root, `export-${uniformRank}`);
      writePeft(out, stack, { baseModel: model.hfDir, uniformRank, meta: { label: 'exported stack' } });
      const config = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
      assert.equal(config.r, 17);
      assert.equal(config.lora_alpha, 17);
      assert.equal(config.use_rslora, false);
      assert.equal(config.peft_type, 'LORA');
      assert.deepEqual(config.target_modules, ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
      // compact: q modules carry 1 + 4 columns, listed with alpha = rank so scaling stays 1
      assert.deepEqual(config.rank_pattern, uniformRank ? {} : { 'model.layers.0.self_attn.q_proj': 5, 'model.layers.1.self_attn.q_proj': 5, 'model.layers.2.self_attn.q_proj': 5 });
      assert.deepEqual(config.alpha_pattern, config.rank_pattern);
      const back = readPeft(out);
      assert.equal(back.rank, 17);
      assert.equal(back.scale, 1);
      assert.equal(back.meta.label, 'exported stack');
      const one = await engineLogits(session, [{ adapter: back, scale: 1 }], ids);
      const d = maxAbsDiff(one, twoAdapters);
      t.diagnostic(`uniformRank ${uniformRank}: max |Δlogit| ${d.toExponential(2)}`);
      assert.ok(d <= 1e-4, `uniformRank ${uniformRank}: max |Δlogit| ${d} between the export and the stack`);
    }
  });

  it('a full finetune with a rank-4 diff, compressed by SVD at rank 4, matches the finetune', async (t) => {
    const dir = join(root, 'finetune-low-rank');
    let seed = 100;
    // layer 0's k is left alone: it must be reported unchanged and left out
    const ftWeights = writeFinetune(model, dir, (layer, module, out, inDim) => (layer === 0 && module === 'k' ? null : lowRankDelta(out, inDim, 1 + (seed % 4), seed++)));
    const progress: number[] = [];
    const { lowRank, report } = diffFullFinetune(dir, { base: model.hfDir, rank: 4, onProgress: (done) => progress.push(done) });
    assert.deepEqual(progress, Array.from({ length: 21 }, (_, i) => i + 1));
    assert.deepEqual(report.unchanged, ['0.k']);
    assert.deepEqual(report.unrepresented, [], 'every other tensor equals the base (F32 vs BF16 compared by value)');
    assert.equal(lowRank.modules.size, 20);
    assert.ok(report.energy > 1 - 1e-9, `energy ${report.energy}`);
    for (const m of report.modules) assert.ok(m.energy > 1 - 1e-9, `${m.key}: energy ${m.energy}`);
    assert.equal(lowRank.meta.kind, 'full');
    assert.equal(lowRank.meta.arch, 'qwen3');

    const engine = await engineLogits(session, [{ adapter: lowRank, scale: 1 }], ids);
    const ref = referenceLogits(model.config, ftWeights, ids);
    const d = maxAbsDiff(engine, ref);
    t.diagnostic(`energy ${report.energy}, SVD ${report.ms.toFixed(0)} ms, max |Δlogit| ${d.toExponential(2)}`);
    assert.ok(d <= TOL, `max |Δlogit| ${d} > ${TOL}`);
    assert.ok(maxAbsDiff(ref, referenceLogits(model.config, model.weights, ids)) > 100 * TOL, 'the finetune must visibly change the logits');
  });

  it('reports energy < 1 for a full-rank diff, and the tensors a low-rank diff cannot carry', (t) => {
    const dir = join(root, 'finetune-full-rank');
    const normal = seededNormal(9);
    writeFinetune(
      model,
      dir,
      (layer, module, out, inDim) => (layer === 1 && module === 'up' ? Float64Array.from({ length: out * inDim }, () => normal() * 0.05) : null),
      (name, data) => (name === 'model.norm.weight' ? data.map((x) => x * 1.1) : data),
    );
    const { lowRank, report } = diffFullFinetune(dir, { base: model.hfDir, rank: 4 });
    assert.equal(lowRank.modules.size, 1);
    assert.equal(report.unchanged.length, 20);
    // a Gaussian [128, 64] matrix keeps roughly 4/64 of its energy in 4 directions, a bit more
    t.diagnostic(`energy ${report.energy.toFixed(4)}`);
    assert.ok(report.energy > 0.05 && report.energy < 0.3, `energy ${report.energy}`);
    assert.deepEqual(report.unrepresented, ['model.norm.weight']);
    assert.match(lowRank.meta.warning, /model\.norm\.weight/);
    assert.throws(() => loadLowRank(dir), /full finetune .*needs the base model/);
  });
});
