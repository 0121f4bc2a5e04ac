// config.json of a Hugging Face decoder checkpoint, normalised into one architecture-neutral shape.
// (Type declared first; each family parses its own fields, engine/families.)
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SafetensorsCheckpoint } from './safetensors.ts';
import { MAX_BYTES, readBoundedText, regularFile } from './bounded-read.ts';
import { Fields, isObject } from './config-fields.ts';
import { HF_ARCHITECTURES, type ArchKey } from '../families/index.ts';

export { ARCH_KEYS, type ArchKey } from '../families/index.ts';
export { CONFIG_LIMITS } from './config-fields.ts';

/** RoPE frequency scaling as found under `rope_scaling` (only the kinds the released models use). */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    };

export interface ModelConfig {
  arch: ArchKey; // family, resolved from config.architectures[0] / model_type
  hfArchitecture: string; // config.architectures[0] verbatim, as the family file names it
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number; // head_dim, or hidden_size / num_attention_heads when absent
  rmsNormEps: number;
  maxPositionEmbeddings: number;
  ropeTheta: number; // base of global (full-attention) layers
  ropeScaling: RopeScaling | null; // applies to global layers only
  ropeLocalTheta: number | null; // gemma3: rope_local_base_freq for sliding layers (no scaling)
  slidingWindow: number | null; // tokens a sliding layer sees (incl. itself); null: none
  layerTypes: ('full' | 'sliding')[]; // per layer; from layer_types or sliding_window_pattern
  tieWordEmbeddings: boolean;
  hiddenAct: 'silu' | 'gelu_tanh';
  attentionBias: boolean; // q/k/v/o carry biases (false for all three released families)
  queryPreAttnScalar: number | null; // gemma3: attention scale = this ** -0.5
  attnLogitSoftcap: number | null;
  finalLogitSoftcap: number | null;
  /** Prefix of decoder weights: "model." | "language_model.model." | "model.language_model." */
  weightPrefix: string;
  /** Name of the output projection when untied, e.g. "lm_head.weight" or "language_model.lm_head.weight". */
  lmHeadName: string;
  bosTokenId: number | null;
  eosTokenIds: number[]; // from config.json; generation_config.json may add more
  torchDtype: string | null; // as declared, informational
}

// ---------------------------------------------------------------------------------------------
// Parser: each family's own (engine/families), chosen by architectures[0].

export const SUPPORTED_ARCHITECTURES: readonly string[] = [...HF_ARCHITECTURES.keys()];

/** Normalises a parsed config.json. `file` names the source in error messages. */
export function parseModelConfig(json: unknown, file = 'config.json'): ModelConfig {
  if (!isObject(json)) throw new Error(`${file}: expected a JSON object`);
  const f = new Fields(json, file);
  const archs = json.architectures;
  if (archs === undefined || archs === null) throw f.error('architectures', 'is missing');
  if (!Array.isArray(archs) || typeof archs[0] !== 'string') throw f.error('architectures', 'must be a list of architecture names');
  const name = archs[0];
  const parse = HF_ARCHITECTURES.get(name)?.parsers[name];
  if (!parse) {
    throw new Error(`${file}: architectures[0] "${name}" is not supported (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`);
  }
  return parse(f, name);
}

/** Where a checkpoint keeps its decoder, by the name of its token embedding. */
const WEIGHT_PREFIXES: { prefix: string; lmHead: string }[] = [
  { prefix: 'model.', lmHead: 'lm_head.weight' }, // causal LMs
  { prefix: 'language_model.model.', lmHead: 'language_model.lm_head.weight' }, // gemma-3 multimodal, as released
  { prefix: 'model.language_model.', lmHead: 'lm_head.weight' }, // gemma-3 multimodal, saved by transformers >= 4.52
];

/**
 * Picks weightPrefix and lmHeadName from the tensor names a checkpoint actually has.
 * `where` names the checkpoint in errors.
 */
export function resolveWeightPrefix(config: ModelConfig, tensorNames: Iterable<string>, where = 'checkpoint'): ModelConfig {
  const names = tensorNames instanceof Set ? (tensorNames as Set<string>) : new Set(tensorNames);
  const found = WEIGHT_PREFIXES.find(({ prefix }) => names.has(`${prefix}embed_tokens.weight`));
  if (!found) {
    const looked = WEIGHT_PREFIXES.map(({ prefix }) => `${prefix}embed_tokens.weight`).join(', ');
    throw new Error(`${where}: no token embedding tensor (looked for ${looked})`);
  }
  if (!config.tieWordEmbeddings && !names.has(found.lmHead)) {
    throw new Error(`${where}: tie_word_embeddings is false but tensor "${found.lmHead}" is missing`);
  }
  checkLayerCount(config.numLayers, names, found.prefix, where);
  return { ...config, weightPrefix: found.prefix, lmHeadName: found.lmHead };
}

/**
 * The checkpoint's layers must be the config's: a tensor of layer N >= num_hidden_layers would be
 * dropped without a word (the model answers, wrongly). Indices are compared as numbers read from
 * the names, never used to size anything.
 */
export function checkLayerCount(numLayers: number, tensorNames: Iterable<string>, prefix: string, where = 'checkpoint'): void {
  const layerOf = new RegExp(`^${prefix.replace(/[.]/g, '\\.')}layers\\.(\\d+)\\.`);
  let highest = -1;
  let example = '';
  for (const name of tensorNames) {
    const m = layerOf.exec(name);
    if (m && Number(m[1]) > highest) [highest, example] = [Number(m[1]), name];
  }
  if (highest >= numLayers) {
    throw new Error(`${where}: tensor "${example}" is layer ${highest}, but config.json's num_hidden_layers is ${numLayers}: the checkpoint has more layers than its config (refusing to drop them)`);
  }
}

/** Reads and parses a small JSON file of a model folder (config, tokenizer, generation config): a regular file, bounded in size. */
export function readJsonFile(path: string, maxBytes: number = MAX_BYTES.config): unknown {
  const text = readBoundedText(path, maxBytes);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Reads DIR/config.json, and resolves weight names against the folder's safetensors when there are any. */
export function readModelConfig(dir: string): ModelConfig {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new Error(`${path} is missing: the model folder needs its config.json`);
  const config = parseModelConfig(readJsonFile(path, MAX_BYTES.config), path);
  if (!SafetensorsCheckpoint.exists(dir)) return config;
  // a FIFO or a device named *.safetensors would block or never end: plain files only
  for (const f of readdirSync(dir)) if (f.endsWith('.safetensors') || f.endsWith('.safetensors.index.json')) regularFile(join(dir, f));
  let checkpoint: SafetensorsCheckpoint;
  try {
    checkpoint = SafetensorsCheckpoint.open(dir);
  } catch (e) {
    const message = (e as Error).message;
    throw message.includes(dir) ? e : new Error(`${dir}: ${message}`); // the folder, not only the file's name
  }
  try {
    return resolveWeightPrefix(config, checkpoint.names(), dir);
  } finally {
    checkpoint.close();
  }
}
