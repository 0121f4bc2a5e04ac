import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeModel } from '../../src/main/engine/dev/make-model.ts';
import { parseModelConfig, readModelConfig, type ArchKey } from '../../src/main/engine/hf/config.ts';
import { SafetensorsCheckpoint } from '../../src/main/engine/hf/safetensors.ts';
import { loadTokenizer, readGenerationConfig } from '../../src/main/engine/hf/tokenizer.ts';

mkdirSync('test/.tmp', { recursive: true });
const root = mkdtempSync(join('test/.tmp', 'make-model-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

function stats(values: Float32Array) {
  let sum = 0;
  let sq = 0;
  for (const v of values) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(sq / values.length - mean * mean) };
}

const expected: Record<ArchKey, { architecture: string; vocab: number; tied: boolean; qkNorm: boolean; sandwich: boolean; normMean: number }> = {
  qwen3: { architecture: 'Qwen3ForCausalLM', vocab: 151936, tied: true, qkNorm: true, sandwich: false, normMean: 1 },
  llama: { architecture: 'LlamaForCausalLM', vocab: 128256, tied: false, qkNorm: false, sandwich: false, normMean: 1 },
  gemma3: { architecture: 'Gemma3ForCausalLM', vocab: 262144, tied: true, qkNorm: true, sandwich: true, normMean: 0 },
};

for (const arch of ['qwen3', 'llama', 'gemma3'] as const) {
  test(`tiny ${arch}: a checkpoint folder the importer reads like the real family's`, () => {
    const want = expected[arch];
    const out = join(root, arch);
    const progress: [number, number][] = [];
    const made = makeModel({ arch, preset: 'tiny', out, seed: 7, onProgress: (done, total) => progress.push([done, total]) });

    // config.json parses back to what makeModel reports, with the family's own fields.
    const json = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.deepEqual(json.architectures, [want.architecture]);
    const config = parseModelConfig(json);
    assert.deepEqual(readModelConfig(out), config);
    assert.deepEqual(made.config, config);
    assert.equal(config.arch, arch);
    assert.equal(config.vocabSize, want.vocab);
    assert.equal(config.tieWordEmbeddings, want.tied);
    assert.deepEqual([config.hiddenSize, config.numHeads, config.numKvHeads, config.headDim, config.intermediateSize, config.numLayers], [64, 4, 2, 16, 128, 3]);
    if (arch === 'gemma3') {
      assert.equal(json.model_type, 'gemma3_text');
      assert.deepEqual(config.layerTypes, ['sliding', 'sliding', 'full']);
      assert.equal(config.slidingWindow, 8);
      assert.equal(config.ropeLocalTheta, 10000);
      assert.equal(config.ropeTheta, 1e6);
      assert.equal(config.queryPreAttnScalar, 16);
    }
    if (arch === 'llama') assert.equal(config.ropeScaling?.type, 'llama3');

    // Tensors: real names, [out, in], BF16, nothing missing or extra.
    const ck = SafetensorsCheckpoint.open(out);
    const shapes = new Map<string, number[]>([['model.embed_tokens.weight', [want.vocab, 64]], ['model.norm.weight', [64]]]);
    if (!want.tied) shapes.set('lm_head.weight', [want.vocab, 64]);
    for (let i = 0; i < 3; i++) {
      const p = `model.layers.${i}.`;
      shapes.set(`${p}input_layernorm.weight`, [64]);
      shapes.set(`${p}post_attention_layernorm.weight`, [64]);
      shapes.set(`${p}self_attn.q_proj.weight`, [4 * 16, 64]);
      shapes.set(`${p}self_attn.k_proj.weight`, [2 * 16, 64]);
      shapes.set(`${p}self_attn.v_proj.weight`, [2 * 16, 64]);
      shapes.set(`${p}self_attn.o_proj.weight`, [64, 4 * 16]);
      shapes.set(`${p}mlp.gate_proj.weight`, [128, 64]);
      shapes.set(`${p}mlp.up_proj.weight`, [128, 64]);
      shapes.set(`${p}mlp.down_proj.weight`, [64, 128]);
      if (want.qkNorm) {
        shapes.set(`${p}self_attn.q_norm.weight`, [16]);
        shapes.set(`${p}self_attn.k_norm.weight`, [16]);
      }
      if (want.sandwich) {
        shapes.set(`${p}pre_feedforward_layernorm.weight`, [64]);
        shapes.set(`${p}post_feedforward_layernorm.weight`, [64]);
      }
    }
    assert.deepEqual(ck.names().sort(), [...shapes.keys()].sort());
    for (const [name, shape] of shapes) {
      const info = ck.info(name);
      assert.equal(info.dtype, 'BF16', name);
      assert.deepEqual(info.shape, shape, name);
    }
    assert.equal(made.tensors, shapes.size);
    assert.deepEqual(progress.at(-1), [made.bytes, made.bytes]);
    assert.equal(progress.length, shapes.size);
    assert.deepEqual(ck.metadata, { format: 'pt' });

    // Weights: finite, centred, norms around 1 (around 0 where Gemma stores the offset from 1).
    const embed = stats(ck.readF32('model.embed_tokens.weight'));
    assert.ok(Math.abs(embed.mean) < 0.01 && embed.std > 0.1 && embed.std < 1, `embedding ${JSON.stringify(embed)}`);
    const norm = stats(ck.readF32('model.layers.1.input_layernorm.weight'));
    assert.ok(Math.abs(norm.mean - want.normMean) < 0.05 && norm.std > 0, `norm ${JSON.stringify(norm)}`);
    const q = ck.readF32('model.layers.0.self_attn.q_proj.weight');
    assert.ok(q.every(Number.isFinite));
    ck.close();

    // The real tokenizer and generation config of the family come along.
    assert.ok(existsSync(join(out, 'tokenizer_config.json')));
    const tok = loadTokenizer(out);
    const ids = tok.encodeChat([{ role: 'user', content: 'Hello there' }]);
    assert.ok(ids.every((id) => id < config.vocabSize));
    assert.ok(readGenerationConfig(out).eosTokenIds.length > 0);
  });
}

test('same seed, same weights; another seed, other weights', () => {
  const a = makeModel({ arch: 'qwen3', preset: 'tiny', out: join(root, 'seed-a'), seed: 3 });
  const b = makeModel({ arch: 'qwen3', preset: 'tiny', out: join(root, 'seed-b'), seed: 3 });
  const c = makeModel({ arch: 'qwen3', preset: 'tiny', out: join(root, 'seed-c'), seed: 4 });
  const bytes = (dir: string) => readFileSync(join(dir, 'model.safetensors'));
  assert.ok(bytes(a.dir).equals(bytes(b.dir)));
  assert.ok(!bytes(a.dir).equals(bytes(c.dir)));
});

test('unknown preset is refused', () => {
  assert.throws(
    // @ts-expect-error: checking the runtime guard for callers outside TypeScript (the CLI)
    () => makeModel({ arch: 'qwen3', preset: 'huge', out: join(root, 'x') }),
    /make-model: unknown arch "qwen3" or preset "huge"/,
  );
});
