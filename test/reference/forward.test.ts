// Checks of the reference forward pass against hand computation and against its own invariants.
// Run: node --import tsx --test test/reference/forward.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelConfig } from '../../src/main/engine/hf/config.ts';
import { HF_MODULE_PATH, MODULES, moduleShape, type ModuleName } from '../../src/main/engine/modules.ts';
import { argmax, attends, referenceGreedy, referenceLogits, ropeInvFreq, type LoraStack, type Tensor } from './forward.ts';
import { mapWeights, randomWeights, requiredWeightShapes, seededNormal, tinyConfig, type MapWeights } from './random-weights.ts';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function rowOf(logits: Float32Array, vocab: number, t: number): Float32Array {
  return logits.subarray(t * vocab, (t + 1) * vocab);
}

function cloneWeights(w: MapWeights): MapWeights {
  const m = new Map<string, Tensor>();
  for (const [k, t] of w.tensors) m.set(k, { shape: [...t.shape], data: new Float32Array(t.data) });
  return mapWeights(m);
}

// ---------------------------------------------------------------------------------------------
// 1. Literal numbers: a model whose blocks are all zero reduces to logits = final_norm(embed) . lm_head

test('zero-block llama model gives hand-computed logits', () => {
  const config = tinyConfig('llama', {
    vocabSize: 5, hiddenSize: 4, intermediateSize: 3, numLayers: 1, numHeads: 2, numKvHeads: 1, headDim: 2,
    layerTypes: ['full'], rmsNormEps: 0, ropeScaling: null, tieWordEmbeddings: false,
  });
  const w = randomWeights(config, 7);
  for (const [name, t] of w.tensors) if (/_proj\.weight$/.test(name)) t.data.fill(0); // blocks add 0
  w.tensors.get('model.embed_tokens.weight')!.data.set([3, 0, 4, 0], 3 * 4); // token 3
  w.tensors.get('model.norm.weight')!.data.set([1, 2, 0.5, 1]);
  w.tensors.get('lm_head.weight')!.data.set([
    1, 0, 0, 0,
    0, 0, 1, 0,
    1, 1, 1, 1,
    1, 1, 1, 1, // same row as 2: a tie
    -1, 0, 1, 0,
  ]);
  // rms([3,0,4,0]) = sqrt(25/4) = 2.5 -> [1.2, 0, 1.6, 0] -> * norm -> [1.2, 0, 0.8, 0]
  const expected = [1.2, 0.8, 2.0, 2.0, -0.4];
  const logits = referenceLogits(config, w, [3]);
  assert.ok(maxAbsDiff(logits, expected) < 1e-6, `${Array.from(logits)}`);
  // greedy: tie between 2 and 3 goes to the lowest id; EOS stops and is included
  assert.deepEqual(referenceGreedy(config, w, [3], 1, []), [2]);
  assert.deepEqual(referenceGreedy(config, w, [3], 5, [2]), [2]);
  // final logit softcap: tanh(x / 2) * 2
  const capped = referenceLogits({ ...config, finalLogitSoftcap: 2 }, w, [3]);
  assert.ok(maxAbsDiff(capped, expected.map((x) => Math.tanh(x / 2) * 2)) < 1e-6);
});

// ---------------------------------------------------------------------------------------------
// 2. A 1-layer micro model (hidden 4, vocab 5, 4 query heads over 2 kv heads, head_dim 4)
//    recomputed here with plain arrays, independently of forward.ts.

type Vec = number[];

function microLogits(config: ModelConfig, w: MapWeights, ids: number[], position: number): Vec {
  const H = 4, hd = 4, nH = 4, nKv = 2, gemma = config.arch === 'gemma3';
  const get = (name: string) => Array.from(w.get(name).data);
  const matvec = (name: string, x: Vec): Vec => {
    const m = get(name), out: Vec = [];
    for (let o = 0; o < m.length / x.length; o++) {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += m[o * x.length + i] * x[i];
      out.push(s);
    }
    return out;
  };
  const rms = (x: Vec, name: string): Vec => {
    const wt = get(name);
    const r = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length + config.rmsNormEps);
    return x.map((v, i) => (v / r) * (gemma ? 1 + wt[i] : wt[i]));
  };
  const split = (v: Vec, n: number): Vec[] => Array.from({ length: n }, (_, i) => v.slice(i * hd, (i + 1) * hd));
  const L = 'model.layers.0.';
  // RoPE, head_dim 4, theta 100: inv_freq = [100^0, 100^-0.5] = [1, 0.1]; rotate_half pairs (0,2) and (1,3)
  const rope = ([a, b, c, d]: Vec, pos: number): Vec => {
    const t0 = pos * 1, t1 = pos * 0.1;
    return [
      a * Math.cos(t0) - c * Math.sin(t0),
      b * Math.cos(t1) - d * Math.sin(t1),
      c * Math.cos(t0) + a * Math.sin(t0),
      d * Math.cos(t1) + b * Math.sin(t1),
    ];
  };
  const scale = gemma ? 1 / Math.sqrt(config.queryPreAttnScalar!) : 1 / Math.sqrt(hd);
  const embScale = gemma ? Math.sqrt(H) : 1; // sqrt(4) = 2 exactly

  const hs: Vec[] = ids.map((id) => get('model.embed_tokens.weight').slice(id * H, id * H + H).map((v) => v * embScale));
  const qs: Vec[][] = [], ks: Vec[][] = [], vs: Vec[][] = []; // [position][head][d]
  for (const h of hs) {
    const x = rms(h, L + 'input_layernorm.weight');
    let qh = split(matvec(L + 'self_attn.q_proj.weight', x), nH);
    let kh = split(matvec(L + 'self_attn.k_proj.weight', x), nKv);
    if (config.arch !== 'llama') {
      qh = qh.map((v) => rms(v, L + 'self_attn.q_norm.weight'));
      kh = kh.map((v) => rms(v, L + 'self_attn.k_norm.weight'));
    }
    const t = qs.length;
    qs.push(qh.map((v) => rope(v, t)));
    ks.push(kh.map((v) => rope(v, t)));
    vs.push(split(matvec(L + 'self_attn.v_proj.weight', x), nKv));
  }
  // attention for the one query position; repeat_kv: query heads 0,1 use kv head 0, heads 2,3 kv head 1
  const P = position;
  const kvOf = [0, 0, 1, 1];
  const heads: Vec = [];
  for (let head = 0; head < nH; head++) {
    const kv = kvOf[head];
    const visible = ks.map((_, j) => j).filter((j) => j <= P && (config.layerTypes[0] !== 'sliding' || j > P - config.slidingWindow!));
    let scores = visible.map((j) => qs[P][head].reduce((s, q, d) => s + q * ks[j][kv][d], 0) * scale);
    if (config.attnLogitSoftcap) scores = scores.map((s) => Math.tanh(s / config.attnLogitSoftcap!) * config.attnLogitSoftcap!);
    const mx = Math.max(...scores);
    const e = scores.map((s) => Math.exp(s - mx));
    const z = e.reduce((a, b) => a + b, 0);
    const out = [0, 0, 0, 0];
    visible.forEach((j, n) => { for (let d = 0; d < hd; d++) out[d] += (e[n] / z) * vs[j][kv][d]; });
    heads.push(...out);
  }
  let o = matvec(L + 'self_attn.o_proj.weight', heads);
  if (gemma) o = rms(o, L + 'post_attention_layernorm.weight');
  let h = hs[P].map((v, i) => v + o[i]);
  const x2 = rms(h, L + (gemma ? 'pre_feedforward_layernorm.weight' : 'post_attention_layernorm.weight'));
  const act = gemma
    ? (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))
    : (v: number) => v / (1 + Math.exp(-v));
  const g = matvec(L + 'mlp.gate_proj.weight', x2);
  const u = matvec(L + 'mlp.up_proj.weight', x2);
  let m = matvec(L + 'mlp.down_proj.weight', g.map((v, i) => act(v) * u[i]));
  if (gemma) m = rms(m, L + 'post_feedforward_layernorm.weight');
  h = h.map((v, i) => v + m[i]);
  const f = rms(h, 'model.norm.weight');
  let logits = matvec(config.tieWordEmbeddings ? 'model.embed_tokens.weight' : config.lmHeadName, f);
  if (config.finalLogitSoftcap) logits = logits.map((s) => Math.tanh(s / config.finalLogitSoftcap!) * config.finalLogitSoftcap!);
  return logits;
}

const microShape: Partial<ModelConfig> = {
  vocabSize: 5, hiddenSize: 4, intermediateSize: 3, numLayers: 1, numHeads: 4, numKvHeads: 2, headDim: 4,
  layerTypes: ['full'], ropeScaling: null,
};

for (const [label, config] of [
  ['llama', tinyConfig('llama', { ...microShape, ropeTheta: 100 })],
  ['qwen3', tinyConfig('qwen3', { ...microShape, ropeTheta: 100 })],
  [
    'gemma3 (softcaps, sliding window 2)',
    tinyConfig('gemma3', {
      ...microShape, ropeTheta: 100, ropeLocalTheta: 100, layerTypes: ['sliding'], slidingWindow: 2,
      queryPreAttnScalar: 3, attnLogitSoftcap: 0.5, finalLogitSoftcap: 2,
    }),
  ],
] as const) {
  test(`1-layer micro ${label} matches independent hand computation`, () => {
    const w = randomWeights(config, 11);
    const ids = [4, 1, 3, 1, 0, 2, 2];
    const logits = referenceLogits(config, w, ids);
    assert.equal(logits.length, ids.length * 5);
    for (let p = 0; p < ids.length; p++) {
      const expected = microLogits(config, w, ids, p);
      const d = maxAbsDiff(rowOf(logits, 5, p), expected);
      assert.ok(d < 1e-5, `position ${p}: max diff ${d}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// 3. LoRA: the runtime branch equals merging scale * (a b)^T into W (stacked adapters add up)

function randomLora(config: ModelConfig, seed: number, entries: [number, ModuleName, number, number][]): LoraStack {
  const normal = seededNormal(seed);
  return entries.map(([layer, module, rank, scale]) => {
    const [inDim, outDim] = moduleShape(config, module);
    const a = Float32Array.from({ length: inDim * rank }, () => normal() * 0.5);
    const b = Float32Array.from({ length: rank * outDim }, () => normal() * 0.5);
    return { layer, module, a, b, rank, scale };
  });
}

function mergeLora(config: ModelConfig, w: MapWeights, lora: LoraStack): MapWeights {
  const merged = cloneWeights(w);
  for (const e of lora) {
    const [inDim, outDim] = moduleShape(config, e.module);
    const W = merged.get(`${config.weightPrefix}layers.${e.layer}.${HF_MODULE_PATH[e.module]}.weight`).data; // [out, in]
    for (let o = 0; o < outDim; o++) {
      for (let i = 0; i < inDim; i++) {
        let s = 0;
        for (let j = 0; j < e.rank; j++) s += e.a[i * e.rank + j] * e.b[j * outDim + o];
        W[o * inDim + i] += e.scale * s;
      }
    }
  }
  return merged;
}

for (const arch of ['qwen3', 'llama', 'gemma3'] as const) {
  test(`${arch}: LoRA branch equals merged weights, stacked adapters add`, () => {
    const config = tinyConfig(arch);
    const w = randomWeights(config, 3);
    const ids = [5, 9, 2, 33, 17, 40];
    // every module of layer 0 at rank 1 (scale 1/1), plus a rank-3 "DIT adapter" on several modules of
    // both layers (scale 1/3), two of them on the same module as the first adapter
    const lora = [
      ...randomLora(config, 21, MODULES.map((m) => [0, m, 1, 1] as [number, ModuleName, number, number])),
      ...randomLora(config, 22, [[0, 'q', 3, 1 / 3], [0, 'down', 3, 1 / 3], [1, 'v', 3, 1 / 3], [1, 'o', 3, 1 / 3], [1, 'up', 3, 1 / 3]]),
    ];
    const runtime = referenceLogits(config, w, ids, lora);
    const merged = referenceLogits(config, mergeLora(config, w, lora), ids);
    const base = referenceLogits(config, w, ids);
    assert.ok(maxAbsDiff(runtime, base) > 0.05, 'the adapters should change the logits');
    const d = maxAbsDiff(runtime, merged);
    assert.ok(d < 1e-4, `runtime vs merged: ${d}`);
    // an empty stack and a zero-scale entry are no-ops
    assert.equal(maxAbsDiff(referenceLogits(config, w, ids, []), base), 0);
    const zero = randomLora(config, 23, [[1, 'gate', 2, 0]]);
    assert.equal(maxAbsDiff(referenceLogits(config, w, ids, zero), base), 0);
  });
}

test('LoRA with wrong shapes is rejected', () => {
  const config = tinyConfig('qwen3');
  const w = randomWeights(config, 3);
  const [e] = randomLora(config, 1, [[0, 'o', 2, 1]]);
  assert.throws(() => referenceLogits(config, w, [1, 2], [{ ...e, module: 'q' }]), /LoRA 0\.q/);
  assert.throws(() => referenceLogits(config, w, [1, 2], [{ ...e, layer: 2 }]), /out of range/);
});

// ---------------------------------------------------------------------------------------------
// 4. Causality: appending tokens never changes the logits of earlier positions

for (const arch of ['qwen3', 'llama', 'gemma3'] as const) {
  test(`${arch}: prefix logits do not change when tokens are appended`, () => {
    const config = tinyConfig(arch);
    const w = randomWeights(config, 5);
    const lora = randomLora(config, 6, [[0, 'k', 2, 0.5], [1, 'down', 2, 0.5]]);
    const prefix = [3, 14, 15, 9, 26];
    const full = [...prefix, 53, 58, 9, 7];
    const a = referenceLogits(config, w, prefix, lora);
    const b = referenceLogits(config, w, full, lora);
    assert.equal(maxAbsDiff(a, b.subarray(0, a.length)), 0);
    // and the last position does depend on the first token (attention actually mixes positions)
    const c = referenceLogits(config, w, [4, ...full.slice(1)], lora);
    assert.ok(maxAbsDiff(rowOf(b, config.vocabSize, full.length - 1), rowOf(c, config.vocabSize, full.length - 1)) > 1e-3);
  });
}

// ---------------------------------------------------------------------------------------------
// 5. gemma3 sliding window: q - window < k <= q

test('attends(): exact window boundary', () => {
  const config = tinyConfig('gemma3', { slidingWindow: 3, layerTypes: ['sliding', 'full'] });
  assert.equal(attends(config, 0, 5, 5), true);
  assert.equal(attends(config, 0, 5, 3), true); // 5 - 3 < 3
  assert.equal(attends(config, 0, 5, 2), false); // 5 - 3 < 2 is false
  assert.equal(attends(config, 0, 5, 6), false);
  assert.equal(attends(config, 1, 5, 0), true);
});

test('gemma3: a token outside the window does not reach a sliding-only model, but does a full one', () => {
  const W = 3;
  const ids = [7, 20, 31, 42, 8, 19, 60, 11];
  const changed = [50, ...ids.slice(1)]; // only token 0 differs
  const V = 64;

  // one sliding layer: position p sees tokens p-2..p, so token 0 affects positions 0, 1, 2 only
  const one = tinyConfig('gemma3', { numLayers: 1, layerTypes: ['sliding'], slidingWindow: W });
  const w1 = randomWeights(one, 9);
  const a = referenceLogits(one, w1, ids);
  const b = referenceLogits(one, w1, changed);
  for (let p = 0; p < ids.length; p++) {
    const d = maxAbsDiff(rowOf(a, V, p), rowOf(b, V, p));
    if (p < W) assert.ok(d > 1e-4, `position ${p} should see token 0 (diff ${d})`);
    else assert.equal(d, 0, `position ${p} must not see token 0`);
  }
  // same weights, layer made 'full': every position sees token 0
  const fullCfg = { ...one, layerTypes: ['full' as const] };
  const fa = referenceLogits(fullCfg, w1, ids);
  const fb = referenceLogits(fullCfg, w1, changed);
  for (let p = 0; p < ids.length; p++) assert.ok(maxAbsDiff(rowOf(fa, V, p), rowOf(fb, V, p)) > 1e-4, `full: position ${p}`);

  // two sliding layers: the receptive field grows to 2 * (W - 1) = 4 tokens back
  const two = tinyConfig('gemma3', { numLayers: 2, layerTypes: ['sliding', 'sliding'], slidingWindow: W });
  const w2 = randomWeights(two, 10);
  const c = referenceLogits(two, w2, ids);
  const d = referenceLogits(two, w2, changed);
  for (let p = 0; p < ids.length; p++) {
    const diff = maxAbsDiff(rowOf(c, V, p), rowOf(d, V, p));
    if (p <= 2 * (W - 1)) assert.ok(diff > 1e-6, `two layers, position ${p} (diff ${diff})`);
    else assert.equal(diff, 0, `two layers, position ${p}`);
  }
});

// ---------------------------------------------------------------------------------------------
// 6. RoPE parameters

test('ropeInvFreq: default, linear and llama3 scaling', () => {
  const d = 8;
  const plain = tinyConfig('llama', { headDim: d, ropeTheta: 500000, ropeScaling: null });
  const inv = ropeInvFreq(plain, 0);
  assert.equal(inv.length, 4);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(inv[i] - 500000 ** (-(2 * i) / d)) < 1e-7 * inv[i]);

  const linear = ropeInvFreq({ ...plain, ropeScaling: { type: 'linear', factor: 4 } }, 0);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(linear[i] - inv[i] / 4) < 1e-7 * inv[i]);

  // llama3 (factor 8, low 1, high 4, original 8192): wavelengths 2pi/inv are ~6.3, ~167, ~4443, ~118000;
  // high-freq wavelength limit 8192/4 = 2048, low-freq limit 8192/1 = 8192
  const l3 = ropeInvFreq(tinyConfig('llama', { headDim: d }), 0);
  assert.equal(l3[0], inv[0]); // short wavelengths: unchanged
  assert.equal(l3[1], inv[1]);
  const wavelen = (2 * Math.PI) / inv[2];
  const smooth = (8192 / wavelen - 1) / (4 - 1);
  assert.ok(Math.abs(l3[2] - ((1 - smooth) * inv[2]) / 8 - smooth * inv[2]) < 1e-7 * inv[2]); // smoothed
  assert.ok(Math.abs(l3[3] - inv[3] / 8) < 1e-7 * inv[3]); // long wavelengths: divided by factor
});

test('gemma3: sliding layers use ropeLocalTheta unscaled, full layers ropeTheta with scaling', () => {
  const ids = [1, 5, 9, 13, 17, 21];
  const sliding = tinyConfig('gemma3', { layerTypes: ['sliding', 'sliding'], slidingWindow: 64 });
  const w = randomWeights(sliding, 4);
  const base = referenceLogits(sliding, w, ids);
  // global parameters do not matter when every layer is sliding
  assert.equal(maxAbsDiff(base, referenceLogits({ ...sliding, ropeTheta: 77, ropeScaling: { type: 'linear', factor: 2 } }, w, ids)), 0);
  assert.ok(maxAbsDiff(base, referenceLogits({ ...sliding, ropeLocalTheta: 77 }, w, ids)) > 1e-3);

  const full = { ...sliding, layerTypes: ['full' as const, 'full' as const] };
  const fbase = referenceLogits(full, w, ids);
  assert.equal(maxAbsDiff(fbase, referenceLogits({ ...full, ropeLocalTheta: 77 }, w, ids)), 0);
  assert.ok(maxAbsDiff(fbase, referenceLogits({ ...full, ropeScaling: { type: 'linear', factor: 2 } }, w, ids)) > 1e-3);
});

// ---------------------------------------------------------------------------------------------
// 7. Greedy generation and weight bookkeeping

test('referenceGreedy equals step-by-step argmax of referenceLogits', () => {
  const config = tinyConfig('qwen3');
  const w = randomWeights(config, 8);
  const lora = randomLora(config, 9, [[1, 'up', 1, 1]]);
  const prompt = [2, 3, 5, 7];
  const steps = 6;
  const expected: number[] = [];
  const ids = [...prompt];
  for (let s = 0; s < steps; s++) {
    const logits = referenceLogits(config, w, ids, lora);
    const next = argmax(rowOf(logits, config.vocabSize, ids.length - 1));
    expected.push(next);
    ids.push(next);
  }
  assert.deepEqual(referenceGreedy(config, w, prompt, steps, [], lora), expected);
  // stopping on the third generated token includes it and ends there
  assert.deepEqual(referenceGreedy(config, w, prompt, steps, [expected[2]], lora), expected.slice(0, expected.indexOf(expected[2]) + 1));
});

test('random weights cover exactly the tensors the reference reads, with checked shapes', () => {
  for (const arch of ['qwen3', 'llama', 'gemma3'] as const) {
    const config = tinyConfig(arch, { attentionBias: arch === 'llama' });
    const w = randomWeights(config, 1);
    const read = new Set<string>();
    referenceLogits(config, { get: (n) => (read.add(n), w.get(n)) }, [1, 2, 3]);
    assert.deepEqual([...read].sort(), [...requiredWeightShapes(config).keys()].sort(), arch);
  }
  const config = tinyConfig('llama');
  const w = cloneWeights(randomWeights(config, 1));
  const name = 'model.layers.0.self_attn.k_proj.weight'; // [16, 32]: not square
  const t = w.tensors.get(name)!;
  w.tensors.set(name, { shape: [t.shape[1], t.shape[0]], data: t.data }); // transposed by mistake
  assert.throws(() => referenceLogits(config, w, [1]), /k_proj\.weight has shape/);
});
