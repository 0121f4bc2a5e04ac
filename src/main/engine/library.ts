// The library: where imported models live on disk, and their manifests.
// <home>/library/models/<id>/{model.onnx, model.onnx.data, tokenizer files, manifest.json}
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dataHome } from '../paths.ts';
import type { ModelConfig } from './hf/config.ts';
import type { PrecisionId } from './build/precision.ts';
import type { ModuleName } from './modules.ts';

/** Bumped whenever the graph's inputs, outputs or semantics change; older folders are re-imported. */
export const BUILDER_VERSION = 4;

export interface Manifest {
  formatVersion: 1;
  builderVersion: number;
  id: string;
  name: string; // the source folder's name, for people
  arch: ModelConfig['arch'];
  hfArchitecture: string;
  precision: PrecisionId;
  /** int8 / int4: MatMulNBits settings the weights were quantised with. */
  quantization?: { bits: number; blockSize: number; zeroPoints: boolean; accuracyLevel: number };
  /** Why this precision (auto's reasoning, or the user's flag). */
  precisionReason?: string;
  maxPositions: number;
  source: { path: string; sha256: string; files: { name: string; bytes: number; sha256: string }[] };
  config: ModelConfig;
  eosTokenIds: number[];
  shapes: {
    layers: number;
    hidden: number;
    heads: number;
    kvHeads: number;
    headDim: number;
    intermediate: number;
    vocab: number;
    modules: Record<ModuleName, [number, number]>;
  };
  weightBytes: number; // size of model.onnx.data
  /** ||W||_F of each module weight, `${layer}.${module}` (build/base-norms.ts); absent in older imports */
  baseNorms?: Record<string, number>;
  createdAt: string;
}

/** DIFFSCOPE_HOME, or the platform's application-data folder (paths.ts: the catalog's home too). */
export { dataHome } from '../paths.ts';

export function modelsDir(home = dataHome()): string {
  return join(home, 'library', 'models');
}

export function readManifest(dir: string): Manifest {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) throw new Error(`${path} is missing: not an imported model folder`);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  if (manifest.builderVersion !== BUILDER_VERSION) {
    throw new Error(`${path}: builder version ${manifest.builderVersion} is not ${BUILDER_VERSION}; import the model again`);
  }
  return manifest;
}

/** A model id in the library, or a path to an imported model folder. */
export function resolveModelDir(idOrDir: string, home = dataHome()): string {
  if (existsSync(join(idOrDir, 'manifest.json'))) return resolve(idOrDir);
  const dir = join(modelsDir(home), idOrDir);
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  throw new Error(`model "${idOrDir}" is neither a model id in ${modelsDir(home)} nor an imported model folder`);
}

/** Manifests of every model in the library (unreadable folders are skipped). */
export function listManifests(home = dataHome()): Manifest[] {
  const root = modelsDir(home);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) => {
      try {
        return [readManifest(join(root, name))];
      } catch {
        return [];
      }
    });
}
