// Worker threads for the import's heavy, pure work: encoding chunks of rows and hashing files.
// The caller keeps I/O ordered and memory bounded; the pool only spreads the CPU work.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ChunkRequest } from './encode.ts';

export type PoolRequest = { id: number; kind: 'encode'; chunk: ChunkRequest } | { id: number; kind: 'hash'; path: string };
export type PoolReply =
  | { id: number; kind: 'parts'; parts: Uint8Array[] }
  | { id: number; kind: 'hash'; sha256: string }
  | { id: number; kind: 'progress'; bytes: number }
  | { id: number; kind: 'error'; message: string };

interface Pending {
  resolve: (r: PoolReply) => void;
  reject: (e: Error) => void;
  onProgress?: (bytes: number) => void;
}

const fromSource = import.meta.url.endsWith('.ts');

/** Bundled: convert-worker.js next to this chunk; from sources: the tsx loader in front of the .ts file. */
function workerEntry(): { url: URL; workerData?: unknown } {
  if (!fromSource) return { url: new URL('./convert-worker.js', import.meta.url) };
  return { url: new URL('../worker-source.mjs', import.meta.url), workerData: { entry: new URL('./convert-worker.ts', import.meta.url).href } };
}

export class ConvertPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | null = null;

  constructor(readonly size = Math.max(1, Math.min(availableParallelism(), 8))) {
    const { url, workerData } = workerEntry();
    for (let i = 0; i < size; i++) {
      const w = new Worker(url, { workerData });
      w.on('message', (m: PoolReply) => this.receive(m));
      w.on('error', (err) => this.fail(new Error(`import worker failed: ${err.message}`)));
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** Encodes one chunk on the next free worker (the chunk's bytes are moved, not copied). */
  encode(chunk: ChunkRequest): Promise<Uint8Array[]> {
    return this.submit({ kind: 'encode', chunk }, [chunk.bytes.buffer as ArrayBuffer]).then((r) => (r as { parts: Uint8Array[] }).parts);
  }

  /** sha256 of a file, hex; onProgress(bytes) as it is read. */
  hash(path: string, onProgress?: (bytes: number) => void): Promise<string> {
    return this.submit({ kind: 'hash', path }, [], onProgress).then((r) => (r as { sha256: string }).sha256);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private async submit(req: { kind: 'encode'; chunk: ChunkRequest } | { kind: 'hash'; path: string }, transfer: ArrayBuffer[], onProgress?: (n: number) => void): Promise<PoolReply> {
    while (this.idle.length === 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.failure) throw this.failure;
    const worker = this.idle.pop()!;
    const id = this.nextId++;
    return new Promise<PoolReply>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (r) => {
          this.release(worker);
          resolve(r);
        },
        reject: (e) => {
          this.release(worker);
          reject(e);
        },
        onProgress,
      });
      worker.postMessage({ id, ...req } as PoolRequest, transfer);
    });
  }

  private release(worker: Worker): void {
    this.idle.push(worker);
    this.waiting.shift()?.();
  }

  private receive(m: PoolReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.kind === 'progress') return p.onProgress?.(m.bytes);
    this.pending.delete(m.id);
    if (m.kind === 'error') p.reject(new Error(m.message));
    else p.resolve(m);
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const wake of this.waiting.splice(0)) wake();
  }
}
