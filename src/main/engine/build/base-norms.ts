// ||W||_F of every base weight a diff can touch (layer x module), read from the Hugging Face
// checkpoint in chunks of rows (memory stays bounded). The import keeps them in the manifest, so
// the inspector can say how large a diff is next to the weight it changes (docs/inspector.md).
import { open } from 'node:fs/promises';
import type { ModelConfig } from '../hf/config.ts';
import { bf16ToF32, f16ToF32, type SafetensorsCheckpoint } from '../hf/safetensors.ts';
import { HF_MODULE_PATH, MODULES } from '../modules.ts';

/** `${layer}.${module}` (module "q", "gate", ...) -> ||W||_F, as the manifest keeps them. */
export type BaseNorms = Record<string, number>;

const CHUNK_BYTES = 8 << 20;
const DTYPE_BYTES = { F32: 4, F16: 2, BF16: 2 } as const;

function sumOfSquares(bytes: Uint8Array, dtype: keyof typeof DTYPE_BYTES): number {
  const values =
    dtype === 'F32'
      ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)
      : (dtype === 'F16' ? f16ToF32 : bf16ToF32)(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2));
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * values[i];
  return s;
}

/** Reads each module weight of every layer once; `signal` stops it between chunks. */
export async function computeBaseNorms(checkpoint: SafetensorsCheckpoint, config: ModelConfig, signal?: AbortSignal): Promise<BaseNorms> {
  const norms: BaseNorms = {};
  const handles = new Map<string, Awaited<ReturnType<typeof open>>>();
  try {
    for (let layer = 0; layer < config.numLayers; layer++) {
      for (const module of MODULES) {
        const t = checkpoint.locate(`${config.weightPrefix}layers.${layer}.${HF_MODULE_PATH[module]}.weight`);
        let handle = handles.get(t.path);
        if (!handle) handles.set(t.path, (handle = await open(t.path, 'r')));
        const rowBytes = t.cols * DTYPE_BYTES[t.dtype];
        const step = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
        let sq = 0;
        for (let first = 0; first < t.rows; first += step) {
          signal?.throwIfAborted();
          const bytes = new Uint8Array(Math.min(step, t.rows - first) * rowBytes);
          for (let done = 0; done < bytes.length; ) {
            const { bytesRead } = await handle.read(bytes, done, bytes.length - done, t.begin + first * rowBytes + done);
            if (bytesRead === 0) throw new Error(`${t.path}: tensor "${t.name}" ends early`);
            done += bytesRead;
          }
          sq += sumOfSquares(bytes, t.dtype);
        }
        norms[`${layer}.${module}`] = Math.sqrt(sq);
      }
    }
  } finally {
    for (const h of handles.values()) await h.close();
  }
  return norms;
}
