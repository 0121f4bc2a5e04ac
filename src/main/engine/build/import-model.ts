// Import: Hugging Face checkpoint folder -> library folder (model.onnx, model.onnx.data,
// tokenizer files, manifest.json). The graph is built first with every large weight reserved in
// model.onnx.data; worker threads then convert the checkpoint in chunks of rows, so memory stays
// bounded whatever the model's size. Everything is written into a temporary folder and renamed
// into place: a failed or cancelled import leaves nothing behind.
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readModelConfig, type ModelConfig } from '../hf/config.ts';
import { modelFolderName } from '../hf/model-name.ts';
import { SafetensorsCheckpoint } from '../hf/safetensors.ts';
import { eosIds, loadTokenizer, readGenerationConfig } from '../hf/tokenizer.ts';
import { BUILDER_VERSION, modelsDir, dataHome, readManifest, type Manifest } from '../library.ts';
import { MODULES, moduleShape, type ModuleName } from '../modules.ts';
import { choosePrecision, type PrecisionChoice } from './auto-precision.ts';
import { ConvertPool } from './convert-pool.ts';
import { runConversion, sourceBytes } from './convert.ts';
import { buildDecoder } from './decoder.ts';
import { computeBaseNorms } from './base-norms.ts';
import { DEFAULT_ACCURACY_LEVEL, DEFAULT_BLOCK_SIZE, isPrecisionId, precisionFor, PRECISION_IDS } from './precision.ts';
import { archFor } from './registry.ts';
import { removeAbandoned } from '../abandoned.ts';
import { SIDE_FILES, sourceFiles } from './source-files.ts';
import { checkTensors, expectedTensors } from './tensors.ts';
import { WeightFile } from './weight-file.ts';

/** Head sizes the engine is verified with: multiples of this (every released family's are). */
const HEAD_SIZE_MULTIPLE = 16;
/** RoPE tables beyond this many positions cost memory and gain little for interpretability chats. */
const DEFAULT_MAX_POSITIONS = 32768;

export interface ImportProgress {
  phase: 'hash' | 'convert';
  done: number; // bytes
  total: number; // bytes
  bytesPerSec: number; // over the phase so far
  etaSeconds: number | null; // for the phase; null until the rate is known
}

export interface ImportOptions {
  precision?: PrecisionChoice; // default auto
  blockSize?: number; // values per scale of int8/int4 (default 32)
  accuracyLevel?: number; // MatMulNBits accuracy_level (default 4; 0 is exact but slow, for tests)
  home?: string;
  maxPositions?: number;
  onProgress?: (p: ImportProgress) => void;
  signal?: AbortSignal;
  /** A GPU provider that will run the model (auto picks fp16 for it); null or absent: CPU. */
  gpu?: string | null;
}

export interface ImportResult {
  id: string;
  dir: string;
  manifest: Manifest;
  existed: boolean; // the same source and precision was imported before
}

/** Checks that need no weights: fail before any byte is written. */
export function checkImportable(config: ModelConfig, file = 'config.json'): void {
  archFor(config);
  if (config.headDim % HEAD_SIZE_MULTIPLE !== 0) {
    throw new Error(
      `${file}: head_dim ${config.headDim} is not a multiple of ${HEAD_SIZE_MULTIPLE}, which is all the engine's attention is verified for (every released Qwen3, Llama 3 and Gemma 3 head is)`,
    );
  }
  if (config.attentionBias) throw new Error(`${file}: attention_bias true is not supported`);
}

function manifestVersion(dir: string): number | null {
  try {
    return (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { builderVersion?: number }).builderVersion ?? null;
  } catch {
    return null;
  }
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'model';
}

/** Rate and ETA of one phase, for progress lines. */
function phaseMeter(phase: ImportProgress['phase'], total: number, onProgress?: (p: ImportProgress) => void) {
  const start = performance.now();
  let done = 0;
  let last = 0;
  return (bytes: number) => {
    done = Math.min(total, done + bytes);
    const now = performance.now();
    if (!onProgress || (now - last < 100 && done < total)) return; // at most ~10 updates a second
    last = now;
    const seconds = (now - start) / 1000;
    const bytesPerSec = seconds > 0 ? done / seconds : 0;
    onProgress({ phase, done, total, bytesPerSec, etaSeconds: bytesPerSec > 0 && seconds > 0.5 ? (total - done) / bytesPerSec : null });
  };
}

export async function importModel(srcDir: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const src = resolve(srcDir);
  const choice = opts.precision ?? 'auto';
  if (choice !== 'auto' && !isPrecisionId(choice)) throw new Error(`--precision ${choice}: not one of ${PRECISION_IDS.join(', ')}, auto`);
  if (!existsSync(join(src, 'config.json'))) throw new Error(`${join(src, 'config.json')} is missing: not a Hugging Face model folder`);
  const files = sourceFiles(src); // regular files inside the folder only, before anything reads them
  const config = readModelConfig(src);
  checkImportable(config, join(src, 'config.json'));
  const blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
  const decision = choice === 'auto' ? choosePrecision(config, { gpu: opts.gpu, blockSize }) : null;
  const precision = precisionFor(decision?.precision ?? (choice as Exclude<PrecisionChoice, 'auto'>), blockSize, opts.accuracyLevel);
  const precisionReason = decision?.reason ?? `${precision.id}: chosen by the user (not auto)`;
  const tokenizer = loadTokenizer(src); // a missing or broken tokenizer fails here, before the long part
  const generation = readGenerationConfig(src);
  const checkpoint = SafetensorsCheckpoint.open(src);
  const pool = new ConvertPool();
  try {
    checkTensors(expectedTensors(config, archFor(config)), checkpoint, src, join(src, 'config.json'));
    const sizes = files.map((f) => statSync(join(src, f)).size);
    const hashed = phaseMeter('hash', sizes.reduce((a, b) => a + b, 0), opts.onProgress);
    const digests = await Promise.all(files.map((name) => pool.hash(join(src, name), hashed)));
    if (opts.signal?.aborted) throw new Error(`import of ${src} cancelled; nothing was kept`);
    const hashes: Manifest['source']['files'] = files.map((name, i) => ({ name, bytes: sizes[i], sha256: digests[i] }));
    const digest = (list: typeof hashes) => createHash('sha256').update(list.map((h) => `${h.sha256}  ${h.name}\n`).join('')).digest('hex');
    // the id names the model's numbers (config and weights), so that conversations stay with it;
    // the source digest covers every copied file too: a changed tokenizer or chat template is
    // imported again into the same id, not reported as already there
    const weightsSha = digest(hashes.filter((h) => h.name === 'config.json' || h.name.endsWith('.safetensors') || h.name === 'model.safetensors.index.json'));
    const sourceSha = digest(hashes);

    const modelName = modelFolderName(src);
    const level = precision.nbits && precision.nbits.accuracyLevel !== DEFAULT_ACCURACY_LEVEL ? `a${precision.nbits.accuracyLevel}` : '';
    const tag = precision.nbits && blockSize !== DEFAULT_BLOCK_SIZE ? `${precision.id}b${blockSize}${level}` : `${precision.id}${level}`;
    const id = `${slug(modelName)}-${tag}-${weightsSha.slice(0, 8)}`;
    const root = modelsDir(opts.home ?? dataHome());
    const dir = join(root, id);
    // the same files were imported before: reuse them, unless an older builder made the folder
    // or a side file changed since (then rebuilt and swapped in below)
    if (existsSync(join(dir, 'manifest.json')) && manifestVersion(dir) === BUILDER_VERSION) {
      const manifest = readManifest(dir);
      if (manifest.source.sha256 === sourceSha) return { id, dir, manifest, existed: true };
    }
    mkdirSync(root, { recursive: true });
    removeAbandoned(root, ['import', 'outdated']);
    const tmp = join(root, `.import-${process.pid}-${randomBytes(6).toString('hex')}`);
    mkdirSync(tmp);
    try {
      const maxPositions = Math.min(opts.maxPositions ?? DEFAULT_MAX_POSITIONS, config.maxPositionEmbeddings);
      const file = new WeightFile(join(tmp, 'model.onnx.data'));
      let graph;
      try {
        graph = buildDecoder({ config, arch: archFor(config), precision, source: checkpoint, file, maxPositions });
      } finally {
        file.close(); // sized to every reserved byte; the conversion fills them in
      }
      const converted = phaseMeter('convert', sourceBytes(file.jobs), opts.onProgress);
      await runConversion(file.jobs, file.path, pool, { signal: opts.signal, onBytes: converted });
      graph.initializers.push(...file.tensors);
      const eosTokenIds = eosIds(config, generation, tokenizer);
      const baseNorms = await computeBaseNorms(checkpoint, config, opts.signal); // for the diff inspector
      writeFileSync(join(tmp, 'model.onnx'), graph.encode(id, { builder_version: String(BUILDER_VERSION), source_sha256: sourceSha }));
      for (const name of SIDE_FILES) if (files.includes(name)) copyFileSync(join(src, name), join(tmp, name));
      const manifest: Manifest = {
        formatVersion: 1,
        builderVersion: BUILDER_VERSION,
        id,
        name: modelName,
        arch: config.arch,
        hfArchitecture: config.hfArchitecture,
        precision: precision.id,
        ...(precision.nbits ? { quantization: { bits: precision.nbits.bits, blockSize, zeroPoints: precision.nbits.zeroPoints, accuracyLevel: precision.nbits.accuracyLevel } } : {}),
        precisionReason,
        maxPositions,
        source: { path: src, sha256: sourceSha, files: hashes },
        config,
        eosTokenIds,
        shapes: {
          layers: config.numLayers,
          hidden: config.hiddenSize,
          heads: config.numHeads,
          kvHeads: config.numKvHeads,
          headDim: config.headDim,
          intermediate: config.intermediateSize,
          vocab: config.vocabSize,
          modules: Object.fromEntries(MODULES.map((m) => [m, moduleShape(config, m)])) as Record<ModuleName, [number, number]>,
        },
        weightBytes: file.bytesWritten,
        baseNorms,
        createdAt: new Date().toISOString(),
      };
      writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
      opts.signal?.throwIfAborted();
      if (existsSync(dir)) {
        // an outdated import of the same model (older builder, or changed side files): swap it out
        // only now that the new one is complete
        const old = join(root, `.outdated-${process.pid}-${randomBytes(6).toString('hex')}`);
        renameSync(dir, old);
        renameSync(tmp, dir);
        rmSync(old, { recursive: true, force: true });
      } else {
        renameSync(tmp, dir);
      }
      return { id, dir, manifest, existed: false };
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      if (opts.signal?.aborted) throw new Error(`import of ${src} cancelled; nothing was kept`);
      throw err;
    }
  } finally {
    checkpoint.close();
    await pool.close();
  }
}
