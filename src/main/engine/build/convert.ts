// Runs an import's conversion jobs: reads each source tensor in chunks of whole rows, has the
// worker pool encode them, and writes every part at its reserved offset in model.onnx.data.
// Memory stays bounded by the window of chunks in flight, whatever the model's size; jobs run in
// file order, so the output is written front to back.
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { partsPerRow } from './encode.ts';
import type { ConvertPool } from './convert-pool.ts';
import type { ConversionJob } from './weight-file.ts';

/** Source bytes per chunk: large enough to amortise a message, small enough to bound memory. */
const CHUNK_BYTES = 8 << 20;
const DTYPE_BYTES = { F32: 4, F16: 2, BF16: 2 } as const;

export interface ConvertOptions {
  signal?: AbortSignal;
  onBytes?: (sourceBytes: number) => void;
}

interface Chunk {
  job: ConversionJob;
  firstRow: number;
  rows: number;
}

function* chunksOf(job: ConversionJob): Generator<Chunk> {
  const { rows, cols, dtype } = job.source;
  // a transposed tensor is written whole; everything else row chunk by row chunk
  const step = job.encoding.kind === 'float-transposed' ? rows : Math.max(1, Math.floor(CHUNK_BYTES / (cols * DTYPE_BYTES[dtype])));
  for (let first = 0; first < rows; first += step) yield { job, firstRow: first, rows: Math.min(step, rows - first) };
}

export function sourceBytes(jobs: ConversionJob[]): number {
  return jobs.reduce((sum, j) => sum + j.source.rows * j.source.cols * DTYPE_BYTES[j.source.dtype], 0);
}

export async function runConversion(jobs: ConversionJob[], outPath: string, pool: ConvertPool, opts: ConvertOptions = {}): Promise<void> {
  const inputs = new Map<string, Promise<FileHandle>>(); // promises: concurrent chunks open a shard once
  const out = await open(outPath, 'r+');
  const window = pool.size * 2;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;

  const input = (path: string) => {
    let h = inputs.get(path);
    if (!h) inputs.set(path, (h = open(path, 'r')));
    return h;
  };

  const convert = async ({ job, firstRow, rows }: Chunk) => {
    const { source, encoding, targets } = job;
    const rowBytes = source.cols * DTYPE_BYTES[source.dtype];
    const bytes = new Uint8Array(rows * rowBytes); // its own buffer: moved to the worker, not copied
    const position = source.begin + firstRow * rowBytes;
    const label = `${basename(source.path)}: tensor "${source.name}"`;
    const handle = await input(source.path);
    for (let done = 0; done < bytes.length; ) {
      const { bytesRead } = await handle.read(bytes, done, bytes.length - done, position + done);
      if (bytesRead === 0) throw new Error(`${label}: file ends ${bytes.length - done} bytes early`);
      done += bytesRead;
    }
    const read = bytes.length; // the buffer is moved to the worker: measure it before
    const parts = await pool.encode({ bytes, dtype: source.dtype, rows, cols: source.cols, encoding, label, firstRow });
    const perRow = partsPerRow(source.cols, encoding);
    for (const [i, part] of parts.entries()) {
      // a transposed tensor arrives whole and goes to its start
      const at = targets[i] + (encoding.kind === 'float-transposed' ? 0 : firstRow * perRow[i]);
      for (let done = 0; done < part.length; ) done += (await out.write(part, done, part.length - done, at + done)).bytesWritten;
    }
    opts.onBytes?.(read);
  };

  try {
    for (const job of jobs) {
      for (const chunk of chunksOf(job)) {
        opts.signal?.throwIfAborted();
        while (inFlight.size >= window && !failure) await Promise.race(inFlight);
        if (failure) throw failure;
        const p: Promise<void> = convert(chunk).catch((err) => {
          failure ??= err;
        });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
  } finally {
    await Promise.allSettled(inFlight);
    await out.close();
    for (const h of await Promise.allSettled(inputs.values())) if (h.status === 'fulfilled') await h.value.close();
  }
}
