import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeModel, presetConfig } from '../../src/main/engine/dev/make-model.ts';
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
    // progress after every chunk of every tensor, never backwards
    assert.ok(progress.length >= shapes.size, `${progress.length} progress calls for ${shapes.size} tensors`);
    assert.ok(progress.every(([d], i) => i === 0 || d > progress[i - 1][0]));
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

test("each released model's preset writes its config.json's shapes, layout and shard count", () => {
  const expect = {
    'qwen3-1.7b': { arch: 'qwen3', layers: 28, hidden: 2048, heads: 16, kv: 8, inter: 6144, vocab: 151936, tied: true, prefix: 'model.' },
    'qwen3-4b': { arch: 'qwen3', layers: 36, hidden: 2560, heads: 32, kv: 8, inter: 9728, vocab: 151936, tied: true, prefix: 'model.' },
    'qwen3-8b': { arch: 'qwen3', layers: 36, hidden: 4096, heads: 32, kv: 8, inter: 12288, vocab: 151936, tied: false, prefix: 'model.' },
    'gemma3-1b': { arch: 'gemma3', layers: 26, hidden: 1152, heads: 4, kv: 1, inter: 6912, vocab: 262144, tied: true, prefix: 'model.' },
    'gemma3-4b': { arch: 'gemma3', layers: 34, hidden: 2560, heads: 8, kv: 4, inter: 10240, vocab: 262208, tied: true, prefix: 'language_model.model.' },
  } as const;
  for (const [preset, want] of Object.entries(expect)) {
    const c = parseModelConfig(presetConfig(preset as keyof typeof expect), `${preset}/config.json`);
    const got = { arch: c.arch, layers: c.numLayers, hidden: c.hiddenSize, heads: c.numHeads, kv: c.numKvHeads, inter: c.intermediateSize, vocab: c.vocabSize, tied: c.tieWordEmbeddings, prefix: c.weightPrefix };
    assert.deepEqual(got, want, preset);
  }
  // gemma-3-4b-it is the multimodal release: its text model sits under text_config
  const g = presetConfig('gemma3-4b');
  assert.deepEqual(g.architectures, ['Gemma3ForConditionalGeneration']);
  assert.equal((g.text_config as Record<string, unknown>).sliding_window, 1024);
  assert.throws(() => makeModel({ arch: 'llama', preset: 'qwen3-4b', out: join(root, 'x') }), /preset qwen3-4b is a qwen3 model, not llama/);
});

test('a sharded checkpoint holds the same tensors as one file, with an index naming each shard', () => {
  const one = makeModel({ arch: 'qwen3', preset: 'tiny', out: join(root, 'one-file'), seed: 5 });
  const three = makeModel({ arch: 'qwen3', preset: 'tiny', out: join(root, 'three-shards'), seed: 5, shards: 3 });
  assert.equal(one.shards, 1);
  assert.equal(three.shards, 3);
  const index = JSON.parse(readFileSync(join(three.dir, 'model.safetensors.index.json'), 'utf8'));
  assert.equal(index.metadata.total_size, three.bytes);
  assert.deepEqual([...new Set(Object.values(index.weight_map))].sort(), ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
  assert.ok(!existsSync(join(three.dir, 'model.safetensors')));
  const a = SafetensorsCheckpoint.open(one.dir);
  const b = SafetensorsCheckpoint.open(three.dir);
  assert.deepEqual(b.names().sort(), a.names().sort());
  for (const name of a.names()) assert.ok(Buffer.from(a.readRaw(name)).equals(Buffer.from(b.readRaw(name))), name);
  a.close();
  b.close();
});

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
    () => makeModel({ arch: 'qwen3', preset: 'huge', out: join(root, 'x') }),
    /make-model: unknown preset "huge" \(tiny, 0\.6b, qwen3-1\.7b, qwen3-4b, qwen3-8b, gemma3-1b, gemma3-4b\)/,
  );
});
