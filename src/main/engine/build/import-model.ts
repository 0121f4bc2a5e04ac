// Import: Hugging Face checkpoint folder -> library folder (model.onnx, model.onnx.data,
// tokenizer files, manifest.json). Written into a temporary folder and renamed into place,
// so a failed import leaves nothing behind.
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readModelConfig, type ModelConfig } from '../hf/config.ts';
import { modelFolderName } from '../hf/model-name.ts';
import { SafetensorsCheckpoint } from '../hf/safetensors.ts';
import { eosIds, loadTokenizer, readGenerationConfig } from '../hf/tokenizer.ts';
import { BUILDER_VERSION, modelsDir, dataHome, readManifest, type Manifest } from '../library.ts';
import { MODULES, moduleShape, type ModuleName } from '../modules.ts';
import { buildDecoder } from './decoder.ts';
import { PRECISIONS, type PrecisionId } from './precision.ts';
import { archFor } from './registry.ts';
import { checkTensors, expectedTensors } from './tensors.ts';
import { WeightFile } from './weight-file.ts';

/** Files copied verbatim next to the graph (tokenizer, templates, configs). */
const SIDE_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'chat_template.json',
];

/** GroupQueryAttention's CPU kernel works on heads whose size is a multiple of this. */
const HEAD_SIZE_MULTIPLE = 16;
/** RoPE tables beyond this many positions cost memory and gain little for interpretability chats. */
const DEFAULT_MAX_POSITIONS = 32768;

export interface ImportProgress {
  phase: 'hash' | 'convert';
  done: number; // bytes
  total: number; // bytes
}

export interface ImportOptions {
  precision?: PrecisionId;
  home?: string;
  maxPositions?: number;
  onProgress?: (p: ImportProgress) => void;
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
      `${file}: head_dim ${config.headDim} is not a multiple of ${HEAD_SIZE_MULTIPLE}, which the CPU attention kernel (GroupQueryAttention) requires`,
    );
  }
  if (config.attentionBias) throw new Error(`${file}: attention_bias true is not supported`);
}

async function sha256File(path: string, onBytes: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) {
    hash.update(chunk as Buffer);
    onBytes((chunk as Buffer).length);
  }
  return hash.digest('hex');
}

function manifestVersion(dir: string): number | null {
  try {
    return (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { builderVersion?: number }).builderVersion ?? null;
  } catch {
    return null;
  }
}

/** Files that define the model's numbers: config.json and the weights. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n === 'config.json' || n.endsWith('.safetensors') || n === 'model.safetensors.index.json')
    .sort();
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'model';
}

export async function importModel(srcDir: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const src = resolve(srcDir);
  const precision = PRECISIONS[opts.precision ?? 'fp32'];
  if (!precision) throw new Error(`--precision ${opts.precision}: not one of ${Object.keys(PRECISIONS).join(', ')}`);
  if (!existsSync(join(src, 'config.json'))) throw new Error(`${join(src, 'config.json')} is missing: not a Hugging Face model folder`);
  const config = readModelConfig(src);
  checkImportable(config, join(src, 'config.json'));
  const tokenizer = loadTokenizer(src); // a missing or broken tokenizer fails here, before the long part
  const generation = readGenerationConfig(src);
  const checkpoint = SafetensorsCheckpoint.open(src);
  try {
    checkTensors(expectedTensors(config, archFor(config)), checkpoint, src, join(src, 'config.json'));
    const files = sourceFiles(src);
    const sizes = files.map((f) => statSync(join(src, f)).size);
    const hashTotal = sizes.reduce((a, b) => a + b, 0);
    let hashed = 0;
    const hashes: Manifest['source']['files'] = [];
    for (const [i, name] of files.entries()) {
      const sha256 = await sha256File(join(src, name), (n) => {
        hashed += n;
        opts.onProgress?.({ phase: 'hash', done: hashed, total: hashTotal });
      });
      hashes.push({ name, bytes: sizes[i], sha256 });
    }
    const sourceSha = createHash('sha256')
      .update(hashes.map((h) => `${h.sha256}  ${h.name}\n`).join(''))
      .digest('hex');

    const modelName = modelFolderName(src);
    const id = `${slug(modelName)}-${precision.id}-${sourceSha.slice(0, 8)}`;
    const root = modelsDir(opts.home ?? dataHome());
    const dir = join(root, id);
    // the same source was imported before: reuse it, unless an older builder made it (rebuilt below)
    if (existsSync(join(dir, 'manifest.json')) && manifestVersion(dir) === BUILDER_VERSION) {
      return { id, dir, manifest: readManifest(dir), existed: true };
    }
    mkdirSync(root, { recursive: true });
    const tmp = join(root, `.import-${randomBytes(6).toString('hex')}`);
    mkdirSync(tmp);
    try {
      const maxPositions = Math.min(opts.maxPositions ?? DEFAULT_MAX_POSITIONS, config.maxPositionEmbeddings);
      const convertTotal = checkpoint.names().reduce((a, n) => a + checkpoint.info(n).byteLength, 0);
      let converted = 0;
      const file = new WeightFile(join(tmp, 'model.onnx.data'));
      let graph;
      try {
        graph = buildDecoder({
          config,
          arch: archFor(config),
          precision,
          source: checkpoint,
          file,
          maxPositions,
          onTensor: (name) => {
            converted = Math.min(convertTotal, converted + checkpoint.info(name).byteLength);
            opts.onProgress?.({ phase: 'convert', done: converted, total: convertTotal });
          },
        });
      } finally {
        file.close();
      }
      graph.initializers.push(...file.tensors);
      const eosTokenIds = eosIds(config, generation, tokenizer);
      writeFileSync(join(tmp, 'model.onnx'), graph.encode(id, { builder_version: String(BUILDER_VERSION), source_sha256: sourceSha }));
      for (const name of SIDE_FILES) if (existsSync(join(src, name))) copyFileSync(join(src, name), join(tmp, name));
      const manifest: Manifest = {
        formatVersion: 1,
        builderVersion: BUILDER_VERSION,
        id,
        name: modelName,
        arch: config.arch,
        hfArchitecture: config.hfArchitecture,
        precision: precision.id,
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
        createdAt: new Date().toISOString(),
      };
      writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
      if (existsSync(dir)) {
        // an outdated import of the same source: swap it out only now that the new one is complete
        const old = join(root, `.outdated-${randomBytes(6).toString('hex')}`);
        renameSync(dir, old);
        renameSync(tmp, dir);
        rmSync(old, { recursive: true, force: true });
      } else {
        renameSync(tmp, dir);
      }
      return { id, dir, manifest, existed: false };
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  } finally {
    checkpoint.close();
  }
}
