// A conversion worker of the import: encodes chunks of checkpoint rows (encode.ts) and hashes
// source files, off the thread that reads and writes, so both cores stay busy.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { encodeChunk } from './encode.ts';
import type { PoolReply, PoolRequest } from './convert-pool.ts';

const port = parentPort!;
const reply = (m: PoolReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

port.on('message', async (m: PoolRequest) => {
  try {
    if (m.kind === 'encode') {
      const parts = encodeChunk(m.chunk);
      reply({ id: m.id, kind: 'parts', parts }, parts.map((p) => p.buffer as ArrayBuffer));
      return;
    }
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(m.path, { highWaterMark: 1 << 22 })) {
      hash.update(chunk as Buffer);
      reply({ id: m.id, kind: 'progress', bytes: (chunk as Buffer).length });
    }
    reply({ id: m.id, kind: 'hash', sha256: hash.digest('hex') });
  } catch (err) {
    reply({ id: m.id, kind: 'error', message: (err as Error).message });
  }
});
