// The model as onnxruntime prepares it for this CPU, saved once so that later sessions skip the
// work. Opening a session repacks every MatMul weight into the layout of this CPU's kernels
// (for int4/int8, the MatMulNBits blocks): that took 16 s of a Qwen3-4B int4 session's 16.3 s
// load here. onnxruntime can save the optimized graph with those packed weights in its external
// data file; a session opened from it maps them instead of packing again (4.9 s, and a third of
// the resident memory until the weights are read).
//
// onnxruntime 1.30 saves the packed buffers at unaligned offsets, which its own integer kernels
// then read shifted: prepared-align.ts rewrites the file before it is used.
//
// <model>/prepared/{model.onnx, model.data, stamp.json}: the stamp names the machine
// (onnxruntime's version, the CPU and its instruction set) and the imported files it was made
// from; any difference and the folder is made again. It is a cache: removing it loses nothing.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { arch, cpus, platform } from 'node:os';
import * as ort from 'onnxruntime-node';
import { alignPrepared } from './prepared-align.ts';
import { removeAbandoned } from './abandoned.ts';

export const PREPARED_DIR = 'prepared';
const STAMP = 'stamp.json';
const DATA = 'model.data';
const ORT_VERSION: string = createRequire(import.meta.url)('onnxruntime-node/package.json').version;

interface Stamp {
  machine: string;
  model: { bytes: number; mtimeMs: number };
  data: { bytes: number; mtimeMs: number };
  /** the prepared data file's size when written: a truncated copy is made again, never mapped */
  prepared?: number;
}

/** The CPU's instruction set as the kernel reports it (Linux), else its model name. */
function cpuFeatures(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return /^flags\s*:(.*)$/m.exec(info)?.[1].trim() ?? '';
  } catch {
    return '';
  }
}

/** What packed weights depend on: onnxruntime's kernels and the CPU they were chosen for. */
export function machineKey(): string {
  if (key) return key;
  const parts = [ORT_VERSION, platform(), arch(), cpus()[0]?.model ?? 'unknown cpu', cpuFeatures()];
  return (key = createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16));
}
let key: string | undefined; // the machine does not change under a running process

function fileStamp(path: string): { bytes: number; mtimeMs: number } {
  const s = statSync(path);
  return { bytes: s.size, mtimeMs: Math.trunc(s.mtimeMs) };
}

function stampFor(dir: string): Stamp {
  return { machine: machineKey(), model: fileStamp(join(dir, 'model.onnx')), data: fileStamp(join(dir, 'model.onnx.data')) };
}

/** The prepared model.onnx for this machine and these files, or null when there is none that fits. */
export function preparedModel(dir: string): string | null {
  const prepared = join(dir, PREPARED_DIR);
  try {
    if (statSync(join(prepared, STAMP)).size > 4096) return null; // not a stamp this code wrote
    const stamp = JSON.parse(readFileSync(join(prepared, STAMP), 'utf8')) as Stamp;
    const { prepared: bytes, ...made } = stamp;
    if (JSON.stringify(made) !== JSON.stringify(stampFor(dir))) return null;
    return statSync(join(prepared, DATA)).size === bytes ? join(prepared, 'model.onnx') : null;
  } catch {
    return null;
  }
}

/** Bytes the prepared copy takes on disk (0 when there is none). */
export function preparedBytes(dir: string): number {
  const prepared = join(dir, PREPARED_DIR);
  if (!existsSync(prepared)) return 0;
  return readdirSync(prepared).reduce((sum, f) => sum + statSync(join(prepared, f)).size, 0);
}

export function removePrepared(dir: string): void {
  rmSync(join(dir, PREPARED_DIR), { recursive: true, force: true });
}

/**
 * Opens a CPU session over dir/model.onnx that also writes the prepared copy. The copy is written
 * into a temporary folder and renamed into place only when complete; if writing fails (a full
 * disk, a read-only library) the session opens as usual and nothing is left behind.
 */
export async function openAndPrepare(dir: string, options: ort.InferenceSession.SessionOptions): Promise<{ session: ort.InferenceSession; saved: boolean }> {
  const tmp = join(dir, `.prepared-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    removeAbandoned(dir, ['prepared']);
    mkdirSync(tmp);
    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'), {
      ...options,
      logSeverityLevel: 3, // not the warning that the saved graph suits this machine only: that is its point
      optimizedModelFilePath: join(tmp, 'model.onnx'),
      extra: {
        session: {
          optimized_model_external_initializers_file_name: DATA,
          optimized_model_external_initializers_min_size_in_bytes: '1024',
          save_external_prepacked_constant_initializers: '1',
        },
      },
    });
    try {
      if (!existsSync(join(tmp, DATA))) throw new Error('onnxruntime wrote no external data');
      const prepared = alignPrepared(tmp, DATA);
      writeFileSync(join(tmp, STAMP), JSON.stringify({ ...stampFor(dir), prepared }));
      removePrepared(dir); // a copy for another machine or older files
      renameSync(tmp, join(dir, PREPARED_DIR));
      return { session, saved: true };
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another process won the rename, or the disk is full
      return { session, saved: false };
    }
  } catch {
    // could not write the copy (or the model does not load: then this says why)
    rmSync(tmp, { recursive: true, force: true });
    return { session: await ort.InferenceSession.create(join(dir, 'model.onnx'), options), saved: false };
  }
}
