// PEFT LoRA adapter folders: read one into a LowRank, write any adapter stack as one.
//
// The layout PEFT saves (peft/utils/save_and_load.py get_peft_model_state_dict drops the adapter
// name; peft/tuners/lora/layer.py LoraLayer.update_layer makes the shapes):
//   adapter_config.json          r, lora_alpha, use_rslora, rank_pattern, alpha_pattern, ...
//   adapter_model.safetensors    base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight [r, in]
//                                base_model.model.model.layers.N.self_attn.q_proj.lora_B.weight [out, r]
//   delta(x) = scaling · x Aᵀ Bᵀ,  scaling = lora_alpha / r  (lora_alpha / sqrt(r) with use_rslora)
// so a = lora_Aᵀ [in, r] and b = lora_Bᵀ [r, out]. rank_pattern / alpha_pattern override r and
// lora_alpha per module; a key k applies to module name n when n matches `(.*\.)?(k)$`
// (peft/utils/other.py get_pattern_key), matched in bounded time (module-pattern.ts).
import { familyFromName } from './family.ts';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { readJsonFile } from '../hf/config.ts';
import { MAX_BYTES, regularFile } from '../hf/bounded-read.ts';
import { SafetensorsFile, writeSafetensors, type FloatDtype, type TensorToWrite } from '../hf/safetensors.ts';
import { HF_MODULE_PATH, MODULES, type ModuleName } from '../modules.ts';
import { selects } from './selection.ts';
import { moduleKey, parseModuleKey, type LowRank, type LowRankModule, type LoadedStackEntry } from './lowrank.ts';
import { parseModulePath } from './module-names.ts';
import { compileModulePattern, MATCH_BUDGET, type Budget, type ModulePattern } from './module-pattern.ts';
import { assertFinite } from '../hf/finite.ts';
import { transpose } from '../matrix.ts';

export const PEFT_FORMAT = 'peft';
const CONFIG_FILE = 'adapter_config.json';
const WEIGHTS_FILE = 'adapter_model.safetensors';
/** Metadata keys under this prefix carry Diffscope's own meta (label, kind, ...) through a PEFT folder. */
const META_PREFIX = 'diffscope.';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The fields of adapter_config.json that decide what the weights mean. */
interface PeftConfig {
  r: number;
  alpha: number;
  rsLora: boolean;
  rankPattern: [ModulePattern, number][];
  alphaPattern: [ModulePattern, number][];
  baseModel: string | null;
  targetModules: string | null; // as written: JSON of the list, or the regex string
  notes: string[]; // things accepted but worth telling the user
}

function patterns(path: string, json: Json, field: string): [ModulePattern, number][] {
  const v = json[field];
  if (v === undefined || v === null) return [];
  if (!isObject(v)) throw new Error(`${path}: field "${field}" must be an object of module pattern -> number`);
  return Object.entries(v).map(([key, n]) => {
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) throw new Error(`${path}: ${field}["${key}"] must be a positive number (got ${JSON.stringify(n)})`);
    try {
      return [compileModulePattern(key), n];
    } catch (e) {
      throw new Error(`${path}: ${field} key ${JSON.stringify(key.slice(0, 100))} ${(e as Error).message}`);
    }
  });
}

function readPeftConfig(dir: string): PeftConfig {
  const path = join(dir, CONFIG_FILE);
  const json = readJsonFile(path, MAX_BYTES.config);
  if (!isObject(json)) throw new Error(`${path}: expected a JSON object`);
  const type = json.peft_type ?? 'LORA';
  if (type !== 'LORA') throw new Error(`${path}: peft_type is ${JSON.stringify(type)}; only LoRA adapters ("LORA") are low-rank diffs Diffscope can load`);
  const r = json.r;
  if (!Number.isSafeInteger(r) || (r as number) <= 0) throw new Error(`${path}: field "r" must be a positive integer (got ${JSON.stringify(r)})`);
  const alpha = json.lora_alpha ?? 8; // LoraConfig's default
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha <= 0) throw new Error(`${path}: field "lora_alpha" must be a positive number (got ${JSON.stringify(alpha)})`);

  const refuse = (why: string) => {
    throw new Error(`${path}: ${why}; Diffscope loads plain LoRA on q, k, v, o, gate, up, down only`);
  };
  if (json.use_dora === true) refuse('use_dora is true (DoRA rescales the whole weight, it is not an additive low-rank diff)');
  if (Array.isArray(json.modules_to_save) && json.modules_to_save.length > 0) {
    refuse(`modules_to_save ${JSON.stringify(json.modules_to_save)} replaces whole modules, which a low-rank diff cannot carry`);
  }
  if (json.layer_replication !== undefined && json.layer_replication !== null) refuse('layer_replication changes the number of layers');
  if (json.trainable_token_indices !== undefined && json.trainable_token_indices !== null) refuse('trainable_token_indices trains embedding rows');
  if (json.target_parameters !== undefined && json.target_parameters !== null) refuse('target_parameters adapts raw parameters, not linear modules');

  const notes: string[] = [];
  // PEFT itself resets fan_in_fan_out to false on torch.nn.Linear targets (all seven modules here);
  // the saved lora_A / lora_B have the same shapes either way.
  if (json.fan_in_fan_out === true) notes.push('fan_in_fan_out is true in the config; PEFT ignores it for nn.Linear layers, and so does Diffscope');
  if (json.bias !== undefined && json.bias !== 'none') notes.push(`bias is ${JSON.stringify(json.bias)}: only bias tensors present in the weights would matter (none may be non-zero)`);
  const tm = json.target_modules;
  return {
    r: r as number,
    alpha,
    rsLora: json.use_rslora === true,
    rankPattern: patterns(path, json, 'rank_pattern'),
    alphaPattern: patterns(path, json, 'alpha_pattern'),
    baseModel: typeof json.base_model_name_or_path === 'string' ? json.base_model_name_or_path : null,
    targetModules: typeof tm === 'string' ? tm : Array.isArray(tm) ? JSON.stringify(tm) : null,
    notes,
  };
}

function patternValue(list: [ModulePattern, number][], moduleName: string, fallback: number, budget: Budget, where: string): number {
  try {
    for (const [pattern, n] of list) if (pattern.test(moduleName, budget)) return n;
  } catch (e) {
    throw new Error(`${where}: rank_pattern / alpha_pattern ${(e as Error).message}`);
  }
  return fallback;
}

function allZero(file: SafetensorsFile, name: string): boolean {
  const info = file.info(name);
  if (info.dtype !== 'F32' && info.dtype !== 'F16' && info.dtype !== 'BF16') return false;
  return file.readF32(name).every((x) => x === 0);
}

/**
 * Tensors other than the seven modules' LoRA factors (LoRA on lm_head, embed_tokens or a vision
 * tower, DoRA magnitudes, biases, ...) have no place on the engine's LoRA inputs. They are
 * harmless only when they change nothing: a LoRA pair with one all-zero factor (PEFT's init
 * leaves lora_B at zero), any other tensor all zero. Returns the names ignored; throws otherwise.
 */
function checkOthersAreZero(file: SafetensorsFile, names: string[], where: string): string[] {
  const present = new Set(names);
  const partner = (name: string) => {
    const m = /^(.*\.lora_(?:embedding_)?)([AB])(\.weight)?$/.exec(name);
    return m ? `${m[1]}${m[2] === 'A' ? 'B' : 'A'}${m[3] ?? ''}` : null;
  };
  for (const name of names) {
    if (allZero(file, name)) continue;
    const other = partner(name);
    if (other && present.has(other) && allZero(file, other)) continue;
    const what = /lora_magnitude_vector/.test(name)
      ? 'a DoRA magnitude'
      : other
        ? 'LoRA on a module outside q, k, v, o, gate, up, down of the decoder layers'
        : 'not a LoRA factor of q, k, v, o, gate, up or down';
    throw new Error(`${where}: tensor "${name}" is ${what}, and it changes the model; the engine has LoRA inputs only on the decoder's seven linear modules`);
  }
  return names;
}

/** Reads a PEFT LoRA folder (adapter_config.json + adapter_model.safetensors). */
export function readPeft(dir: string): LowRank {
  const config = readPeftConfig(dir);
  const weightsPath = join(dir, WEIGHTS_FILE);
  if (!existsSync(weightsPath)) {
    if (existsSync(join(dir, 'adapter_model.bin'))) {
      throw new Error(
        `${dir}: adapter_model.bin is a pickled PyTorch file, which Diffscope does not read; save the adapter as safetensors ` +
          `(model.save_pretrained(dir, safe_serialization=True), or safetensors.torch.save_file(torch.load("adapter_model.bin"), "adapter_model.safetensors", metadata={"format": "pt"}))`,
      );
    }
    throw new Error(`${dir}: ${WEIGHTS_FILE} is missing`);
  }
  regularFile(weightsPath); // a FIFO would block the open below
  const file = SafetensorsFile.open(weightsPath);
  try {
    const pairs = new Map<string, { path: string; layer: number; module: ModuleName; A?: string; B?: string }>();
    const others: string[] = [];
    for (const name of file.names()) {
      const m = /^(.*)\.lora_([AB])\.weight$/.exec(name);
      const parsed = m ? parseModulePath(m[1]) : null;
      if (m && parsed && parsed.rest === '') {
        const key = moduleKey(parsed.layer, parsed.module);
        const entry = pairs.get(key) ?? { path: m[1], layer: parsed.layer, module: parsed.module };
        if (entry.path !== m[1]) throw new Error(`${weightsPath}: module ${key} appears twice ("${entry.path}" and "${m[1]}")`);
        entry[m[2] as 'A' | 'B'] = name;
        pairs.set(key, entry);
      } else {
        others.push(name);
      }
    }
    const ignored = checkOthersAreZero(file, others, weightsPath);
    if (pairs.size === 0) throw new Error(`${weightsPath}: no "...layers.N.<module>.lora_A.weight" tensors of q, k, v, o, gate, up, down`);

    const raw: { key: string; module: LowRankModule; scale: number }[] = [];
    const budget: Budget = { left: MATCH_BUDGET };
    const configPath = join(dir, CONFIG_FILE);
    for (const [key, { path, A, B }] of pairs) {
      if (!A || !B) throw new Error(`${weightsPath}: module ${path} has lora_${A ? 'A' : 'B'} but no lora_${A ? 'B' : 'A'}`);
      const [rA, inDim] = file.info(A).shape;
      const [outDim, rB] = file.info(B).shape;
      if (file.info(A).shape.length !== 2 || file.info(B).shape.length !== 2 || rA !== rB) {
        throw new Error(`${weightsPath}: "${A}" ${JSON.stringify(file.info(A).shape)} and "${B}" ${JSON.stringify(file.info(B).shape)} are not [r, in] and [out, r]`);
      }
      const moduleName = path.replace(/^base_model\.model\./, ''); // the name PEFT matches patterns against
      const r = patternValue(config.rankPattern, moduleName, config.r, budget, configPath);
      if (r !== rA) throw new Error(`${weightsPath}: "${A}" has rank ${rA}, but adapter_config.json gives r = ${r} for ${moduleName}`);
      const alpha = patternValue(config.alphaPattern, moduleName, config.alpha, budget, configPath);
      const scale = config.rsLora ? alpha / Math.sqrt(r) : alpha / r;
      const a = transpose(assertFinite(file.readF32(A), weightsPath, A), rA, inDim); // [in, r]
      const b = transpose(assertFinite(file.readF32(B), weightsPath, B), outDim, rA); // [r, out]
      raw.push({ key, module: { a, b, inDim, outDim, rank: rA }, scale });
    }

    // One scale for the adapter when every module has the same; otherwise fold each into its b.
    const uniform = raw.every((x) => x.scale === raw[0].scale);
    const modules = new Map<string, LowRankModule>();
    for (const { key, module, scale } of raw.sort((x, y) => compareKeys(x.key, y.key))) {
      if (!uniform) for (let i = 0; i < module.b.length; i++) module.b[i] *= scale;
      modules.set(key, module);
    }

    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(file.metadata)) if (k.startsWith(META_PREFIX)) meta[k.slice(META_PREFIX.length)] = v;
    Object.assign(meta, { format: PEFT_FORMAT, source: dir });
    if (config.baseModel) {
      meta.baseModel = config.baseModel; // where it was trained; only a clearly named family is enforced
      const arch = familyFromName(config.baseModel);
      if (arch) meta.arch = arch;
    }
    if (config.targetModules) meta.targetModules = config.targetModules;
    if (ignored.length) config.notes.push(`ignored ${ignored.length} tensor(s) outside the seven modules that change nothing (zero; e.g. ${ignored[0]})`);
    if (config.notes.length) meta.warning = config.notes.join('; ');
    return {
      modules,
      scale: uniform ? raw[0].scale : 1,
      rank: Math.max(...raw.map((x) => x.module.rank)),
      meta,
    };
  } finally {
    file.close();
  }
}

function compareKeys(x: string, y: string): number {
  const a = parseModuleKey(x);
  const b = parseModuleKey(y);
  return a.layer - b.layer || MODULES.indexOf(a.module) - MODULES.indexOf(b.module);
}

// ---- writing ----

export interface WritePeftOptions {
  baseModel: string; // base_model_name_or_path: a hub id or the base's folder
  /** Decoder prefix of the base's weights ("model.", or "language_model.model." for gemma-3-4b as released). */
  weightPrefix?: string;
  dtype?: FloatDtype; // default F32 (exact); BF16 halves the size
  /**
   * true (default): every module gets the full stack rank, zero-padded where an adapter lacks it,
   * so r is one number every consumer understands. false: each module keeps the sum of the ranks
   * present, listed in rank_pattern / alpha_pattern.
   */
  uniformRank?: boolean;
  meta?: Record<string, string>; // stored as "diffscope.<key>" safetensors metadata
  overwrite?: boolean;
}

/**
 * Writes a stack (e.g. a rank-1 diff + a rank-16 DIT adapter) as ONE PEFT LoRA adapter of rank
 * r = sum of ranks, exactly: lora_A = [a1 | a2]ᵀ, lora_B = [s1 b1 ; s2 b2]ᵀ with s_i the entry's
 * full scale, and lora_alpha = r, use_rslora false, so PEFT's scaling is 1. Written to a
 * temporary folder next to `dir` and renamed into place.
 */
export function writePeft(dir: string, stack: LoadedStackEntry[], opts: WritePeftOptions): void {
  if (stack.length === 0) throw new Error(`${dir}: nothing to write (the stack is empty)`);
  const target = resolve(dir);
  if (existsSync(target) && !opts.overwrite) throw new Error(`${target} already exists`);
  const prefix = opts.weightPrefix ?? 'model.';
  const dtype = opts.dtype ?? 'F32';
  const uniform = opts.uniformRank ?? true;

  // Every module any adapter touches, with its shape; offsets follow StackFeeds' column layout.
  const shapes = new Map<string, { inDim: number; outDim: number }>();
  for (const { adapter } of stack) {
    for (const [key, m] of adapter.modules) {
      const seen = shapes.get(key);
      if (seen && (seen.inDim !== m.inDim || seen.outDim !== m.outDim)) {
        throw new Error(`${adapter.meta.source ?? 'adapter'}: module ${key} is [${m.inDim}, ${m.outDim}], another adapter in the stack has [${seen.inDim}, ${seen.outDim}]`);
      }
      shapes.set(key, { inDim: m.inDim, outDim: m.outDim });
    }
  }
  const keys = [...shapes.keys()].sort(compareKeys);
  const stackRank = stack.reduce((r, e) => r + e.adapter.rank, 0);
  const rankOf = (key: string) => (uniform ? stackRank : stack.reduce((r, e) => r + (e.adapter.modules.get(key)?.rank ?? 0), 0));

  // lora_A[offset + j, i] = a[i, j];  lora_B[o, offset + j] = s * b[j, o], s = the entry's full scale
  const factors = (key: string, R: number) => {
    const { inDim, outDim } = shapes.get(key)!;
    const loraA = new Float32Array(R * inDim); // [R, in]
    const loraB = new Float32Array(outDim * R); // [out, R]
    let offset = 0;
    for (const { adapter, scale, only } of stack) {
      const m = selects(only, key) ? adapter.modules.get(key) : undefined;
      if (m) {
        const s = scale * adapter.scale;
        for (let i = 0; i < inDim; i++) for (let j = 0; j < m.rank; j++) loraA[(offset + j) * inDim + i] = m.a[i * m.rank + j];
        for (let j = 0; j < m.rank; j++) for (let o = 0; o < outDim; o++) loraB[o * R + offset + j] = s * m.b[j * outDim + o];
      }
      offset += uniform ? adapter.rank : (m?.rank ?? 0);
    }
    return { key, loraA, loraB };
  };
  // Tensors are built when the writer reaches them (A then B of a module): one module in memory.
  let current: ReturnType<typeof factors> | null = null;
  const of = (key: string, R: number) => (current?.key === key ? current : (current = factors(key, R)));

  const tensors: TensorToWrite[] = [];
  const rankPattern: Record<string, number> = {};
  for (const key of keys) {
    const { layer, module } = parseModuleKey(key);
    const { inDim, outDim } = shapes.get(key)!;
    const R = rankOf(key);
    const path = `${prefix}layers.${layer}.${HF_MODULE_PATH[module]}`;
    if (R !== stackRank) rankPattern[path] = R;
    tensors.push({ name: `base_model.model.${path}.lora_A.weight`, dtype, shape: [R, inDim], data: () => of(key, R).loraA });
    tensors.push({ name: `base_model.model.${path}.lora_B.weight`, dtype, shape: [outDim, R], data: () => of(key, R).loraB });
  }

  const targetModules = MODULES.filter((m) => keys.some((k) => parseModuleKey(k).module === m)).map((m) => HF_MODULE_PATH[m].split('.')[1]);
  // Only fields every PEFT release since 0.9 knows, sorted as PEFT writes them; alpha = r gives scaling 1.
  const config = {
    alpha_pattern: rankPattern, // alpha = rank per module too: scaling 1 everywhere
    auto_mapping: null,
    base_model_name_or_path: opts.baseModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: stackRank,
    lora_dropout: 0.0,
    modules_to_save: null,
    peft_type: 'LORA',
    r: stackRank,
    rank_pattern: rankPattern,
    revision: null,
    target_modules: targetModules,
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: false,
  };

  const metadata: Record<string, string> = { format: 'pt' };
  for (const [k, v] of Object.entries(opts.meta ?? {})) metadata[META_PREFIX + k] = v;
  mkdirSync(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp);
  try {
    writeSafetensors(join(tmp, WEIGHTS_FILE), tensors, metadata);
    writeFileSync(join(tmp, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
    if (existsSync(target)) {
      if (!statSync(target).isDirectory()) throw new Error(`${target} exists and is not a folder`);
      rmSync(target, { recursive: true });
    }
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
