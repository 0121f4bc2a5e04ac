import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpDir as makeTmpDir } from '../helpers/tmp.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseModelConfig, readModelConfig, resolveWeightPrefix } from '../../src/main/engine/hf/config.ts';
import { writeSafetensors } from '../../src/main/engine/hf/safetensors.ts';

const tmpDir = () => makeTmpDir('config');

// config.json of the released models, as published on the Hugging Face Hub.
const QWEN3_0_6B = {
  architectures: ['Qwen3ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  head_dim: 128,
  hidden_act: 'silu',
  hidden_size: 1024,
  initializer_range: 0.02,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  max_window_layers: 28,
  model_type: 'qwen3',
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.51.0',
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

const QWEN3_8B = {
  ...QWEN3_0_6B,
  hidden_size: 4096,
  intermediate_size: 12288,
  max_window_layers: 36,
  num_attention_heads: 32,
  num_hidden_layers: 36,
  num_key_value_heads: 8,
  tie_word_embeddings: false,
};

const LLAMA_3_2_1B = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 128000,
  eos_token_id: 128001,
  head_dim: 64,
  hidden_act: 'silu',
  hidden_size: 2048,
  initializer_range: 0.02,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.45.0.dev0',
  use_cache: true,
  vocab_size: 128256,
};

const GEMMA_3_1B_IT = {
  architectures: ['Gemma3ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  attn_logit_softcapping: null,
  bos_token_id: 2,
  cache_implementation: 'hybrid',
  eos_token_id: [1, 106],
  final_logit_softcapping: null,
  head_dim: 256,
  hidden_activation: 'gelu_pytorch_tanh',
  hidden_size: 1152,
  initializer_range: 0.02,
  intermediate_size: 6912,
  max_position_embeddings: 32768,
  model_type: 'gemma3_text',
  num_attention_heads: 4,
  num_hidden_layers: 26,
  num_key_value_heads: 1,
  pad_token_id: 0,
  query_pre_attn_scalar: 256,
  rms_norm_eps: 1e-6,
  rope_local_base_freq: 10000,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: 512,
  sliding_window_pattern: 6,
  torch_dtype: 'bfloat16',
  transformers_version: '4.50.0.dev0',
  use_cache: true,
  vocab_size: 262144,
};

// gemma-3-4b-it names only a few text fields: the rest are Gemma3TextConfig defaults.
const GEMMA_3_4B_IT = {
  architectures: ['Gemma3ForConditionalGeneration'],
  boi_token_index: 255999,
  eoi_token_index: 256000,
  eos_token_id: [1, 106],
  image_token_index: 262144,
  initializer_range: 0.02,
  mm_tokens_per_image: 256,
  model_type: 'gemma3',
  text_config: {
    hidden_size: 2560,
    intermediate_size: 10240,
    model_type: 'gemma3_text',
    num_hidden_layers: 34,
    rope_scaling: { factor: 8.0, rope_type: 'linear' },
    sliding_window: 1024,
  },
  torch_dtype: 'bfloat16',
  transformers_version: '4.50.0.dev0',
  vision_config: {
    hidden_size: 1152,
    image_size: 896,
    intermediate_size: 4304,
    model_type: 'siglip_vision_model',
    num_attention_heads: 16,
    num_hidden_layers: 27,
    patch_size: 14,
    vision_use_head: false,
  },
};

const every = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));

test('Qwen3-0.6B', () => {
  assert.deepEqual(parseModelConfig(QWEN3_0_6B), {
    arch: 'qwen3',
    hfArchitecture: 'Qwen3ForCausalLM',
    vocabSize: 151936,
    hiddenSize: 1024,
    intermediateSize: 3072,
    numLayers: 28,
    numHeads: 16,
    numKvHeads: 8,
    headDim: 128, // explicit: 16 * 128 != 1024
    rmsNormEps: 1e-6,
    maxPositionEmbeddings: 40960,
    ropeTheta: 1e6,
    ropeScaling: null,
    ropeLocalTheta: null,
    slidingWindow: null,
    layerTypes: every(28, () => 'full'),
    tieWordEmbeddings: true,
    hiddenAct: 'silu',
    attentionBias: false,
    queryPreAttnScalar: null,
    attnLogitSoftcap: null,
    finalLogitSoftcap: null,
    weightPrefix: 'model.',
    lmHeadName: 'lm_head.weight',
    bosTokenId: 151643,
    eosTokenIds: [151645],
    torchDtype: 'bfloat16',
  });
});

test('Qwen3-8B: untied, 36 layers; a sliding window only counts with use_sliding_window', () => {
  const c = parseModelConfig(QWEN3_8B);
  assert.equal(c.tieWordEmbeddings, false);
  assert.equal(c.numLayers, 36);
  assert.equal(c.numHeads / c.numKvHeads, 4);
  assert.equal(c.slidingWindow, null);
  assert.ok(c.layerTypes.every((t) => t === 'full'));
  assert.equal(parseModelConfig({ ...QWEN3_8B, sliding_window: 4096 }).slidingWindow, null);

  const windowed = parseModelConfig({ ...QWEN3_8B, use_sliding_window: true, sliding_window: 4096, max_window_layers: 30 });
  assert.equal(windowed.slidingWindow, 4096);
  assert.deepEqual(windowed.layerTypes, every(36, (i) => (i >= 30 ? 'sliding' : 'full')));
  // transformers 4.56+ write layer_types; a missing head_dim falls back to Qwen3Config's 128.
  const { head_dim: _, ...noHeadDim } = QWEN3_8B;
  assert.equal(parseModelConfig(noHeadDim).headDim, 128);
  const listed = parseModelConfig({ ...QWEN3_0_6B, layer_types: every(28, () => 'full_attention') });
  assert.ok(listed.layerTypes.every((t) => t === 'full'));
});

test('Llama-3.2-1B: llama3 rope scaling, tied, eos as a number', () => {
  const c = parseModelConfig(LLAMA_3_2_1B);
  assert.equal(c.arch, 'llama');
  assert.equal(c.headDim, 64);
  assert.equal(c.rmsNormEps, 1e-5);
  assert.equal(c.ropeTheta, 500000);
  assert.deepEqual(c.ropeScaling, { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
  assert.equal(c.tieWordEmbeddings, true);
  assert.equal(c.slidingWindow, null);
  assert.equal(c.layerTypes.length, 16);
  assert.deepEqual(c.eosTokenIds, [128001]);
  assert.equal(c.bosTokenId, 128000);

  // Llama 3.1-style: eos list, older "type" key, head_dim derived from hidden / heads.
  const { head_dim: _, ...noHeadDim } = LLAMA_3_2_1B;
  const older = parseModelConfig({ ...noHeadDim, eos_token_id: [128001, 128008, 128009], rope_scaling: { type: 'linear', factor: 2 } });
  assert.equal(older.headDim, 2048 / 32);
  assert.deepEqual(older.eosTokenIds, [128001, 128008, 128009]);
  assert.deepEqual(older.ropeScaling, { type: 'linear', factor: 2 });
  assert.equal(parseModelConfig({ ...LLAMA_3_2_1B, rope_scaling: null }).ropeScaling, null);
  // transformers 5 moves rope_theta and rope_scaling into rope_parameters.
  const { rope_scaling: _r, rope_theta: _t, ...v4 } = LLAMA_3_2_1B;
  const v5 = parseModelConfig({ ...v4, rope_parameters: { ...LLAMA_3_2_1B.rope_scaling, rope_theta: 500000 } });
  assert.equal(v5.ropeTheta, 500000);
  assert.deepEqual(v5.ropeScaling, c.ropeScaling);
});

test('gemma-3-1b-it: five sliding layers then one global, two RoPE bases, gelu tanh', () => {
  const c = parseModelConfig(GEMMA_3_1B_IT);
  assert.equal(c.arch, 'gemma3');
  assert.equal(c.vocabSize, 262144);
  assert.equal(c.numHeads, 4);
  assert.equal(c.numKvHeads, 1);
  assert.equal(c.headDim, 256);
  assert.equal(c.hiddenAct, 'gelu_tanh');
  assert.equal(c.ropeTheta, 1e6);
  assert.equal(c.ropeLocalTheta, 10000);
  assert.equal(c.ropeScaling, null);
  assert.equal(c.slidingWindow, 512);
  assert.equal(c.queryPreAttnScalar, 256);
  assert.equal(c.tieWordEmbeddings, true); // not in the file: Gemma3TextConfig's default
  assert.deepEqual(c.eosTokenIds, [1, 106]);
  assert.equal(c.weightPrefix, 'model.');
  const full = c.layerTypes.flatMap((t, i) => (t === 'full' ? [i] : []));
  assert.deepEqual(full, [5, 11, 17, 23]);
  assert.equal(c.attnLogitSoftcap, null);
  assert.equal(c.finalLogitSoftcap, null);

  const listed = parseModelConfig({ ...GEMMA_3_1B_IT, layer_types: every(26, (i) => (i % 2 ? 'full_attention' : 'sliding_attention')) });
  assert.deepEqual(listed.layerTypes, every(26, (i) => (i % 2 ? 'full' : 'sliding')));
});

test('gemma-3-4b-it: nested text_config filled with Gemma3TextConfig defaults', () => {
  const c = parseModelConfig(GEMMA_3_4B_IT);
  assert.equal(c.arch, 'gemma3');
  assert.equal(c.hfArchitecture, 'Gemma3ForConditionalGeneration');
  assert.equal(c.vocabSize, 262208);
  assert.equal(c.hiddenSize, 2560);
  assert.equal(c.intermediateSize, 10240);
  assert.equal(c.numLayers, 34);
  assert.equal(c.numHeads, 8);
  assert.equal(c.numKvHeads, 4);
  assert.equal(c.headDim, 256);
  assert.equal(c.hiddenAct, 'gelu_tanh');
  assert.equal(c.rmsNormEps, 1e-6);
  assert.equal(c.maxPositionEmbeddings, 131072);
  assert.equal(c.ropeTheta, 1e6);
  assert.equal(c.ropeLocalTheta, 10000);
  assert.deepEqual(c.ropeScaling, { type: 'linear', factor: 8 });
  assert.equal(c.slidingWindow, 1024);
  assert.equal(c.queryPreAttnScalar, 256);
  assert.equal(c.tieWordEmbeddings, true);
  assert.deepEqual(c.eosTokenIds, [1, 106]); // from the root, not text_config's default 1
  assert.equal(c.bosTokenId, 2);
  assert.equal(c.torchDtype, 'bfloat16');
  assert.equal(c.weightPrefix, 'language_model.model.');
  assert.equal(c.lmHeadName, 'language_model.lm_head.weight');
  const full = c.layerTypes.flatMap((t, i) => (t === 'full' ? [i] : []));
  assert.deepEqual(full, [5, 11, 17, 23, 29]);
  assert.equal(c.layerTypes.filter((t) => t === 'sliding').length, 29);

  // transformers 5 form: rope_parameters per layer kind.
  const { rope_scaling: _, ...text } = GEMMA_3_4B_IT.text_config;
  const v5 = parseModelConfig({
    ...GEMMA_3_4B_IT,
    text_config: {
      ...text,
      rope_parameters: {
        full_attention: { rope_type: 'linear', factor: 8.0, rope_theta: 1000000.0 },
        sliding_attention: { rope_type: 'default', rope_theta: 10000.0 },
      },
    },
  });
  assert.deepEqual(v5.ropeScaling, { type: 'linear', factor: 8 });
  assert.equal(v5.ropeTheta, 1e6);
  assert.equal(v5.ropeLocalTheta, 10000);
});

test('resolveWeightPrefix follows the tensor names of the checkpoint', () => {
  const c = parseModelConfig(GEMMA_3_4B_IT);
  const older = resolveWeightPrefix(c, ['language_model.model.embed_tokens.weight', 'vision_tower.vision_model.embeddings.patch_embedding.weight']);
  assert.equal(older.weightPrefix, 'language_model.model.');
  assert.equal(older.lmHeadName, 'language_model.lm_head.weight');
  const newer = resolveWeightPrefix(c, ['model.language_model.embed_tokens.weight', 'model.vision_tower.vision_model.post_layernorm.weight']);
  assert.equal(newer.weightPrefix, 'model.language_model.');
  assert.equal(newer.lmHeadName, 'lm_head.weight');
  assert.throws(() => resolveWeightPrefix(c, ['embed.weight'], 'gemma-4b'), /gemma-4b: no token embedding tensor \(looked for model\.embed_tokens\.weight, /);
  const untied = parseModelConfig(QWEN3_8B);
  assert.throws(() => resolveWeightPrefix(untied, ['model.embed_tokens.weight'], 'qwen'), /qwen: tie_word_embeddings is false but tensor "lm_head\.weight" is missing$/);
  assert.equal(resolveWeightPrefix(untied, ['model.embed_tokens.weight', 'lm_head.weight']).lmHeadName, 'lm_head.weight');
});

test('readModelConfig reads the folder and resolves the prefix from its safetensors', () => {
  const dir = tmpDir();
  writeFileSync(join(dir, 'config.json'), JSON.stringify(GEMMA_3_4B_IT));
  assert.equal(readModelConfig(dir).weightPrefix, 'language_model.model.'); // no weights yet: the default
  writeSafetensors(join(dir, 'model.safetensors'), [{ name: 'model.language_model.embed_tokens.weight', dtype: 'BF16', shape: [1], data: new Float32Array(1) }]);
  const c = readModelConfig(dir);
  assert.equal(c.weightPrefix, 'model.language_model.');
  assert.equal(c.lmHeadName, 'lm_head.weight');

  const bad = tmpDir();
  writeFileSync(join(bad, 'config.json'), '{"architectures": ["Qwen3ForCausalLM"],');
  assert.throws(() => readModelConfig(bad), new RegExp(`${join(bad, 'config.json').replace(/\./g, '\\.')}: not valid JSON`));
  assert.throws(() => readModelConfig(tmpDir()), /config\.json is missing/);
});

test('errors name the file and the field, on one line', () => {
  const cases: [unknown, string][] = [
    [
      { ...LLAMA_3_2_1B, architectures: ['MistralForCausalLM'] },
      'config.json: architectures[0] "MistralForCausalLM" is not supported (supported: Qwen3ForCausalLM, LlamaForCausalLM, Gemma3ForCausalLM, Gemma3ForConditionalGeneration)',
    ],
    [{ ...QWEN3_0_6B, num_attention_heads: undefined }, 'config.json: field "num_attention_heads" is missing'],
    [{ ...QWEN3_0_6B, num_attention_heads: 0 }, 'config.json: field "num_attention_heads" must be a positive integer (got 0)'],
    [{ ...QWEN3_0_6B, hidden_size: '1024' }, 'config.json: field "hidden_size" must be a positive integer (got "1024")'],
    [{ ...QWEN3_0_6B, num_key_value_heads: 3 }, 'config.json: field "num_key_value_heads" (3) must divide num_attention_heads (16)'],
    [{ ...QWEN3_0_6B, architectures: undefined }, 'config.json: field "architectures" is missing'],
    [{ ...QWEN3_0_6B, hidden_act: 'gelu' }, 'config.json: field "hidden_act" is "gelu", which is not supported (supported: silu, gelu_pytorch_tanh, gelu_tanh)'],
    [{ ...QWEN3_0_6B, eos_token_id: ['x'] }, 'config.json: field "eos_token_id" must be a token id or a list of them (got ["x"])'],
    [{ ...LLAMA_3_2_1B, mlp_bias: true }, 'config.json: field "mlp_bias" is true: MLP biases are not supported'],
    [
      { ...LLAMA_3_2_1B, rope_scaling: { rope_type: 'yarn', factor: 4 } },
      'config.json: field "rope_scaling.rope_type" is "yarn", which is not supported (supported: default, linear, llama3)',
    ],
    [{ ...LLAMA_3_2_1B, rope_scaling: { rope_type: 'llama3', factor: 32 } }, 'config.json: field "rope_scaling.low_freq_factor" is missing'],
    [
      { ...GEMMA_3_4B_IT, text_config: { ...GEMMA_3_4B_IT.text_config, num_attention_heads: -8 } },
      'config.json: field "text_config.num_attention_heads" must be a positive integer (got -8)',
    ],
    [
      { ...GEMMA_3_1B_IT, layer_types: ['sliding_attention'] },
      'config.json: field "layer_types" must list 26 layers (num_hidden_layers), got 1',
    ],
    [
      { ...GEMMA_3_1B_IT, layer_types: every(26, () => 'chunked_attention') },
      'config.json: field "layer_types[0]" is "chunked_attention", which is not supported (supported: full_attention, sliding_attention)',
    ],
    [{ ...GEMMA_3_1B_IT, sliding_window_pattern: 0 }, 'config.json: field "sliding_window_pattern" must be a positive integer (got 0)'],
    [[1, 2], 'config.json: expected a JSON object'],
  ];
  for (const [json, message] of cases) {
    assert.throws(() => parseModelConfig(JSON.parse(JSON.stringify(json))), (e: Error) => {
      assert.equal(e.message, message);
      return true;
    });
  }
  assert.throws(() => parseModelConfig({ ...QWEN3_0_6B, hidden_size: 0 }, 'models/q/config.json'), /models\/q\/config\.json: field "hidden_size"/);
});
